// Recorded real-kernel observations: fixtures/kernels/<release>/<mechanism>.json.
// Every abi scenario's concrete steps with the kernel's answers, so that every test run
// can compare the oracle with real kernels without root or QEMU.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { globSync } from 'glob';
import { projectRoot } from '../paths.ts';
import type { ImplementationInfo, Observation, StepRequest, StepResult } from '../impl/types.ts';
import type { RunSummary } from '../runner/run.ts';

export interface RecordedScenario {
  id: string;
  status: string;
  reason?: string;
  start?: Observation;
  steps: { request: StepRequest; result: StepResult }[];
}

export interface Recording {
  kernel: string;
  mechanism: string;
  implementation: ImplementationInfo;
  recorded: string;
  scenarios: RecordedScenario[];
}

export const recordingsDir = () => join(projectRoot(), 'fixtures', 'kernels');

/** Writes one file per mechanism; returns their paths. */
export function writeRecordings(summary: RunSummary, when = new Date()): string[] {
  const release = summary.implementation.kernel;
  if (!release) throw new Error(`${summary.implementation.name} is a model, not a kernel: nothing to record`);
  const byMech = new Map<string, RecordedScenario[]>();
  for (const r of summary.results) {
    if (r.layer !== 'abi') continue; // skips are kept, with their reason
    const steps = (r.trace ?? []).map((t) => ({ request: t.step, result: t.result }));
    byMech.set(r.mechanism, [...(byMech.get(r.mechanism) ?? []), { id: r.id, status: r.status, reason: r.reason, start: r.start, steps }]);
  }
  const files: string[] = [];
  for (const [mechanism, scenarios] of byMech) {
    const dir = join(recordingsDir(), release);
    mkdirSync(dir, { recursive: true });
    const rec: Recording = { kernel: release, mechanism, implementation: summary.implementation, recorded: when.toISOString(), scenarios };
    const file = join(dir, `${mechanism}.json`);
    writeFileSync(file, `${JSON.stringify(rec, null, 1)}\n`);
    files.push(file);
  }
  return files;
}

export function loadRecordings(): { file: string; rec: Recording }[] {
  return globSync('*/*.json', { cwd: recordingsDir() })
    .sort()
    .map((f) => ({ file: `fixtures/kernels/${f}`, rec: JSON.parse(readFileSync(join(recordingsDir(), f), 'utf8')) as Recording }));
}
