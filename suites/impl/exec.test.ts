// Implementations plugged in from outside: exec programs, modules, broken peers. (A mechanism's own
// implementations are tested in its folder, suites/<mechanism>/.)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execImplementation } from '../../tools/impl/exec.ts';
import { loadModuleImplementation } from '../../tools/impl/module.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { MMSPEC, ROOT, cli, smallTable, tempTables, EXAMPLE, exampleFile } from '../helpers.ts';

const all = loadScenarios();
const statuses = (s: Awaited<ReturnType<typeof runScenarios>>) => Object.fromEntries(s.results.map((r) => [r.id, r.status]));

describe('exec: the oracle served over the line protocol', () => {
  it('gives the same verdict on every scenario as the oracle in-process', async () => {
    const impl = execImplementation(`"${process.execPath}" "${MMSPEC}" serve`);
    try {
      const over = await runScenarios(impl, all);
      const direct = await runScenarios(new OracleImplementation(), all);
      expect(statuses(over)).toEqual(statuses(direct));
      expect(over.failed).toBe(0);
    } finally {
      await impl.dispose();
    }
  });

  it('answers protocol mistakes with error objects, not crashes', () => {
    const lines = [
      'not json',
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'launch', params: {} }),
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'open', params: { mechanism: EXAMPLE, config: { watermark_scale_factor: 3001 } } }),
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'step', params: { session: 'nope', step: { op: 'set_scale', args: { value: 100 } } } }),
      JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'open', params: { mechanism: 'nosuchmech', config: {} } }),
    ];
    const r = spawnSync(process.execPath, [MMSPEC, 'serve'], { input: `${lines.join('\n')}\n`, encoding: 'utf8', cwd: ROOT });
    const replies = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(replies.map((x) => [x.id, x.error?.data?.kind])).toEqual([
      [null, 'invalid'],
      [1, 'invalid'],
      [2, 'invalid'],
      [3, 'invalid'],
      [4, 'unsupported'],
    ]);
    expect(replies[2].error.message).toContain('/config/watermark_scale_factor');
  });
});

describe('command line failures', () => {
  it('an implementation that dies at start is one clear message, not a stack trace', () => {
    const r = cli(['run', '--impl', 'exec:echo starting up >&2; exit 3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mmspec: the implementation failed: exec:.* exited: exit status 3/);
    expect(r.stderr).toContain('starting up');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('fail the command line run with exit 1', () => {
    // A module that takes out-of-range factors (no range check): wrong answers, not broken ones.
    const r = cli(['run', '--impl', 'module:fixtures/impls/faulty/faulty.ts', '--mechanism', EXAMPLE], { env: { MMSPEC_FAULT: 'no-range-check' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`FAIL ${EXAMPLE}\\.`));
    expect(r.stdout).toMatch(/-\s+"errno": "EINVAL"/);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\d+ passed, [1-9]\d* failed/);
  });
});

describe('broken implementations', () => {
  const two = smallTable();
  two.scenarios.push({ ...two.scenarios[0]!, id: `${EXAMPLE}.test.second` });
  const tables = loadScenarios(tempTables({ [exampleFile()]: two }));
  const cases: [string, RegExp][] = [
    ['crash', /exited: exit status 3/],
    ['stderr-crash', /segfault in step handler/],
    ['hang', /no reply to 'steps' within 1 s/],
    ['garbage', /not JSON: this is not json/],
    ['wrong-id', /answered id \d+, which no request is waiting for/],
    ['bad-shape', /breaks the protocol/],
  ];
  for (const [mode, why] of cases) {
    it(`${mode}: each scenario fails with the reason and the run goes on`, async () => {
      const impl = execImplementation(`"${process.execPath}" "${join(ROOT, 'fixtures/impls/broken/broken.mjs')}" ${mode}`, 1000);
      try {
        const s = await runScenarios(impl, tables);
        expect(s.results.map((r) => r.status)).toEqual(['failed', 'failed']);
        for (const r of s.results) {
          expect(r.reason).toMatch(why);
          expect(r.reason).toMatch(/at (open|step 0 \(set_scale\))/);
        }
      } finally {
        await impl.dispose();
      }
    });
  }
});

describe('module:', () => {
  it('explains a module that is not an implementation', async () => {
    await expect(loadModuleImplementation(join(ROOT, 'tools/paths.ts'))).rejects.toThrow(/does not export an implementation: missing describe/);
    await expect(loadModuleImplementation('nope.ts')).rejects.toThrow(/not found/);
  });
});
