// Just enough reStructuredText: section headings and their extents, and normalised text
// for whitespace-insensitive quote matching.

export interface Section {
  title: string;
  level: number;
  /** Line range [start, end) of the section's body, subsections included. */
  start: number;
  end: number;
}

const ADORNMENT = /^([=\-~^"'`#*+:.])\1{2,}\s*$/;

/** Headings: a text line underlined (optionally overlined) with one repeated punctuation character. */
export function sections(text: string): Section[] {
  const lines = text.split('\n');
  const styles: string[] = [];
  const found: { title: string; level: number; line: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const under = lines[i]!;
    const title = lines[i - 1]!.trim();
    if (!ADORNMENT.test(under) || !title || ADORNMENT.test(lines[i - 1]!) || under.trim().length < title.length) continue;
    const over = i >= 2 && lines[i - 2]!.trim() === under.trim();
    const style = `${over ? 'o' : ''}${under.trim()[0]}`;
    if (!styles.includes(style)) styles.push(style);
    found.push({ title, level: styles.indexOf(style), line: i + 1 });
  }
  return found.map((h, k) => {
    const next = found.slice(k + 1).find((n) => n.level <= h.level);
    return { title: h.title, level: h.level, start: h.line, end: next ? next.line - 2 : lines.length };
  });
}

/** Text with markup that a quote may leave out (line-block bars, inline literals) and whitespace folded. */
export function normalise(text: string): string {
  return text
    .replace(/^\s*\| /gm, ' ')
    .replace(/``/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function sectionText(text: string, s: Section): string {
  return text.split('\n').slice(s.start, s.end).join('\n');
}

/** The paragraph (blank-line separated block) holding a quote, for explain. */
export function paragraphOf(text: string, quote: string): string | null {
  const q = normalise(quote);
  return text.split(/\n\s*\n/).find((p) => normalise(p).includes(q))?.trim() ?? null;
}
