// The runner with the oracle: every table passes, and what a failure report carries.
import { describe, expect, it } from 'vitest';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { compareStep } from '../../tools/runner/compare.ts';
import { jsonReport, junitReport, prettyResult, summaryLine } from '../../tools/runner/report.ts';
import { globToRegExp, runScenarios, selectScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { cli, smallTable, tempTables } from '../helpers.ts';

const all = loadScenarios();

describe('the oracle against every table', () => {
  it('passes every scenario it can run, skipping none', async () => {
    const s = await runScenarios(new OracleImplementation(), all);
    const failed = s.results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.reason}\n${r.diff ?? ''}`);
    expect(failed).toEqual([]);
    expect(s.passed + s.skipped).toBe(all.length);
    // Skips only for kernel ranges that exclude the modelled kernel (their twins run instead).
    for (const r of s.results.filter((x) => x.status === 'skipped')) expect(r.reason).toMatch(/outside/);
  });

  it('runs the other side of every version split when told to model an older kernel', async () => {
    const ranged = all.filter((x) => x.kernels !== '*' && x.kernels.includes('<'));
    const s = await runScenarios(new OracleImplementation(), ranged, { kernel: '6.1' });
    expect(s.failed).toBe(0);
    expect(s.passed).toBeGreaterThan(0);
  });
});

describe('comparison', () => {
  const obs = { Committed_AS: 1000, CommitLimit: 5000 };

  it('compares only the named fields, with deltas from the start', () => {
    const c = compareStep({ observe: { Committed_AS: { delta: 600 } } }, { ret: 'ok', observation: obs }, { Committed_AS: 400 });
    expect(c.ok).toBe(true);
    expect(c.expected).toEqual({ ret: 'ok', 'Committed_AS (delta)': 600 });
  });

  it('expects success when the step names no outcome', () => {
    const c = compareStep({}, { ret: 'errno', errno: 'ENOMEM', observation: obs }, obs);
    expect(c.ok).toBe(false);
    expect(c.observed).toEqual({ ret: 'errno', errno: 'ENOMEM' });
  });

  it('evaluates expressions on the observation after the step', () => {
    const c = compareStep({ observe: { CommitLimit: { expr: 'Committed_AS * 5' } } }, { ret: 'ok', observation: obs }, obs);
    expect(c.ok).toBe(true);
  });

  it('shows an absent field as absent', () => {
    const c = compareStep({ observe: { HugePages_Total: 0 } }, { ret: 'ok', observation: obs }, obs);
    expect(c).toMatchObject({ ok: false, observed: { HugePages_Total: '(absent)' } });
  });
});

describe('selection and reports', () => {
  it('filters by mechanism and id glob', () => {
    expect(globToRegExp('overcommit.mode?.*').test('overcommit.mode2.x')).toBe(true);
    const picked = selectScenarios(all, { filter: 'overcommit.*' });
    expect(picked.length).toBe(all.filter((s) => s.id.startsWith('overcommit.')).length);
    expect(selectScenarios(all, { mechanisms: ['nope'] })).toEqual([]);
  });

  it('writes the json and junit forms', async () => {
    const s = await runScenarios(new OracleImplementation(), all.slice(0, 3));
    const j = JSON.parse(jsonReport(s));
    expect(j).toMatchObject({ passed: s.passed, failed: 0, skipped: s.skipped });
    expect(j.scenarios[0]).toMatchObject({ id: all[0]!.id, mechanism: all[0]!.mechanism, status: expect.any(String) });
    expect(junitReport(s)).toMatch(/<testsuites name="mmspec mmspec-oracle" tests="3" failures="0"/);
    expect(summaryLine({ passed: 3, failed: 1, skipped: 2 })).toBe('3 passed, 1 failed, 0 flaky, 0 known divergences, 2 skipped');
    expect(summaryLine({ passed: 3, failed: 0, flaky: 2, knownDivergences: 1, skipped: 0 })).toBe('3 passed, 0 failed, 2 flaky, 1 known divergence, 0 skipped');
  });
});

describe('mmspec run', () => {
  it('prints a diff with the scenario id and citation for a failing step, and exits 1', () => {
    // A wrong table: anonymous private writable memory is charged, not free.
    const t = smallTable();
    (t.scenarios[0]!.steps[0]!.expect as { observe: Record<string, unknown> }).observe = { Committed_AS: { delta: 0 } };
    const r = cli(['run', '--no-spec-tables', '--tables', tempTables({ 'overcommit/a.json': t })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL overcommit.test.private-rw');
    expect(r.stdout).toContain('How It Works: "PRIVATE WRITABLE - size of mapping per instance"');
    expect(r.stdout).toMatch(/-\s+"Committed_AS \(delta\)": 0/);
    expect(r.stdout).toMatch(/\+\s+"Committed_AS \(delta\)": 65536/);
    expect(r.stdout.trim().split('\n').pop()).toBe('0 passed, 1 failed, 0 flaky, 0 known divergences, 0 skipped');
  });

  it('prints one JSON document with --reporter json', () => {
    const r = cli(['run', '--filter', 'overcommit.*', '--reporter', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.failed).toBe(0);
    expect(j.scenarios.length).toBe(all.filter((s) => s.id.startsWith('overcommit.')).length);
  });

  it('refuses unknown implementations and mechanisms clearly', () => {
    expect(cli(['run', '--impl', 'qemu-ish'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown implementation 'qemu-ish'") });
    expect(cli(['run', '--mechanism', 'ksmm'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown mechanism 'ksmm'") });
    expect(cli(['run', '--filter', 'zzz.*'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no scenario matches') });
  });

  it('lists scenarios and explains one with its trace and cited text', () => {
    const list = cli(['list', '--mechanism', 'overcommit']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(all[0]!.id);
    const ex = cli(['explain', all[0]!.id]);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toContain(`cites ${all[0]!.cites[0]!.doc ?? all[0]!.doc}`);
    expect(ex.stdout).toMatch(/ok\s+step 0:/);
    expect(cli(['explain', 'overcommit.nope']).stderr).toContain("no scenario 'overcommit.nope'");
  });
});

describe('reruns on real kernels', () => {
  // A kernel whose first answer to each scenario is off (noise), then right.
  class NoisyKernel extends OracleImplementation {
    private opened = 0;
    override async describe() {
      return { ...(await super.describe()), name: 'noisy', kernel: '6.18.0' };
    }
    override async open(p: Parameters<OracleImplementation['open']>[0]) {
      this.opened++;
      return super.open(p);
    }
    override async step(session: string, step: Parameters<OracleImplementation['step']>[1]) {
      const r = await super.step(session, step);
      return this.opened % 2 === 1 ? { ...r, observation: { ...r.observation, Committed_AS: (r.observation.Committed_AS as number) + 220 } } : r;
    }
  }

  it('call a mismatch that does not reproduce flaky, with every run and its diff, never passed', async () => {
    const [s] = loadScenarios(tempTables({ 'overcommit/a.json': smallTable() }));
    const r = await runScenarios(new NoisyKernel(), [s!]);
    expect(r).toMatchObject({ passed: 0, failed: 0, flaky: 1 });
    const res = r.results[0]!;
    expect(res.status).toBe('flaky');
    expect(res.attempts!.map((a) => a.status)).toEqual(['failed', 'passed', 'failed']);
    expect(res.attempts![0]!.diff).toMatch(/"Committed_AS \(delta\)": 65756/);
    expect(prettyResult(res, false)).toMatch(/FLKY[\s\S]*run 1: failed[\s\S]*run 2: passed/);
    expect(JSON.parse(jsonReport(r)).scenarios[0].attempts).toHaveLength(3);
    expect(summaryLine(r)).toContain('1 flaky');
  });

  it('count a mismatch that reproduces as failed, and say so', async () => {
    class WrongKernel extends NoisyKernel {
      override async step(session: string, step: Parameters<OracleImplementation['step']>[1]) {
        const r = await super.step(session, step);
        return { ...r, observation: { ...r.observation, Committed_AS: (r.observation.Committed_AS as number) + 4 } };
      }
    }
    const [s] = loadScenarios(tempTables({ 'overcommit/a.json': smallTable() }));
    const r = await runScenarios(new WrongKernel(), [s!]);
    expect(r.results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('reproduced in 3 runs') });
  });

  it('never rerun a model', async () => {
    const t = smallTable();
    (t.scenarios[0]!.steps[0]!.expect as { observe: Record<string, unknown> }).observe = { Committed_AS: { delta: 1 } };
    const [s] = loadScenarios(tempTables({ 'overcommit/a.json': t }));
    const r = await runScenarios(new OracleImplementation(), [s!]);
    expect(r.results[0]!.status).toBe('failed');
    expect(r.results[0]!.reason).not.toContain('reproduced');
  });
});
