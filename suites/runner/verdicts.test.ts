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
import { runScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { ROOT, smallTable, tempTables } from '../helpers.ts';

/** A "kernel" that answers as the oracle, off by `extra` kB of Committed_AS from the first step on. */
class OffKernel extends OracleImplementation {
  constructor(private readonly extra: number) {
    super();
  }
  override async describe() {
    return { ...(await super.describe()), name: 'off', kernel: '6.18.1' };
  }
  override async step(session: string, step: StepRequest) {
    const r = await super.step(session, step);
    return { ...r, observation: { ...r.observation, Committed_AS: (r.observation.Committed_AS as number) + this.extra } };
  }
}

/** smallTable whose row carries a known divergence pinning step 0 at 65540 kB on >=6.18. */
function divergentRow() {
  const t = smallTable();
  Object.assign(t.scenarios[0]!, {
    divergences: [{ kernels: '>=6.18', summary: 'charges 4 kB more', evidence: ['a test'], answers: [{ step: 0, observe: { Committed_AS: { delta: 65540 } } }] }],
  });
  (t.scenarios[0]!.steps[1]!.expect as { observe: Record<string, unknown> }).observe = {};
  return loadScenarios(tempTables({ 'overcommit/a.json': t }));
}

describe('known divergences, pinned', () => {
  it('are known divergences when the kernel answers exactly what they pin', async () => {
    const r = await runScenarios(new OffKernel(4), divergentRow(), { retries: 0 });
    expect(r.results[0]).toMatchObject({ status: 'known-divergence', step: 0, divergence: { kernels: '>=6.18' } });
    expect(r.knownDivergences).toBe(1);
  });

  it('fail, with the pinned and the documented expectation, when the kernel answers anything else', async () => {
    const r = await runScenarios(new OffKernel(8), divergentRow(), { retries: 0 });
    const res = r.results[0]!;
    expect(res.status).toBe('failed');
    expect(res.reason).toContain('differs from both the document and the known divergence');
    expect(res.diff).toMatch(/as the known divergence pins it[\s\S]*-\s+"Committed_AS \(delta\)": 65540[\s\S]*\+\s+"Committed_AS \(delta\)": 65544/);
  });

  it('pass with a note when the document holds on an affected kernel (the fix may have landed)', async () => {
    const r = await runScenarios(new OffKernel(0), divergentRow(), { retries: 0 });
    expect(r.results[0]).toMatchObject({ status: 'passed', note: expect.stringContaining('did not show') });
  });

  it('are refused in a table when they pin a step the row does not have', () => {
    const t = smallTable();
    Object.assign(t.scenarios[0]!, { divergences: [{ kernels: '*', summary: 'x', evidence: ['y'], answers: [{ step: 9, ret: 'ok' }] }] });
    expect(() => loadScenarios(tempTables({ 'overcommit/a.json': t }))).toThrow(/divergences\/0\/answers\/0\/step: no step 9/);
  });
});

describe('failures are named where they happened', () => {
  const [row] = loadScenarios(tempTables({ 'overcommit/a.json': smallTable() }));
  const broken = (mode: string) => execImplementation(`"${process.execPath}" "${join(ROOT, 'fixtures/impls/broken/broken.mjs')}" ${mode}`, 5000);

  it('a batch that fails at its second step names that step, and keeps the first step answer', async () => {
    const impl = broken('mid-batch');
    try {
      const r = await runScenarios(impl, [row!], { trace: true });
      const res = r.results[0]!;
      expect(res).toMatchObject({ status: 'failed', step: 1 });
      expect(res.reason).toContain('at step 1 (munmap), after 0:mmap');
      expect(res.reason).toContain('step 1 broke the machine');
      expect(res.trace!.map((t) => t.step.op)).toEqual(['mmap']);
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
  two.scenarios.push({ ...two.scenarios[0]!, id: 'overcommit.test.second' });
  const rows = loadScenarios(tempTables({ 'overcommit/a.json': two }));
  afterEach(() => {
    delete process.env.MMSPEC_FAULT;
  });

  it('a step that throws fails that scenario, names the step and the error, and the run goes on', async () => {
    process.env.MMSPEC_FAULT = 'throws';
    const impl = await loadModuleImplementation(join(ROOT, 'fixtures/impls/faulty/faulty.ts'));
    const r = await runScenarios(impl, rows);
    expect(r.results.map((x) => x.status)).toEqual(['failed', 'failed']);
    expect(r.results[0]!.reason).toMatch(/step\(\) threw TypeError: Cannot read properties of undefined[\s\S]*at step 1 \(munmap\)/);
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
  const [row] = loadScenarios(tempTables({ 'overcommit/a.json': smallTable() }));

  it('notice a row changed since it was recorded: other pages, other expectations', () => {
    const t = smallTable();
    const pages = structuredClone(t);
    (pages.scenarios[0]!.steps[0]!.args as Record<string, unknown>).pages = 8192;
    (pages.scenarios[0]!.steps[0]!.expect as { observe: Record<string, unknown> }).observe = { Committed_AS: { delta: 32768 } };
    const [changed] = loadScenarios(tempTables({ 'overcommit/a.json': pages }));
    expect(rowHash(changed!)).not.toBe(rowHash(row!));
    expect(rowHash(loadScenarios(tempTables({ 'overcommit/a.json': t }))[0]!)).toBe(rowHash(row!));
  });

  it('are replayed comparing values too', async () => {
    const [statfs] = loadScenarios().filter((s) => s.steps.some((st) => st.op === 'statfs' && st.expect?.value !== undefined));
    const oracle = new OracleImplementation();
    const r = await runScenarios(oracle, [statfs!], { trace: true });
    const rec = { start: r.results[0]!.start, steps: r.results[0]!.trace!.map((t) => ({ request: t.step, result: t.result })) };
    expect(await replayOnOracle('6.18', statfs!, rec)).toEqual([]);
    const i = rec.steps.findIndex((st) => st.request.op === 'statfs');
    rec.steps[i] = { ...rec.steps[i]!, result: { ...rec.steps[i]!.result, value: 99 } };
    expect((await replayOnOracle('6.18', statfs!, rec)).join('\n')).toMatch(/statfs .*: value kernel 99 oracle/);
  });
});
