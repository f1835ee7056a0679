import { relative } from 'node:path';
import { resolveImplementation } from '../impl/resolve.ts';
import { projectRoot } from '../paths.ts';
import { writeRecordings } from '../record/recording.ts';
import { prettyFooter, prettyResult } from '../runner/report.ts';
import { runScenarios, selectScenarios } from '../runner/run.ts';
import { loadScenarios } from '../spec/tables.ts';
import { UserError } from './errors.ts';

export async function recordCommand(o: { impl: string; mechanism?: string[]; timeout: string; allowHostChanges?: boolean }): Promise<number> {
  const scenarios = selectScenarios(loadScenarios(), { mechanisms: o.mechanism }).filter((s) => s.layer === 'abi');
  if (!scenarios.length) throw new UserError('no abi scenarios to record');
  const impl = await resolveImplementation(o.impl, { timeoutMs: Number(o.timeout) * 1000, allowHostChanges: o.allowHostChanges });
  try {
    const info = await impl.describe();
    if (!info.kernel) throw new UserError(`${info.name} is a model, not a kernel: record real kernels (--impl linux, --impl qemu:…)`);
    console.log(`mmspec: recording ${scenarios.length} abi scenarios on kernel ${info.kernel}`);
    const summary = await runScenarios(impl, scenarios, { trace: true, onResult: (r) => console.log(prettyResult(r, true)) });
    const command = (m: string) => `${o.impl === 'linux' ? 'sudo npx mmspec record --impl linux --allow-host-changes' : `npx mmspec record --impl ${o.impl}`} --mechanism ${m}`;
    for (const f of writeRecordings(summary, scenarios, command)) console.log(`wrote ${relative(projectRoot(), f)}`);
    console.log(prettyFooter(summary));
    return summary.failed === 0 ? 0 : 1;
  } finally {
    await impl.dispose?.();
  }
}
