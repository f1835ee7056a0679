// Loads the scenario tables and checks them: the table schema, then each scenario against
// its mechanism (config, ops, layers, observation names, expressions), then unique ids.
// Every problem is reported with file, scenario id, step index and JSON path.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { projectRoot } from '../paths.ts';
import { mechanismRoots } from '../core/roots.ts';
import { filesUnder } from '../core/files.ts';
import { ajv, describeErrors } from './ajv.ts';
import { CheckedTables } from './checked.ts';
import { hasObservationField, mechanisms, type MechanismSpec } from './mechanisms.ts';
import { namesIn, ExprError, isExpr } from '../core/expr.ts';
import type { ScenarioTable, Scenario, Step, KnownDivergence } from '../../spec/types/table.ts';
import tableSchema from '../../spec/schemas/table.schema.json' with { type: 'json' };

export type { ScenarioTable, Scenario, Step, KnownDivergence };

export interface LoadedScenario extends Scenario {
  mechanism: string;
  /** Path of the table file, relative to the project root. */
  file: string;
  /** The table's document; cites without their own doc refer to it. */
  doc: string;
}

export interface TableProblem {
  file: string;
  scenario?: string;
  step?: number;
  path: string;
  message: string;
}

export function formatProblem(p: TableProblem): string {
  const where = [p.file, p.scenario && `scenario '${p.scenario}'`, p.step !== undefined && `step ${p.step}`]
    .filter(Boolean)
    .join(': ');
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export class TableError extends Error {
  constructor(readonly problems: TableProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'TableError';
  }
}

let tableValidator: ReturnType<typeof ajv.compile> | undefined;

export function tablesDir(): string {
  return join(projectRoot(), 'spec', 'tables');
}

/** spec/tables of the project and of every other mechanism root (MMSPEC_MECHANISMS). */
export function specTableDirs(): string[] {
  return mechanismRoots().map((r) => join(r, 'spec', 'tables')).filter((d) => existsSync(d));
}

/** The tables a command works on: spec/tables (unless left out) and the folders (or files) given. */
export function tablesFrom(o: { tables?: string[]; specTables?: boolean }): string[] {
  return [...(o.specTables === false ? [] : specTableDirs()), ...(o.tables ?? [])];
}

/**
 * Loads every table under dir (default spec/tables), or under each of several folders.
 * Throws TableError listing every problem found, ids repeated across the folders included.
 */
export function loadScenarios(dir: string | string[] = specTableDirs()): LoadedScenario[] {
  const problems: TableProblem[] = [];
  const scenarios: LoadedScenario[] = [];
  const checked = CheckedTables.open();
  for (const d of Array.isArray(dir) ? dir : [dir]) {
    if (!existsSync(d)) {
      problems.push({ file: d, path: '', message: 'no such folder' });
      continue;
    }
    const files = statSync(d).isFile() ? [basename(d)] : filesUnder(d, '.json');
    const base = statSync(d).isFile() ? dirname(d) : d;
    if (files.length === 0) problems.push({ file: d, path: '', message: 'no scenario tables (*.json) found' });
    for (const rel of files) {
      const abs = join(base, rel);
      const file = abs.startsWith(`${projectRoot()}/`) ? relative(projectRoot(), abs) : abs;
      const before = checked?.stamp(abs) ?? null;
      const count = problems.length;
      const loaded = loadTableFile(abs, file, problems, () => !!checked?.isClean(abs, before));
      if (loaded) scenarios.push(...loaded);
      if (loaded && problems.length === count) checked?.found(abs, before);
    }
  }
  checked?.save();
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const prev = seen.get(s.id);
    if (prev) problems.push({ file: s.file, scenario: s.id, path: '/id', message: `duplicate id (also in ${prev})` });
    else seen.set(s.id, s.file);
  }
  if (problems.length) throw new TableError(problems);
  return scenarios;
}

