// How the runner judges: known divergences pinned to exact answers, failures named at the
// step they happened (in a batch, at open), module implementations held to the protocol's
// contract, and recordings that notice a changed row.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execImplementation } from '../../tools/impl/exec.ts';
import { loadModuleImplementation } from '../../tools/impl/module.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import type { StepRequest } from '../../tools/impl/types.ts';
import { rowHash } from '../../tools/record/recording.ts';
import { replayOnOracle } from '../../tools/record/replay.ts';
import { prettyResult } from '../../tools/runner/report.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { ROOT, smallTable, tempTables, EXAMPLE, exampleFile } from '../helpers.ts';

/** A "kernel" that answers as the oracle, its scale factor off by `extra` from the first step on. */
class OffKernel extends OracleImplementation {
  constructor(private readonly extra: number) {
    super();
  }
  override async describe() {
    return { ...(await super.describe()), name: 'off', kernel: '6.18.1' };
  }
  override async step(session: string, step: StepRequest) {
    const r = await super.step(session, step);
    return { ...r, observation: { ...r.observation, watermark_scale_factor: (r.observation.watermark_scale_factor as number) + this.extra } };
  }
}

/** smallTable whose row carries a known divergence pinning step 0 at +194 (documented: +190) on >=6.18. */
function divergentRow() {
  const t = smallTable();
  Object.assign(t.scenarios[0]!, {
    divergences: [{ kernels: '>=6.18', summary: 'takes 4 more than written', evidence: ['a test'], answers: [{ step: 0, observe: { watermark_scale_factor: { delta: 194 } } }] }],
  });
  t.scenarios[0]!.steps[1]!.expect = { errno: 'EINVAL' };
  return loadScenarios(tempTables({ [exampleFile()]: t }));
}

describe('known divergences, pinned', () => {
  it('are known divergences when the kernel answers exactly what they pin', async () => {
    const r = await runScenarios(new OffKernel(4), divergentRow(), { retries: 0 });
    expect(r.results[0]).toMatchObject({ status: 'known-divergence', step: 0, divergence: { kernels: '>=6.18' } });
    expect(r.knownDivergences).toBe(1);
  });

  it('show as one entry without their diff unless -v; the diff is there for whoever reads it (reports, -v)', async () => {
    const r = await runScenarios(new OffKernel(4), divergentRow(), { retries: 0 });
    const res = r.results[0]!;
    expect(prettyResult(res, false)).not.toContain('watermark_scale_factor (delta)');
    expect(prettyResult(res, false)).toContain('known divergence of kernels >=6.18: takes 4 more than written');
    // The document's expectation against the kernel's answer: +190 written, +194 answered.
    expect(prettyResult(res, true)).toMatch(/-\s+"watermark_scale_factor \(delta\)": 190[\s\S]*\+\s+"watermark_scale_factor \(delta\)": 194/);
    expect(JSON.parse(JSON.stringify(res)).diff).toBe(res.diff);
    expect({ ...res }.diff).toContain('+  "watermark_scale_factor (delta)": 194');
  });

  it('fail, with the pinned and the documented expectation, when the kernel answers anything else', async () => {
    const r = await runScenarios(new OffKernel(8), divergentRow(), { retries: 0 });
    const res = r.results[0]!;
    expect(res.status).toBe('failed');
    expect(res.reason).toContain('differs from both the document and the known divergence');
    expect(res.diff).toMatch(/as the known divergence pins it[\s\S]*-\s+"watermark_scale_factor \(delta\)": 194[\s\S]*\+\s+"watermark_scale_factor \(delta\)": 198/);
  });

  it('pass with a note when the document holds on an affected kernel (the fix may have landed)', async () => {
    const r = await runScenarios(new OffKernel(0), divergentRow(), { retries: 0 });
    expect(r.results[0]).toMatchObject({ status: 'passed', note: expect.stringContaining('did not show') });
  });

  it('are refused in a table when they pin a step the row does not have', () => {
    const t = smallTable();
    Object.assign(t.scenarios[0]!, { divergences: [{ kernels: '*', summary: 'x', evidence: ['y'], answers: [{ step: 9, ret: 'ok' }] }] });
    expect(() => loadScenarios(tempTables({ [exampleFile()]: t }))).toThrow(/divergences\/0\/answers\/0\/step: no step 9/);
  });
});

