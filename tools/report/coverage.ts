// Document coverage: for each document the tables cite, every section and every normative
// sentence with the rows citing it. A row cites a sentence when one of its quotes, found in
// the section the citation names (as the citation check finds it: tools/cite/locate.ts), lies
// within that sentence or overlaps it. A section is covered when a row's quote is found in it
// or in one of its sentences. Sections with no prose of their own and no citation (a document
// title over its subsections) are listed but not counted.
import type { DocSource } from '../cite/docs.ts';
import { locateQuote } from '../cite/locate.ts';
import { normalise, sections, sectionText, type Section } from '../cite/rst.ts';
import type { LoadedScenario } from '../spec/tables.ts';
import { documentSentences, NORMATIVE_TERMS } from './sentences.ts';

export interface CiteRef {
  scenario: string;
  section: string;
  quote: string;
}

export interface SectionCoverage {
  title: string;
  level: number;
  /** Rows whose quotes lie in this section (its subsections left out). */
  citedBy: string[];
  /** Sentences and normative sentences of its own. */
  sentences: number;
  normative: number;
  /** Counted in the percentage: it has prose of its own, or a row cites it. */
  counted: boolean;
}

export interface SentenceCoverage {
  /** The section's title ('' before the first heading). */
  section: string;
  text: string;
  terms: string[];
  citedBy: string[];
}

export interface Ratio {
  covered: number;
  total: number;
}

export interface DocCoverage {
  doc: string;
  /** False when the Documentation tree has no such document. */
  found: boolean;
  sections: SectionCoverage[];
  /** The normative sentences, in document order. */
  normative: SentenceCoverage[];
  /** Rows citing this document. */
  rows: number;
  /** How many citations name a section or quote the document does not hold (the citation check's failures). */
  unplaced: number;
  totals: { sections: Ratio; normative: Ratio; sentences: Ratio };
}

export const percent = (r: Ratio) => (r.total ? Math.round((1000 * r.covered) / r.total) / 10 : 100);

/** Coverage of one document (its text) by some citations. */
export function documentCoverage(doc: string, text: string, cites: CiteRef[]): DocCoverage {
  const all = sections(text);
  const sentences = documentSentences(text, all);
  const citedBy = sentences.map(() => new Set<string>());
  const sectionCited = all.map(() => new Set<string>());

  // Where each sentence lies in the normalised text of a section that holds it (subsections included).
  const spanCache = new Map<number, ({ at: number; end: number } | null)[]>();
  const holds = (outer: Section, inner: number) => inner >= 0 && (all[inner] === outer || (all[inner]!.start > outer.start && all[inner]!.start <= outer.end && all[inner]!.level > outer.level));
  const spansIn = (si: number, body: string) => {
    let spans = spanCache.get(si);
    if (!spans) {
      let cursor = 0;
      spans = sentences.map((s) => {
        if (!holds(all[si]!, s.section)) return null;
        const at = body.indexOf(s.text, cursor);
        if (at < 0) return null;
        cursor = at + s.text.length;
        return { at, end: cursor };
      });
      spanCache.set(si, spans);
    }
    return spans;
  };

  let unplaced = 0;
  const rows = new Set<string>();
  for (const c of cites) {
    rows.add(c.scenario);
    const { hits } = locateQuote(text, c.section, c.quote, all);
    if (!hits.length) unplaced++;
    for (const hit of hits) {
      const si = all.indexOf(hit.section);
      const spans = spansIn(si, hit.text);
      const q = hit.text.slice(hit.at, hit.end);
      sentences.forEach((s, k) => {
        if (!holds(hit.section, s.section)) return;
        const span = spans[k];
        const overlaps = span ? span.at < hit.end && hit.at < span.end : q.length > 0 && (s.text.includes(q) || q.includes(s.text));
        if (overlaps) {
          citedBy[k]!.add(c.scenario);
          sectionCited[s.section]!.add(c.scenario);
        }
      });
      // The quote lies in the section named, even where it overlaps no sentence (a literal block, a term).
      const own = normalise(ownText(text, all, si));
      if (q && own.includes(q)) sectionCited[si]!.add(c.scenario);
    }
  }

  const sectionRows: SectionCoverage[] = all.map((s, i) => {
    const own = sentences.filter((x) => x.section === i);
    return {
      title: s.title,
      level: s.level,
      citedBy: [...sectionCited[i]!].sort(),
      sentences: own.length,
      normative: own.filter((x) => x.terms.length).length,
      counted: own.length > 0 || sectionCited[i]!.size > 0,
    };
  });
  const normative: SentenceCoverage[] = sentences
    .map((s, k) => ({ section: s.section >= 0 ? all[s.section]!.title : '', text: s.text, terms: s.terms, citedBy: [...citedBy[k]!].sort() }))
    .filter((s) => s.terms.length);
  const counted = sectionRows.filter((s) => s.counted);
  return {
    doc,
    found: true,
    sections: sectionRows,
    normative,
    rows: rows.size,
    unplaced,
    totals: {
      sections: { covered: counted.filter((s) => s.citedBy.length).length, total: counted.length },
      normative: { covered: normative.filter((s) => s.citedBy.length).length, total: normative.length },
      sentences: { covered: citedBy.filter((c) => c.size).length, total: sentences.length },
    },
  };
}

