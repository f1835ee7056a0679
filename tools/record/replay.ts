// Replays a kernel's recorded answers on the oracle, set up as that machine was and behaving
// as that kernel release, and lists where the two disagree: on the outcome of every step
// (ret, errno, signal, si_code, value) and on every observation field the row checks, in the
// way the row checks it (a change since the start, or the value).
import { OracleImplementation } from '../impl/oracle.ts';
import type { Observation, StepRequest, StepResult } from '../impl/types.ts';
import { divergenceFor, divergentExpect } from '../runner/run.ts';
import { mechanisms } from '../spec/mechanisms.ts';
import type { LoadedScenario } from '../spec/tables.ts';

/** Machine facts a model needs to stand in for a kernel: what its config.machine takes of an observation. */
export function machineOf(mechanism: string, start: Observation | undefined): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  for (const k of mechanisms().get(mechanism)?.machineFacts ?? []) if (start?.[k] !== undefined) facts[k] = start[k];
  return facts;
}

export interface Replayable {
  start?: Observation;
  steps: { request: StepRequest; result: StepResult }[];
}

const OUTCOME = ['ret', 'errno', 'signal', 'si_code', 'value'] as const;

/**
 * Differences between a kernel's recorded answers and the oracle's, step by step. s may be
 * null (a recorded sequence no row describes): then every observed field both report counts.
 */
export async function replayOnOracle(kernel: string, s: LoadedScenario | null, rec: Replayable, mechanism = s?.mechanism, config = s?.config ?? {}): Promise<string[]> {
  if (!mechanism) throw new Error('replayOnOracle needs a mechanism');
  const oracle = new OracleImplementation();
  const machine = { ...machineOf(mechanism, rec.start), ...((config.machine as object) ?? {}) };
  const opened = await oracle.open({ mechanism, config: { ...config, machine }, kernel, scenario: s?.id });
  if ('skip' in opened) return [`oracle skipped: ${opened.skip}`];
  const start = await oracle.observe(opened.session);
  const wide = mechanisms().get(mechanism)!.machineWide;
  const divergence = s ? divergenceFor(s, kernel) : undefined;
  const diffs: string[] = [];
  for (const [i, { request, result: real }] of rec.steps.entries()) {
    const where = `step ${i} ${request.proc ? `[${request.proc}] ` : ''}${request.op} ${JSON.stringify(request.args)}`;
    let model: StepResult;
    try {
      model = await oracle.step(opened.session, request);
    } catch (e) {
      diffs.push(`${where}: the oracle refused it: ${(e as Error).message}`);
      break;
    }
    for (const k of OUTCOME) if (model[k] !== real[k]) diffs.push(`${where}: ${k} kernel ${real[k]} oracle ${model[k]}`);
    // The fields the row checks at this step (the pinned ones too), or all that both report.
    const checked = s
      ? new Set([...Object.keys(s.steps[i]?.expect?.observe ?? {}), ...Object.keys((divergence && divergentExpect(s, divergence, i)?.observe) ?? {})])
      : new Set(Object.keys(real.observation).filter((f) => model.observation[f] !== undefined));
    for (const field of checked) {
      const delta = wide.has(field) || isDelta(s?.steps[i]?.expect?.observe?.[field]);
      const k = delta ? Number(real.observation[field]) - Number(rec.start?.[field]) : real.observation[field];
      const m = delta ? Number(model.observation[field]) - Number(start[field]) : model.observation[field];
      if (k !== m) diffs.push(`${where}: ${field}${delta ? ' (delta)' : ''} kernel ${k} oracle ${m}`);
    }
  }
  await oracle.close(opened.session);
  return diffs;
}

const isDelta = (want: unknown) => want !== null && typeof want === 'object' && 'delta' in want;
