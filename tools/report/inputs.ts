// What a report is made from: run reports (mmspec run --reporter json), checked for their
// shape so that a wrong file is named with what is wrong; the recordings of real kernels;
// and the rows the fuzzer kept (fixtures/divergences/<mechanism>/*.json, if any).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../cli/errors.ts';
import { mechanismRoots } from '../core/roots.ts';
import type { ImplementationInfo } from '../impl/types.ts';
import type { Attempt } from '../runner/run.ts';
import { loadScenarios, type KnownDivergence, type LoadedScenario } from '../spec/tables.ts';
import { projectRoot } from '../paths.ts';

export const STATUSES = ['passed', 'failed', 'flaky', 'known-divergence', 'skipped'] as const;
export type Status = (typeof STATUSES)[number];

/** One scenario of a run report, as jsonReport (tools/runner/report.ts) writes it. */
export interface RunReportScenario {
  id: string;
  mechanism: string;
  level?: string;
  layer?: string;
  status: Status;
  reason?: string;
  diff?: string;
  step?: number;
  note?: string;
  attempts?: Attempt[];
  switches?: string[];
  divergence?: Pick<KnownDivergence, 'kernels' | 'summary'>;
  ms?: number;
}

export interface RunReport {
  implementation: ImplementationInfo;
  kernel: string;
  interrupted?: boolean;
  scenarios: RunReportScenario[];
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** What keeps data from being a run report, or null when it is one. */
export function runReportProblem(data: unknown): string | null {
  if (!isObject(data)) return 'the top level is not an object';
  const impl = data.implementation;
  if (!isObject(impl) || typeof impl.name !== 'string') return "no 'implementation' with a name";
  if (typeof data.kernel !== 'string') return "no 'kernel'";
  if (!Array.isArray(data.scenarios)) return "no 'scenarios' list";
  for (const [i, s] of data.scenarios.entries()) {
    if (!isObject(s)) return `scenarios[${i}] is not an object`;
    if (typeof s.id !== 'string' || typeof s.mechanism !== 'string') return `scenarios[${i}] has no id or mechanism`;
    if (!STATUSES.includes(s.status as Status)) return `scenarios[${i}] (${s.id}) has status ${JSON.stringify(s.status)}, not one of ${STATUSES.join(', ')}`;
    for (const k of ['diff', 'reason', 'note'] as const) if (s[k] !== undefined && typeof s[k] !== 'string') return `scenarios[${i}] (${s.id}): '${k}' is not text`;
  }
  return null;
}

/** Reads a run report; anything else is the user's mistake, named with the file. */
export function loadRunReport(file: string): RunReport {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new UserError(`--results ${file}: is a folder, not a run report file`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`--results ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (e as Error).message})`}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`--results ${file}: not valid JSON (${(e as Error).message})`);
  }
  const problem = runReportProblem(data);
  if (problem) throw new UserError(`--results ${file}: not a run report from 'mmspec run --reporter json': ${problem}`);
  return data as RunReport;
}

/** The fuzzer's rows of every mechanism root: fixtures/divergences/<mechanism>/*.json. None yet is fine. */
export function loadFuzzRows(): { rows: LoadedScenario[]; dirs: string[] } {
  const dirs: string[] = [];
  for (const root of mechanismRoots()) {
    const base = join(root, 'fixtures', 'divergences');
    if (!existsSync(base)) continue;
    for (const m of readdirSync(base).sort()) {
      const dir = join(base, m);
      if (statSync(dir).isDirectory() && readdirSync(dir).some((f) => f.endsWith('.json'))) dirs.push(dir);
    }
  }
  return { rows: dirs.length ? loadScenarios(dirs) : [], dirs: dirs.map((d) => relative(projectRoot(), d) || d) };
}
