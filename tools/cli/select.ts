// The scenarios a command works on: the tables (spec/tables, --tables), narrowed by --mechanism
// and --filter. An unknown mechanism or a filter matching nothing is the user's mistake.
import { selectScenarios } from '../runner/run.ts';
import { loadScenarios, tablesFrom, type LoadedScenario } from '../spec/tables.ts';
import { UserError } from './errors.ts';

export interface SelectFlags {
  mechanism?: string[];
  /** Globs over ids (an id is a glob matching itself). */
  filter?: string | string[];
  tables?: string[];
  specTables?: boolean;
}

export function chooseScenarios(o: SelectFlags): LoadedScenario[] {
  const all = loadScenarios(tablesFrom(o));
  const known = [...new Set(all.map((s) => s.mechanism))];
  for (const m of o.mechanism ?? []) if (!known.includes(m)) throw new UserError(`unknown mechanism '${m}' (known: ${known.join(', ')})`);
  const scenarios = selectScenarios(all, { mechanisms: o.mechanism, filter: o.filter });
  const filters = [o.filter ?? []].flat();
  if (!scenarios.length) throw new UserError(`no scenario matches${filters.length ? ` --filter ${filters.join(',')}` : ''}${o.mechanism?.length ? ` in ${o.mechanism.join(', ')}` : ''}`);
  return scenarios;
}
