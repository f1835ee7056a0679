// The Perl template (fixtures/impls/perl-template/): a program that imports nothing from this
// project passes every scenario of the worked example and the protocol checks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { cli, EXAMPLE, ROOT } from '../helpers.ts';

const script = join('fixtures/impls/perl-template', `${EXAMPLE}.pl`);
const impl = `exec:perl ${script}`;

describe('the Perl template implementation', () => {
  it('is there, with its README', () => {
    expect(existsSync(join(ROOT, script))).toBe(true);
    expect(existsSync(join(ROOT, 'fixtures/impls/perl-template/README.md'))).toBe(true);
  });

  it('passes every scenario of the mechanism it implements', () => {
    const expected = loadScenarios().filter((s) => s.mechanism === EXAMPLE).map((s) => s.id).sort();
    expect(expected.length).toBeGreaterThan(0);
    const r = cli(['run', '--impl', impl, '--mechanism', EXAMPLE, '--reporter', 'json']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { passed: number; failed: number; scenarios: { id: string; status: string }[] };
    expect(report.scenarios.map((s) => s.id).sort()).toEqual(expected);
    expect(report.scenarios.filter((s) => s.status !== 'passed')).toEqual([]);
    expect(report.failed).toBe(0);
  });

  it('check-impl reports no problems', () => {
    const r = cli(['check-impl', '--impl', impl]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => /^(FAIL|warn)\b/.test(l))).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^ok\s+steps \S+: a batch of \d+ step\(s\) answers as the steps one by one/));
    expect(lines).toContainEqual(expect.stringMatching(/^ok\s+unknown op \S+: .* answered invalid/));
    expect(lines.at(-1)).toMatch(/^\d+ ok, 0 warnings, 0 failed$/);
  });
});
