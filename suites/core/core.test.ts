import { describe, expect, it } from 'vitest';
import { evaluate, ExprError, namesIn } from '../../tools/core/expr.ts';
import { inRange, parseVersion } from '../../oracle/core/kernel.ts';
import { Behaviour, DOCUMENTED, forcedUnknown } from '../../oracle/core/switches.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';

describe('expressions', () => {
  it('follow arithmetic precedence and functions', () => {
    expect(evaluate('1 + 2 * 3 - 4 / 2', {})).toBe(5);
    expect(evaluate('-(2 + 3) * 2', {})).toBe(-10);
    expect(evaluate('floor(7 / 2) + ceil(7 / 2) + min(1, 5) + max(1, 5)', {})).toBe(3 + 4 + 1 + 5);
  });

  it('read observation fields and start.X', () => {
    // A mode-2 headroom as tables write it: (CommitLimit - Committed_AS) kB in 4 kB pages.
    expect(evaluate('floor((CommitLimit - Committed_AS) / 4) - 1', { CommitLimit: 4096, Committed_AS: 1024 })).toBe(767);
    expect(evaluate('Committed_AS - start.Committed_AS', { Committed_AS: 10, start: { Committed_AS: 4 } })).toBe(6);
    expect(namesIn('min(a, start.b) * 2')).toEqual(['a', 'start.b']);
  });

  it('explain their mistakes', () => {
    expect(() => evaluate('1 +', {})).toThrow(ExprError);
    expect(() => evaluate('Commited_AS', { Committed_AS: 1 })).toThrow(/unknown name 'Commited_AS'.*known: Committed_AS/);
    expect(() => evaluate('sqrt(4)', {})).toThrow(/unknown function 'sqrt'/);
    expect(() => evaluate('1 / 0', {})).toThrow(/division by zero/);
    expect(() => evaluate('2 $ 3', {})).toThrow(/unexpected '\$'/);
  });
});

describe('kernel versions', () => {
  it('parse Debian and upstream releases', () => {
    expect(parseVersion('6.12.117+deb12-amd64')).toEqual([6, 12, 117]);
    expect(parseVersion('6.1.0-56-amd64')).toEqual([6, 1, 0]);
    expect(parseVersion('6.18')).toEqual([6, 18, 0]);
  });

  it('test ranges with every comparator', () => {
    expect(inRange('6.1.0-56-amd64', '>=6.7')).toBe(false);
    expect(inRange('6.12.117+deb12-amd64', '>=6.7')).toBe(true);
    // A bound may be a major release alone.
    expect([inRange('7.2.13+deb14-amd64', '>=7'), inRange('6.18.44', '>=7'), inRange('7.0', '<7')]).toEqual([true, false, false]);
    expect(inRange('6.7', '>=5.2 <6.7')).toBe(false);
    expect(inRange('6.6.9', '>=5.2 <6.7')).toBe(true);
    expect(inRange('6.6', '=6.6')).toBe(true);
    expect(inRange('6.6', '>6.6')).toBe(false);
    expect(inRange('6.6', '<=6.6')).toBe(true);
    expect(inRange('anything', '*')).toBe(true);
  });
});

describe('kernel behaviour switches', () => {
  const switches = [
    { name: 'since-6.7', kernels: '>=6.7', summary: '', evidence: [] },
    { name: 'before-6.12', kernels: '<6.12', summary: '', evidence: [] },
  ];

  it('follow the release, or none of them as documented', () => {
    expect(new Behaviour(switches, { kernel: '6.8' }).enabled.sort()).toEqual(['before-6.12', 'since-6.7']);
    expect(new Behaviour(switches, { kernel: '6.1' }).enabled).toEqual(['before-6.12']);
    expect(new Behaviour(switches, { kernel: DOCUMENTED }).enabled).toEqual([]);
  });

  it('record the ones asked that were on, and refuse an unknown question', () => {
    const b = new Behaviour(switches, { kernel: '6.18' });
    expect([b.on('since-6.7'), b.on('before-6.12')]).toEqual([true, false]);
    expect([...b.used]).toEqual(['since-6.7']);
    expect(() => b.on('nonesuch')).toThrow(/unknown kernel behaviour switch 'nonesuch'/);
  });

  it('can be forced either way; forced names nobody bears are found', () => {
    const b = new Behaviour(switches, { kernel: '6.18', force: { 'since-6.7': false, 'before-6.12': true, 'other-model': true } });
    expect(b.enabled).toEqual(['before-6.12']);
    expect(forcedUnknown({ 'since-6.7': false, typo: true }, switches)).toEqual(['typo']);
    expect(() => new OracleImplementation({ force: { 'no-such-switch-anywhere': true } })).toThrow(/no kernel behaviour switch named 'no-such-switch-anywhere'/);
  });
});