/** A section's own text: up to its first subsection. */
function ownText(text: string, all: Section[], i: number): string {
  const s = all[i]!;
  const child = all[i + 1] && all[i + 1]!.level > s.level && all[i + 1]!.start <= s.end ? all[i + 1]! : undefined;
  return sectionText(text, { ...s, end: child ? child.start - 2 : s.end });
}

/** Coverage of every document the scenarios cite, in the order first cited. */
export function coverage(scenarios: LoadedScenario[], docs: DocSource): DocCoverage[] {
  const byDoc = new Map<string, CiteRef[]>();
  for (const s of scenarios) {
    for (const c of s.cites) {
      const doc = c.doc ?? s.doc;
      byDoc.set(doc, [...(byDoc.get(doc) ?? []), { scenario: s.id, section: c.section, quote: c.quote }]);
    }
  }
  return [...byDoc].map(([doc, cites]) => {
    const text = docs.read(doc);
    if (text == null) {
      const none = { covered: 0, total: 0 };
      return { doc, found: false, sections: [], normative: [], rows: new Set(cites.map((c) => c.scenario)).size, unplaced: cites.length, totals: { sections: none, normative: none, sentences: none } };
    }
    return documentCoverage(doc, text, cites);
  });
}

/** The first words of a sentence, never the whole of a long one. */
export function firstWords(text: string, n = 8): string {
  const words = text.split(' ');
  return words.length <= n ? text : `${words.slice(0, n).join(' ')} …`;
}

/** The coverage as text, for `mmspec cite --coverage`: numbers, and the uncited normative sentences by their first words. */
export function formatCoverage(docs: DocCoverage[]): string {
  const lines: string[] = [];
  for (const d of docs) {
    if (!d.found) {
      lines.push(`${d.doc}: not found in the Documentation tree`);
      continue;
    }
    const t = d.totals;
    lines.push(
      `${d.doc}: sections covered ${t.sections.covered}/${t.sections.total} (${percent(t.sections)}%), ` +
        `normative sentences cited ${t.normative.covered}/${t.normative.total} (${percent(t.normative)}%), ` +
        `${d.rows} rows`,
    );
    const uncited = d.normative.filter((s) => !s.citedBy.length);
    if (uncited.length) {
      lines.push('  uncited normative sentences:');
      for (const s of uncited) lines.push(`    ${s.section ? `§ ${s.section}: ` : ''}"${firstWords(s.text)}" [${s.terms.join(', ')}]`);
    }
    const bare = d.sections.filter((s) => s.counted && !s.citedBy.length);
    if (bare.length) lines.push(`  sections no row cites: ${bare.map((s) => s.title).join('; ')}`);
  }
  lines.push(`normative terms: ${NORMATIVE_TERMS.join(', ')}`);
  return lines.join('\n');
}
