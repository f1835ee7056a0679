// Replays a kernel's recorded scenario on the oracle, set up as that machine was, and
// lists where the two disagree on the fields the scenario checks.
import { OracleImplementation } from '../impl/oracle.ts';
import type { Observation } from '../impl/types.ts';
import type { LoadedScenario } from '../spec/tables.ts';
import type { RecordedScenario } from './recording.ts';

/** Machine facts a model needs to stand in for the recorded kernel. */
function machineOf(start: Observation): Record<string, number> {
  const facts: Record<string, number> = {};
  for (const k of ['MemTotal', 'SwapTotal', 'Hugepagesize', 'Committed_AS']) if (typeof start[k] === 'number') facts[k] = start[k] as number;
  return facts;
}

export async function replayOnOracle(kernel: string, s: LoadedScenario, rec: RecordedScenario): Promise<string[]> {
  const oracle = new OracleImplementation();
  const config = { ...(s.config ?? {}), machine: { ...machineOf(rec.start ?? {}), ...((s.config?.machine as object) ?? {}) } };
  const opened = await oracle.open({ mechanism: s.mechanism, config, kernel, scenario: s.id });
  if ('skip' in opened) return [`oracle skipped: ${opened.skip}`];
  const start = await oracle.observe(opened.session);
  const diffs: string[] = [];
  for (const [i, { request, result: real }] of rec.steps.entries()) {
    const model = await oracle.step(opened.session, request);
    const where = `step ${i} ${request.op} ${JSON.stringify(request.args)}`;
    for (const k of ['ret', 'errno', 'signal', 'si_code'] as const) {
      if (model[k] !== real[k]) diffs.push(`${where}: ${k} kernel ${real[k]} oracle ${model[k]}`);
    }
    // The fields the scenario checks at this step, compared the way it compares them.
    for (const [field, want] of Object.entries(s.steps[i]?.expect?.observe ?? {})) {
      const isDelta = want !== null && typeof want === 'object' && 'delta' in want;
      const k = isDelta ? Number(real.observation[field]) - Number(rec.start?.[field]) : real.observation[field];
      const m = isDelta ? Number(model.observation[field]) - Number(start[field]) : model.observation[field];
      if (k !== m) diffs.push(`${where}: ${field}${isDelta ? ' (delta)' : ''} kernel ${k} oracle ${m}`);
    }
  }
  await oracle.close(opened.session);
  return diffs;
}
