import { checkCitations } from '../cite/check.ts';
import { findDocs, HOW_TO_PROVIDE_DOCS } from '../cite/docs.ts';
import { coverage, formatCoverage } from '../report/coverage.ts';
import { UserError } from './errors.ts';
import { chooseScenarios, type SelectFlags } from './select.ts';
import { plural } from '../core/plural.ts';

export function citeCommand(o: SelectFlags & { docs?: string; coverage?: boolean }): number {
  const scenarios = chooseScenarios(o);
  let docs;
  try {
    docs = findDocs(o.docs);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (!docs) throw new UserError(HOW_TO_PROVIDE_DOCS);
  const report = checkCitations(scenarios, docs);
  console.log(`documents: ${docs.label}`);
  for (const p of report.problems) {
    console.log(`MISSING ${p.file}: scenario '${p.scenario}': ${p.doc} § ${p.section}: "${p.quote}"\n        ${p.problem}`);
  }
  console.log(`${plural(report.checked, 'quote')} checked, ${report.problems.length} missing`);
  if (o.coverage) console.log(formatCoverage(coverage(scenarios, docs)));
  return report.problems.length ? 1 : 0;
}
