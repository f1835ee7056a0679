// mmspec report: one self-contained HTML page with the conformance matrix (recorded kernels and
// run reports), every scenario's outcomes, errata, known and fuzz-found divergences, and the
// documents' coverage.
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { findDocs, HOW_TO_PROVIDE_DOCS } from '../cite/docs.ts';
import { loadRecordings } from '../record/recording.ts';
import { coverage } from '../report/coverage.ts';
import { renderReport } from '../report/html.ts';
import { loadFuzzRows, loadRunReport } from '../report/inputs.ts';
import { buildMatrix, kernelColumns, runColumns } from '../report/matrix.ts';
import { loadScenarios, tablesFrom } from '../spec/tables.ts';
import { UserError } from './errors.ts';

export interface ReportFlags {
  out?: string;
  results?: string[];
  docs?: string;
  tables?: string[];
  specTables?: boolean;
  coverage?: boolean;
}

export const DEFAULT_REPORT = 'mmspec-report.html';

export function reportCommand(o: ReportFlags): number {
  // Inputs first, all of them, so that a mistake is reported before anything is written.
  const results = (o.results ?? []).map((file) => ({ file, report: loadRunReport(file) }));
  const dirs = tablesFrom(o);
  if (!dirs.length) throw new UserError('no tables: --no-spec-tables needs --tables DIR');
  const rows = loadScenarios(dirs);
  let docs = null;
  if (o.coverage !== false) {
    try {
      docs = findDocs(o.docs);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    if (!docs) throw new UserError(`${HOW_TO_PROVIDE_DOCS}; or leave the coverage out with --no-coverage`);
  }
  const fuzz = loadFuzzRows();
  const byId = new Map([...fuzz.rows, ...rows].map((r) => [r.id, r]));
  const kernels = kernelColumns(loadRecordings(), byId);
  const columns = [...kernels, ...runColumns(results, kernels.map((c) => c.label))];
  const html = renderReport({
    generated: new Date(),
    matrix: buildMatrix(columns, rows),
    rows,
    fuzzRows: fuzz.rows,
    fuzzDirs: fuzz.dirs,
    coverage: docs ? coverage(rows, docs) : null,
    docsLabel: docs?.label,
    tables: dirs.map((d) => relative(process.cwd(), d) || '.'),
  });
  const out = resolve(o.out ?? DEFAULT_REPORT);
  try {
    writeFileSync(out, html);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new UserError(`--out ${o.out ?? DEFAULT_REPORT}: cannot write the report (${why})`);
  }
  console.log(out);
  return 0;
}