describe('failures are named where they happened', () => {
  const [row] = loadScenarios(tempTables({ [exampleFile()]: smallTable() }));
  const broken = (mode: string) => execImplementation(`"${process.execPath}" "${join(ROOT, 'fixtures/impls/broken/broken.mjs')}" ${mode}`, 5000);

  it('a batch that fails at its second step names that step, and keeps the first step answer', async () => {
    const impl = broken('mid-batch');
    try {
      const r = await runScenarios(impl, [row!], { trace: true });
      const res = r.results[0]!;
      expect(res).toMatchObject({ status: 'failed', step: 1 });
      expect(res.reason).toContain('at step 1 (set_scale), after 0:set_scale');
      expect(res.reason).toContain('step 1 broke the machine');
      expect(res.trace!.map((t) => t.step.op)).toEqual(['set_scale']);
    } finally {
      await impl.dispose();
    }
  });

  it('a failure at open says so, not "step 0 (no answer)"', async () => {
    const impl = broken('open-fails');
    try {
      const res = (await runScenarios(impl, [row!])).results[0]!;
      expect(res.status).toBe('failed');
      expect(res.reason).toContain('at open (before any step)');
      expect(res.reason).not.toContain('no answer');
      expect(res.step).toBeUndefined();
    } finally {
      await impl.dispose();
    }
  });
});

describe('module implementations with ordinary bugs', () => {
  const two = smallTable();
  two.scenarios.push({ ...two.scenarios[0]!, id: `${EXAMPLE}.test.second` });
  const rows = loadScenarios(tempTables({ [exampleFile()]: two }));
  afterEach(() => {
    delete process.env.MMSPEC_FAULT;
  });

  it('a step that throws fails that scenario, names the step and the error, and the run goes on', async () => {
    process.env.MMSPEC_FAULT = 'throws';
    const impl = await loadModuleImplementation(join(ROOT, 'fixtures/impls/faulty/faulty.ts'));
    const r = await runScenarios(impl, rows);
    expect(r.results.map((x) => x.status)).toEqual(['failed', 'failed']);
    expect(r.results[0]!.reason).toMatch(/step\(\) threw TypeError: Cannot read properties of undefined[\s\S]*at step 1 \(set_scale\)/);
  });

  it('a step answered in the wrong shape fails that scenario with what is wrong', async () => {
    process.env.MMSPEC_FAULT = 'bad-ret';
    const impl = await loadModuleImplementation(join(ROOT, 'fixtures/impls/faulty/faulty.ts'));
    const r = await runScenarios(impl, rows);
    expect(r.results.map((x) => x.status)).toEqual(['failed', 'failed']);
    expect(r.results[0]!.reason).toMatch(/step\(\) answered in the wrong shape: \/ret: must be one of/);
  });
});

describe('recordings', () => {
  const [row] = loadScenarios(tempTables({ [exampleFile()]: smallTable() }));

  it('notice a row changed since it was recorded: another value written, other expectations', () => {
    const t = smallTable();
    const other = structuredClone(t);
    other.scenarios[0]!.steps[0]!.args.value = 300;
    other.scenarios[0]!.steps[0]!.expect = { observe: { watermark_scale_factor: { delta: 290 } } };
    const [changed] = loadScenarios(tempTables({ [exampleFile()]: other }));
    expect(rowHash(changed!)).not.toBe(rowHash(row!));
    expect(rowHash(loadScenarios(tempTables({ [exampleFile()]: t }))[0]!)).toBe(rowHash(row!));
  });

  it('are replayed comparing values too', async () => {
    // A row of the worked example whose step answers with a value (a read of the factor).
    const [valued] = loadScenarios().filter((s) => s.mechanism === EXAMPLE && s.steps.some((st) => st.expect?.value !== undefined));
    const oracle = new OracleImplementation();
    const r = await runScenarios(oracle, [valued!], { trace: true });
    const rec = { start: r.results[0]!.start, steps: r.results[0]!.trace!.map((t) => ({ request: t.step, result: t.result })) };
    expect(await replayOnOracle('6.18', valued!, rec)).toEqual([]);
    const i = valued!.steps.findIndex((st) => st.expect?.value !== undefined);
    const op = valued!.steps[i]!.op;
    rec.steps[i] = { ...rec.steps[i]!, result: { ...rec.steps[i]!.result, value: 99 } };
    expect((await replayOnOracle('6.18', valued!, rec)).join('\n')).toMatch(new RegExp(`${op} .*: value kernel 99 oracle ${valued!.steps[i]!.expect!.value}`));
  });
});
