// The sentences of a reStructuredText document, each with the section it belongs to (the
// innermost one), and which of them are normative. Literal blocks (after a paragraph ending
// in "::"), comments and directives ("..") and heading adornments are not prose; bullet
// items, line-block lines and definition bodies are units of their own (a definition's term
// is not a sentence); units are cut into sentences at ". ", "! ", "? " before a capital, a
// digit or an opening mark, but not after common abbreviations (e.g., i.e., etc.).
import { normalise, sections, type Section } from '../cite/rst.ts';

/**
 * What makes a sentence normative: it states an obligation, a prohibition, a guarantee or a
 * certainty. Matched as whole words, case-insensitively ("READ-only" is not "only").
 */
export const NORMATIVE_TERMS: readonly string[] = [
  'must', 'must not', 'shall', 'shall not', 'should', 'should not', 'will', 'will not', "won't",
  'never', 'cannot', 'can not', "can't", 'may not', 'always', 'only', 'required', 'requires',
  'guarantee', 'guarantees', 'guaranteed', 'not permitted', 'not allowed',
];

const TERM_RE = new RegExp(
  `(?<![\\w-])(${[...NORMATIVE_TERMS].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).join('|')})(?![\\w-])`,
  'gi',
);

/** The normative terms a sentence uses (lower case, in order, each once). */
export function normativeTerms(sentence: string): string[] {
  const found = [...sentence.matchAll(TERM_RE)].map((m) => m[1]!.toLowerCase().replace(/\s+/g, ' '));
  return [...new Set(found)];
}

export interface Sentence {
  /** Index into the document's sections (sections(text)), -1 before the first heading. */
  section: number;
  /** Normalised text (whitespace folded, inline-literal marks and line-block bars dropped). */
  text: string;
  /** Normative terms it uses; empty when it is not normative. */
  terms: string[];
}

const ADORNMENT = /^([=\-~^"'`#*+:.])\1{2,}\s*$/;
const BULLET = /^\s*(?:[-*+•]|#\.|\d+[.)]|\(?[a-zA-Z0-9]\))\s+\S/;
const LINE_BLOCK = /^\s*\|(?:\s|$)/;
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'vs', 'cf', 'fig', 'approx', 'no', 'resp', 'al']);

const indentOf = (line: string) => line.length - line.trimStart().length;

/** Cuts one unit of prose (already normalised) into sentences. */
export function splitSentences(unit: string): string[] {
  const out: string[] = [];
  let from = 0;
  // A new sentence starts with a capital, a digit, an opening mark or a function's name ("foo() does").
  const re = /[.!?]["')\]]*\s+(?=[A-Z0-9"'(`*\[]|[a-z_]\w*\(\))/g;
  for (let m = re.exec(unit); m; m = re.exec(unit)) {
    const before = unit.slice(from, m.index).split(/\s/).pop()!.toLowerCase().replace(/^[("'`]+/, '');
    if (unit[m.index] === '.' && ABBREVIATIONS.has(before)) continue;
    out.push(unit.slice(from, m.index + m[0].trimEnd().length).trim());
    from = m.index + m[0].length;
  }
  const rest = unit.slice(from).trim();
  if (rest) out.push(rest);
  return out.filter(Boolean);
}

/** The prose units (bullet items, line-block lines, definition bodies, paragraphs) of some lines. */
function unitsOf(lines: string[]): string[][] {
  const units: string[][] = [];
  // After a paragraph ending in "::" (indented so deep): the next block is a literal block, and
  // so are the blocks after it indented deeper than that paragraph.
  let literalAfter: number | null = null;
  let inLiteral = false;
  let block: string[] = [];
  const flush = () => {
    if (!block.length) return;
    const first = indentOf(block[0]!);
    if (literalAfter !== null && (!inLiteral || first > literalAfter)) {
      inLiteral = true;
      block = [];
      return;
    }
    literalAfter = null;
    inLiteral = false;
    let unit: string[] = [];
    const push = () => {
      if (unit.length) units.push(unit);
      unit = [];
    };
    block.forEach((line, i) => {
      const prev = block[i - 1];
      const next = block[i + 1];
      const isTerm = next !== undefined && indentOf(next) > indentOf(line) && !BULLET.test(line) && !LINE_BLOCK.test(line) && !/[.:;,]\s*$/.test(line);
      if (isTerm) {
        push(); // a definition's term is no sentence
        return;
      }
      const starts = !prev || BULLET.test(line) || LINE_BLOCK.test(line) || LINE_BLOCK.test(prev) || indentOf(line) < indentOf(prev)
        || (indentOf(line) > indentOf(prev) && !BULLET.test(unit[0] ?? ''));
      if (starts) push();
      unit.push(line);
    });
    push();
    if (block.at(-1)!.trimEnd().endsWith('::')) literalAfter = first;
    block = [];
  };
  for (const line of lines) {
    if (!line.trim()) flush();
    else if (ADORNMENT.test(line) || /^\s*\.\.(\s|$)/.test(line)) {
      // comments, directives and labels ("..") and stray adornments are not prose
      flush();
    } else block.push(line);
  }
  flush();
  return units;
}

/** Every sentence of a document, in order, with its section and normative terms. */
export function documentSentences(text: string, all: Section[] = sections(text)): Sentence[] {
  const lines = text.split('\n');
  // Each section's own lines: from its heading to its first subsection's title (or its end).
  const spans: { section: number; from: number; to: number }[] = [];
  const firstTitle = all.length ? all[0]!.start - 2 : lines.length;
  spans.push({ section: -1, from: 0, to: Math.max(0, firstTitle) });
  all.forEach((s, i) => {
    const child = all[i + 1] && all[i + 1]!.level > s.level && all[i + 1]!.start <= s.end ? all[i + 1]! : undefined;
    spans.push({ section: i, from: s.start, to: child ? child.start - 2 : s.end });
  });
  const out: Sentence[] = [];
  for (const { section, from, to } of spans) {
    for (const unit of unitsOf(lines.slice(from, Math.max(from, to)))) {
      const prose = normalise(unit.map((l) => l.replace(/^\s*(?:[-*+•]|#\.|\d+[.)]|\(?[a-zA-Z0-9]\))\s+/, '')).join('\n'));
      for (const s of splitSentences(prose)) if (/[a-z]/i.test(s)) out.push({ section, text: s, terms: normativeTerms(s) });
    }
  }
  return out;
}
