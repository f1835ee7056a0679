// The runner with the oracle: every table passes, and what a failure report carries.
import { describe, expect, it } from 'vitest';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { compareStep } from '../../tools/runner/compare.ts';
import { jsonReport, junitReport, prettyResult, summaryLine } from '../../tools/runner/report.ts';
import { globToRegExp, runScenarios, selectScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { cli, smallTable, tempTables, EXAMPLE, exampleFile } from '../helpers.ts';

const all = loadScenarios();
// The worked example's rows: the mechanism the generic tests run on.
const example = all.filter((s) => s.mechanism === EXAMPLE);
const row = smallTable().scenarios[0]!;

describe('the oracle against every table', () => {
  it('passes every scenario it can run, skipping none', async () => {
    const s = await runScenarios(new OracleImplementation(), all);
    const failed = s.results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.reason}\n${r.diff ?? ''}`);
    expect(failed).toEqual([]);
    expect(example.length).toBeGreaterThan(0);
    // The oracle behaves as a kernel release: where that release has a known divergence it answers
    // exactly as the row pins it (a known divergence), as the kernel does; nothing else.
    expect(s.passed + s.knownDivergences + s.skipped).toBe(all.length);
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
  // An observation of the worked example, plus a field no step names.
  const obs = { watermark_scale_factor: 1000, unnamed: 7 };

  it('compares only the named fields, with deltas from the start', () => {
    const c = compareStep({ observe: { watermark_scale_factor: { delta: 600 } } }, { ret: 'ok', observation: obs }, { watermark_scale_factor: 400, unnamed: 0 });
    expect(c.ok).toBe(true);
    expect(c.expected).toEqual({ ret: 'ok', 'watermark_scale_factor (delta)': 600 });
    expect(compareStep({ observe: { watermark_scale_factor: { delta: 600 } } }, { ret: 'ok', observation: obs }, { watermark_scale_factor: 10, unnamed: 7 }).ok).toBe(false);
  });

  it('expects success when the step names no outcome', () => {
    const c = compareStep({}, { ret: 'errno', errno: 'ENOMEM', observation: obs }, obs);
    expect(c.ok).toBe(false);
    expect(c.observed).toEqual({ ret: 'errno', errno: 'ENOMEM' });
  });

  it('evaluates expressions on the observation after the step', () => {
    const start = { watermark_scale_factor: 200, unnamed: 7 };
    const c = compareStep({ observe: { watermark_scale_factor: { expr: 'floor(unnamed / 7) * 1000' } } }, { ret: 'ok', observation: obs }, start);
    expect(c.ok).toBe(true);
    // Read after the step (1000 - 1), not at the start (200 - 1).
    const off = compareStep({ observe: { watermark_scale_factor: { expr: 'watermark_scale_factor - 1' } } }, { ret: 'ok', observation: obs }, start);
    expect(off).toMatchObject({ ok: false, expected: { watermark_scale_factor: 999 }, observed: { watermark_scale_factor: 1000 } });
  });

  it('shows an absent field as absent', () => {
    const c = compareStep({ observe: { min_free_kbytes: 0 } }, { ret: 'ok', observation: obs }, obs);
    expect(c).toMatchObject({ ok: false, observed: { min_free_kbytes: '(absent)' } });
  });
});

describe('selection and reports', () => {
  it('filters by mechanism and id glob', () => {
    expect(globToRegExp(`${EXAMPLE}.sc?le.*`).test(`${EXAMPLE}.scale.x`)).toBe(true);
    expect(globToRegExp(`${EXAMPLE}.sc?le.*`).test(`${EXAMPLE}.scaale.x`)).toBe(false);
    const picked = selectScenarios(all, { filter: `${EXAMPLE}.*` });
    expect(picked.length).toBe(all.filter((s) => s.id.startsWith(`${EXAMPLE}.`)).length);
    expect(picked.length).toBeGreaterThan(0);
    expect(selectScenarios(all, { mechanisms: [EXAMPLE] }).map((s) => s.id)).toEqual(example.map((s) => s.id));
    expect(selectScenarios(all, { mechanisms: ['nope'] })).toEqual([]);
  });

  it('writes the json and junit forms', async () => {
    const s = await runScenarios(new OracleImplementation(), example);
    const j = JSON.parse(jsonReport(s));
    expect(j).toMatchObject({ passed: example.length, failed: 0, skipped: 0 });
    expect(j.scenarios[0]).toMatchObject({ id: example[0]!.id, mechanism: EXAMPLE, status: 'passed' });
    expect(junitReport(s)).toMatch(new RegExp(`<testsuites name="mmspec mmspec-oracle" tests="${example.length}" failures="0"`));
    expect(summaryLine({ passed: 3, failed: 1, skipped: 2 })).toBe('3 passed, 1 failed, 0 flaky, 0 known divergences, 2 skipped');
    expect(summaryLine({ passed: 3, failed: 0, flaky: 2, knownDivergences: 1, skipped: 0 })).toBe('3 passed, 0 failed, 2 flaky, 1 known divergence, 0 skipped');
  });
});

describe('mmspec run', () => {
  it('prints a diff with the scenario id and citation for a failing step, and exits 1', () => {
    // A wrong table: a factor in range is taken (10 to 200, +190), not left as it was.
    const t = smallTable();
    t.scenarios[0]!.steps[0]!.expect = { observe: { watermark_scale_factor: { delta: 0 } } };
    const r = cli(['run', '--no-spec-tables', '--tables', tempTables({ [exampleFile()]: t })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL ${row.id}`);
    expect(r.stdout).toContain('General: "taking ``vm.watermark_scale_factor`` sysctl into account"');
    expect(r.stdout).toMatch(/-\s+"watermark_scale_factor \(delta\)": 0/);
    expect(r.stdout).toMatch(/\+\s+"watermark_scale_factor \(delta\)": 190/);
    expect(r.stdout.trim().split('\n').pop()).toBe('0 passed, 1 failed, 0 flaky, 0 known divergences, 0 skipped');
  });

  it('prints one JSON document with --reporter json', () => {
    const r = cli(['run', '--filter', `${EXAMPLE}.*`, '--reporter', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.failed).toBe(0);
    expect(j.scenarios.map((x: { id: string }) => x.id)).toEqual(example.map((s) => s.id));
  });

  it('refuses unknown implementations and mechanisms clearly', () => {
    expect(cli(['run', '--impl', 'qemu-ish'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown implementation 'qemu-ish'") });
    expect(cli(['run', '--mechanism', 'nosuchmech'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown mechanism 'nosuchmech'") });
    expect(cli(['run', '--filter', 'zzz.*'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no scenario matches') });
  });

  it('lists scenarios and explains one with its trace and cited text', () => {
    const list = cli(['list', '--mechanism', EXAMPLE]);
    expect(list.code).toBe(0);
    for (const s of example) expect(list.stdout).toContain(s.id);
    const ex = cli(['explain', example[0]!.id]);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toContain(`cites ${example[0]!.cites[0]!.doc ?? example[0]!.doc}`);
    expect(ex.stdout).toMatch(/ok\s+step 0:/);
    expect(cli(['explain', `${EXAMPLE}.nope`]).stderr).toContain(`no scenario '${EXAMPLE}.nope'`);
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
      return this.opened % 2 === 1 ? { ...r, observation: { ...r.observation, watermark_scale_factor: (r.observation.watermark_scale_factor as number) + 220 } } : r;
    }
  }

  it('call a mismatch that does not reproduce flaky, with every run and its diff, never passed', async () => {
    const [s] = loadScenarios(tempTables({ [exampleFile()]: smallTable() }));
    const r = await runScenarios(new NoisyKernel(), [s!]);
    expect(r).toMatchObject({ passed: 0, failed: 0, flaky: 1 });
    const res = r.results[0]!;
    expect(res.status).toBe('flaky');
    expect(res.attempts!.map((a) => a.status)).toEqual(['failed', 'passed', 'failed']);
    // 10 → 200 is +190; the noise adds 220.
    expect(res.attempts![0]!.diff).toMatch(/"watermark_scale_factor \(delta\)": 410/);
    expect(prettyResult(res, false)).toMatch(/FLKY[\s\S]*run 1: failed[\s\S]*run 2: passed/);
    expect(JSON.parse(jsonReport(r)).scenarios[0].attempts).toHaveLength(3);
    expect(summaryLine(r)).toContain('1 flaky');
  });

  it('count a mismatch that reproduces as failed, and say so', async () => {
    class WrongKernel extends NoisyKernel {
      override async step(session: string, step: Parameters<OracleImplementation['step']>[1]) {
        const r = await super.step(session, step);
        return { ...r, observation: { ...r.observation, watermark_scale_factor: (r.observation.watermark_scale_factor as number) + 4 } };
      }
    }
    const [s] = loadScenarios(tempTables({ [exampleFile()]: smallTable() }));
    const r = await runScenarios(new WrongKernel(), [s!]);
    expect(r.results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('reproduced in 3 runs') });
  });

  it('never rerun a model', async () => {
    const t = smallTable();
    t.scenarios[0]!.steps[0]!.expect = { observe: { watermark_scale_factor: { delta: 1 } } };
    const [s] = loadScenarios(tempTables({ [exampleFile()]: t }));
    const r = await runScenarios(new OracleImplementation(), [s!]);
    expect(r.results[0]!.status).toBe('failed');
    expect(r.results[0]!.reason).not.toContain('reproduced');
  });
});
