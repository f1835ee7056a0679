// Verifies every scenario's citations: the document exists, the section exists, and the
// quote appears in that section (whitespace-insensitively).
import type { LoadedScenario } from '../spec/tables.ts';
import type { DocSource } from './docs.ts';
import { normalise, sections } from './rst.ts';
import { locateQuote } from './locate.ts';

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
      const all = sections(text);
      const { matching, hits } = locateQuote(text, c.section, c.quote, all);
      if (!matching.length) {
        report(`no section '${c.section}' (sections: ${all.map((x) => x.title).join(', ')})`);
        continue;
      }
      if (!hits.length) {
        report(normalise(text).includes(normalise(c.quote)) ? `quote is in the document but not in section '${c.section}'` : 'quote not found in the document');
      }
    }
  }
  return { checked, problems };
}
