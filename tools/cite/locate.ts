// Where a citation's quote lies: the sections bearing the cited title, and each place in them
// (their normalised text, subsections included) where the quote occurs. Shared by the
// citation check and the document coverage.
import { normalise, sections, sectionText, type Section } from './rst.ts';

export interface QuoteHit {
  section: Section;
  /** The section's normalised text, subsections included. */
  text: string;
  /** Where the normalised quote starts and ends in text. */
  at: number;
  end: number;
}

export interface QuoteLookup {
  /** Sections whose title is the cited one (compared normalised). */
  matching: Section[];
  /** Every occurrence of the quote in those sections. */
  hits: QuoteHit[];
}

/** The sections titled title (whitespace-insensitively). */
export function sectionsTitled(all: Section[], title: string): Section[] {
  const t = normalise(title);
  return all.filter((s) => normalise(s.title) === t);
}

/** Every occurrence of quote in the sections of text titled section. */
export function locateQuote(text: string, section: string, quote: string, all: Section[] = sections(text)): QuoteLookup {
  const matching = sectionsTitled(all, section);
  const q = normalise(quote);
  const hits: QuoteHit[] = [];
  for (const sec of matching) {
    if (!q) {
      hits.push({ section: sec, text: '', at: 0, end: 0 }); // an empty quote is found anywhere, and covers nothing
      continue;
    }
    const body = normalise(sectionText(text, sec));
    for (let at = body.indexOf(q); at >= 0; at = body.indexOf(q, at + 1)) hits.push({ section: sec, text: body, at, end: at + q.length });
  }
  return { matching, hits };
}