/** A table's scenarios, or null; its problems are added to problems. Asked after reading, foundClean lets the checks be skipped. */
function loadTableFile(path: string, file: string, problems: TableProblem[], foundClean?: () => boolean): LoadedScenario[] | null {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    problems.push({ file, path: '', message: `not valid JSON: ${(e as Error).message}` });
    return null;
  }
  if (foundClean?.()) {
    const table = data as ScenarioTable;
    return table.scenarios.map((s) => ({ ...s, mechanism: table.mechanism, file, doc: table.doc }));
  }
  const validateTable = (tableValidator ??= ajv.compile(tableSchema));
  const broken = new Set<number>();
  const valid = validateTable(data);
  if (!valid) {
    for (const e of validateTable.errors ?? []) {
      const [line] = describeErrors([e]);
      if (!line) continue;
      const cut = line.indexOf(': ');
      const where = line.slice(0, cut);
      const message = line.slice(cut + 2);
      const m = /^\/scenarios\/(\d+)(?:\/steps\/(\d+))?(.*)$/.exec(where);
      const scenarioId = m ? (data as ScenarioTable).scenarios?.[Number(m[1])]?.id : undefined;
      if (m) broken.add(Number(m[1]));
      problems.push({
        file,
        scenario: typeof scenarioId === 'string' ? scenarioId : m ? `#${m[1]}` : undefined,
        step: m?.[2] !== undefined ? Number(m[2]) : undefined,
        path: m ? m[3] || '/' : where || '/',
        message,
      });
    }
    // Problems outside the scenarios leave nothing to check further; otherwise the sound
    // scenarios are still checked against the mechanism, so that one run lists every problem.
    if (![...(validateTable.errors ?? [])].every((e) => /^\/scenarios\/\d+/.test(e.instancePath))) return null;
  }
  const table = data as unknown as ScenarioTable;
  const mech = mechanisms().get(table.mechanism);
  if (!mech) {
    problems.push({ file, path: '/mechanism', message: `unknown mechanism '${table.mechanism}' (known: ${[...mechanisms().keys()].join(', ')})` });
    return null;
  }
  const loaded = table.scenarios.map((s, i) => {
    if (!broken.has(i)) checkScenario(s, mech, file, problems);
    return { ...s, mechanism: table.mechanism, file, doc: table.doc };
  });
  return valid ? loaded : null;
}

function checkScenario(s: Scenario, mech: MechanismSpec, file: string, problems: TableProblem[]): void {
  const at = (path: string, message: string, step?: number) => problems.push({ file, scenario: s.id, step, path, message });
  // describeErrors gives "JSON/PATH: message"; keep the two apart.
  const atLine = (line: string, step?: number) => {
    const cut = line.indexOf(': ');
    at(line.slice(0, cut), line.slice(cut + 2), step);
  };
  if (!s.id.startsWith(`${mech.name}.`)) at('/id', `must start with '${mech.name}.'`);
  if (!mech.validateConfig(s.config ?? {})) {
    for (const line of describeErrors(mech.validateConfig.errors, '/config')) atLine(line);
  }
  const fields = { has: (f: string) => hasObservationField(mech, f) };
  const checkNames = (expr: string, path: string, step?: number) => {
    try {
      for (const name of namesIn(expr)) {
        const field = name.startsWith('start.') ? name.slice(6) : name;
        if (!fields.has(field)) at(path, `expression reads unknown observation '${name}'`, step);
      }
    } catch (e) {
      if (e instanceof ExprError) at(path, e.message, step);
      else throw e;
    }
  };
  (s.divergences ?? []).forEach((d, k) => {
    for (const [j, a] of (d.answers ?? []).entries()) {
      const path = `/divergences/${k}/answers/${j}`;
      if (a.step >= s.steps.length) at(`${path}/step`, `no step ${a.step} (the scenario has ${s.steps.length})`);
      for (const f of Object.keys(a.observe ?? {})) if (!fields.has(f)) at(`${path}/observe/${f}`, `unknown ${mech.name} observation`);
    }
  });
  s.steps.forEach((step, i) => {
    const op = mech.ops.get(step.op);
    if (!op) {
      at('/op', `unknown ${mech.name} op '${step.op}' (known: ${[...mech.ops.keys()].join(', ')})`, i);
      return;
    }
    if (s.layer === 'abi' && op.layer !== 'abi') at('/op', `'${step.op}' is an internal op; an abi scenario may use only abi ops`, i);
    const args = step.args ?? {};
    if (!op.validateArgs(args)) for (const line of describeErrors(op.validateArgs.errors, '/args')) atLine(line, i);
    for (const [k, v] of Object.entries(args)) {
      if (isExpr(v)) checkNames(String(v.expr), `/args/${k}/expr`, i);
    }
    for (const [k, v] of Object.entries(step.expect?.observe ?? {})) {
      if (!fields.has(k)) at(`/expect/observe/${k}`, `unknown ${mech.name} observation (known: ${[...mech.observationFields, ...mech.observationPatterns.map((p) => `/${p.source}/`)].join(', ')})`, i);
      if (isExpr(v)) checkNames(v.expr, `/expect/observe/${k}/expr`, i);
    }
  });
}
