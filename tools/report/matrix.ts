// The conformance matrix: mechanism × column, a column being a real kernel (its recordings,
// fixtures/kernels/<release>/<mechanism>.json) or a run report (mmspec run --reporter json).
// Each column holds every scenario outcome it has; a cell counts them by status.
import { basename } from 'node:path';
import { compareVersions, parseVersion } from '../../oracle/core/kernel.ts';
import { rowHash, type Recording } from '../record/recording.ts';
import type { LoadedScenario } from '../spec/tables.ts';
import { STATUSES, type RunReport, type RunReportScenario, type Status } from './inputs.ts';

export interface Outcome extends Omit<RunReportScenario, 'ms'> {
  /** A recording made against another version of the row (its hash differs). */
  stale?: boolean;
  /** Skipped because the kernel lacks what the scenario needs. */
  lacks?: boolean;
}

export interface Column {
  /** Stable, id-safe key. */
  key: string;
  label: string;
  kind: 'kernel' | 'run';
  /** Where it came from and what ran: files, implementation, dates (with the mechanism, where one file holds one). */
  sources: { mechanism?: string; text: string }[];
  outcomes: Map<string, Outcome>;
}

export type Counts = Record<Status, number>;

export interface Matrix {
  columns: Column[];
  mechanisms: string[];
}

export const emptyCounts = (): Counts => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Counts;

export function countsOf(col: Column, mechanism: string): Counts {
  const c = emptyCounts();
  for (const o of col.outcomes.values()) if (o.mechanism === mechanism) c[o.status]++;
  return c;
}

/** One column per kernel release recorded, oldest first. */
export function kernelColumns(recordings: { file: string; rec: Recording }[], rows: Map<string, LoadedScenario>): Column[] {
  const byKernel = new Map<string, { file: string; rec: Recording }[]>();
  for (const r of recordings) byKernel.set(r.rec.kernel, [...(byKernel.get(r.rec.kernel) ?? []), r]);
  const order = (k: string) => parseVersion(k) ?? [0, 0, 0];
  return [...byKernel.keys()]
    .sort((a, b) => compareVersions(order(a), order(b)) || a.localeCompare(b))
    .map((kernel, i) => {
      const outcomes = new Map<string, Outcome>();
      const sources: Column['sources'] = [];
      for (const { file, rec } of byKernel.get(kernel)!) {
        sources.push({ mechanism: rec.mechanism, text: `${file}: ${rec.implementation?.name ?? 'kernel'} ${rec.implementation?.version ?? ''}, recorded ${rec.recorded}`.replace(/ ,/g, ',') });
        for (const s of rec.scenarios) {
          const row = rows.get(s.id);
          outcomes.set(s.id, {
            id: s.id,
            mechanism: rec.mechanism,
            level: row?.level,
            layer: row?.layer,
            status: s.status as Status,
            reason: s.reason,
            attempts: s.attempts,
            lacks: s.lacks,
            stale: row ? rowHash(row) !== s.hash : undefined,
          });
        }
      }
      return { key: `k${i}`, label: kernel, kind: 'kernel' as const, sources, outcomes };
    });
}

/** One column per run report, in the order given; labels made unique. */
export function runColumns(reports: { file: string; report: RunReport }[], taken: string[] = []): Column[] {
  const used = new Set(taken);
  return reports.map(({ file, report }, i) => {
    const impl = report.implementation;
    const base = `${impl.name}${impl.kernel ? ` @ ${impl.kernel}` : ` as ${report.kernel}`}`;
    let label = used.has(base) ? `${base} (${basename(file)})` : base;
    for (let n = 2; used.has(label); n++) label = `${base} (${basename(file)} ${n})`;
    used.add(label);
    const outcomes = new Map<string, Outcome>();
    for (const { ms: _ms, ...s } of report.scenarios) outcomes.set(s.id, s);
    const sources = [{ text: `${file}: ${impl.name} ${impl.version ?? ''}, kernel ${impl.kernel ?? `${report.kernel} (a model)`}${report.interrupted ? ', interrupted' : ''}` }];
    return { key: `r${i}`, label, kind: 'run' as const, sources, outcomes };
  });
}

export function buildMatrix(columns: Column[], rows: LoadedScenario[]): Matrix {
  const mechanisms = new Set(rows.map((r) => r.mechanism));
  for (const c of columns) for (const o of c.outcomes.values()) mechanisms.add(o.mechanism);
  return { columns, mechanisms: [...mechanisms].sort() };
}
