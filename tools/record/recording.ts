// Recorded real-kernel observations: fixtures/kernels/<release>/<mechanism>.json.
// Every abi scenario's concrete steps with the kernel's answers, so that every test run
// can compare the oracle with real kernels without root or QEMU. Each recorded scenario
// carries a hash of the row it ran, so a changed row is noticed, never silently trusted.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { globSync } from 'glob';
import { projectRoot } from '../paths.ts';
import { CORE_KCONFIG, probeMechanisms } from '../probe/registry.ts';
import type { ImplementationInfo, Observation, StepRequest, StepResult } from '../impl/types.ts';
import type { Attempt, RunSummary } from '../runner/run.ts';
import type { LoadedScenario } from '../spec/tables.ts';

export interface RecordedScenario {
  id: string;
  /** rowHash of the row when it was recorded. */
  hash: string;
  status: string;
  reason?: string;
  /** Skipped because the kernel lacks what it needs. */
  lacks?: boolean;
  /** Flaky: every run. */
  attempts?: Attempt[];
  start?: Observation;
  steps: { request: StepRequest; result: StepResult }[];
}

export interface Recording {
  kernel: string;
  mechanism: string;
  implementation: ImplementationInfo;
  recorded: string;
  /** The command that makes this file again. */
  command: string;
  scenarios: RecordedScenario[];
}

export const recordingsDir = () => join(projectRoot(), 'fixtures', 'kernels');

/** JSON with object keys in order, so equal rows give equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** What a recording depends on in a row: its config, its steps and expectations, its kernel range and divergences. */
export function rowHash(s: LoadedScenario): string {
  const steps = s.steps.map(({ op, args, proc, expect }) => ({ op, args, proc, expect }));
  const divergences = (s.divergences ?? []).map(({ kernels, answers }) => ({ kernels, answers }));
  return createHash('sha256').update(canonical({ config: s.config ?? {}, kernels: s.kernels, steps, divergences })).digest('hex').slice(0, 16);
}

/** Writes one file per mechanism; returns their paths. */
export function writeRecordings(summary: RunSummary, scenarios: LoadedScenario[], command: (mechanism: string) => string, when = new Date()): string[] {
  const release = summary.implementation.kernel;
  if (!release) throw new Error(`${summary.implementation.name} is a model, not a kernel: nothing to record`);
  const rows = new Map(scenarios.map((s) => [s.id, s]));
  const byMech = new Map<string, RecordedScenario[]>();
  for (const r of summary.results) {
    if (r.layer !== 'abi') continue; // skips are kept, with their reason
    const steps = (r.trace ?? []).map((t) => ({ request: t.step, result: t.result }));
    const rec: RecordedScenario = { id: r.id, hash: rowHash(rows.get(r.id)!), status: r.status, reason: r.reason, lacks: r.lacks, attempts: r.attempts, start: r.start, steps };
    byMech.set(r.mechanism, [...(byMech.get(r.mechanism) ?? []), rec]);
  }
  const files: string[] = [];
  for (const [mechanism, recs] of byMech) {
    const dir = join(recordingsDir(), release);
    mkdirSync(dir, { recursive: true });
    const rec: Recording = { kernel: release, mechanism, implementation: about(summary.implementation, mechanism), recorded: when.toISOString(), command: command(mechanism), scenarios: recs };
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

/**
 * What a recording keeps of the kernel's self-description: the mechanism and those it uses,
 * and the config bits they (or every mechanism) care about; a recording names nothing else.
 */
function about(info: ImplementationInfo, mechanism: string): ImplementationInfo {
  const probe = probeMechanisms();
  const own = probe.find((m) => m.name === mechanism);
  const related = new Set([mechanism, ...(own?.uses ?? []), ...probe.filter((m) => m.uses.includes(mechanism)).map((m) => m.name)]);
  const bits = new Set([...CORE_KCONFIG, ...probe.filter((m) => related.has(m.name)).flatMap((m) => m.kernelConfig)]);
  const config = info.config ? Object.fromEntries(Object.entries(info.config).filter(([k]) => bits.has(k))) : undefined;
  return { ...info, mechanisms: info.mechanisms.filter((m) => related.has(m)), ...(config ? { config } : {}) };
}
