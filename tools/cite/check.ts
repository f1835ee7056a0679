// Verifies every scenario's citations: the document exists, the section exists, and the
// quote appears in that section (whitespace-insensitively).
import type { LoadedScenario } from '../spec/tables.ts';
import type { DocSource } from './docs.ts';
import { normalise, sections, sectionText } from './rst.ts';

export interface CiteProblem {
  file: string;
  scenario: string;
  doc: string;
  section: string;
  quote: string;
  problem: string;
}

export interface CiteReport {
  checked: number;
  problems: CiteProblem[];
}

export function checkCitations(scenarios: LoadedScenario[], docs: DocSource): CiteReport {
  const texts = new Map<string, string | null>();
  const problems: CiteProblem[] = [];
  let checked = 0;
  for (const s of scenarios) {
    for (const c of s.cites) {
      checked++;
      const doc = c.doc ?? s.doc;
      if (!texts.has(doc)) texts.set(doc, docs.read(doc));
      const text = texts.get(doc);
      const report = (problem: string) => problems.push({ file: s.file, scenario: s.id, doc, section: c.section, quote: c.quote, problem });
      if (text == null) {
        report(`document not found in ${docs.label}`);
        continue;
      }
      const matching = sections(text).filter((x) => normalise(x.title) === normalise(c.section));
      if (!matching.length) {
        report(`no section '${c.section}' (sections: ${sections(text).map((x) => x.title).join(', ')})`);
        continue;
      }
      const q = normalise(c.quote);
      if (!matching.some((sec) => normalise(sectionText(text, sec)).includes(q))) {
        report(normalise(text).includes(q) ? `quote is in the document but not in section '${c.section}'` : 'quote not found in the document');
      }
    }
  }
  return { checked, problems };
}
