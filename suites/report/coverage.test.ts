// Document coverage: which sentences are normative, how a document is cut into sections and
// sentences, and which sentences a row's quotes cite. Made-up documents only.
import { describe, expect, it } from 'vitest';
import { documentCoverage, firstWords, formatCoverage, percent } from '../../tools/report/coverage.ts';
import { documentSentences, normativeTerms, splitSentences } from '../../tools/report/sentences.ts';

const DOC = [
  '.. SPDX-License-Identifier: GPL-2.0',
  '',
  '==========',
  'Frobnicate',
  '==========',
  '',
  'Frobs are counted per widget.',
  '',
  'Setup',
  '=====',
  '',
  'The counter must be reset before use.  A reset takes',
  'no time at all. It never fails, e.g. when idle.',
  '',
  'Setting it up::',
  '',
  '  the counter must not appear here: it is code',
  '',
  '- Each widget should hold one frob.',
  '- A widget holds READ-only frobs too.',
  '',
  'mode',
  ' The mode may not change while frobs are held.',
  '',
  ' | first line of a block',
  ' | second line will do',
  '',
  'Details',
  '-------',
  '',
  'The counter must be reset before use.',
  '',
  'Teardown',
  '========',
  '',
  'Teardown will release every frob.',
  '',
].join('\n');

describe('normative sentences', () => {
  it('are those using a term of obligation, prohibition or certainty, as whole words', () => {
    expect(normativeTerms('The counter MUST be reset.')).toEqual(['must']);
    expect(normativeTerms('It may not change and will not fail.')).toEqual(['may not', 'will not']);
    expect(normativeTerms("You can't and shouldn't; it cannot.")).toEqual(["can't", 'cannot']);
    expect(normativeTerms('A READ-only mapping of mustard, willingly.')).toEqual([]);
    expect(normativeTerms('Only root; it always\nworks.')).toEqual(['only', 'always']);
  });

  it('are cut at full stops before a capital, but not after an abbreviation', () => {
    expect(splitSentences('One. Two? Three! four, e.g. Five. region_chg() runs. 6 ends.')).toEqual([
      'One.', 'Two?', 'Three! four, e.g. Five.', 'region_chg() runs.', '6 ends.',
    ]);
  });
});

describe('sentences of a document', () => {
  const sentences = documentSentences(DOC);
  const texts = sentences.map((s) => s.text);

  it('belong to their innermost section; comments, literal blocks and terms are no prose', () => {
    expect(sentences.map((s) => [s.section, s.text])).toEqual([
      [0, 'Frobs are counted per widget.'],
      [1, 'The counter must be reset before use.'],
      [1, 'A reset takes no time at all.'],
      [1, 'It never fails, e.g. when idle.'],
      [1, 'Setting it up::'],
      [1, 'Each widget should hold one frob.'],
      [1, 'A widget holds READ-only frobs too.'],
      [1, 'The mode may not change while frobs are held.'],
      [1, 'first line of a block'],
      [1, 'second line will do'],
      [2, 'The counter must be reset before use.'],
      [3, 'Teardown will release every frob.'],
    ]);
    expect(texts.join(' ')).not.toContain('code');
    expect(texts).not.toContain('mode');
  });

  it('carry their normative terms', () => {
    expect(sentences.filter((s) => s.terms.length).map((s) => s.terms.join(','))).toEqual(['must', 'never', 'should', 'may not', 'will', 'must', 'will']);
  });
});

describe('coverage of a document', () => {
  const cite = (scenario: string, section: string, quote: string) => ({ scenario, section, quote });

  it('a quote inside a sentence, whitespace-insensitively, cites it', () => {
    const c = documentCoverage('d.rst', DOC, [cite('a.inside', 'Setup', 'It never\n   fails,')]);
    const cited = c.normative.filter((s) => s.citedBy.length);
    expect(cited.map((s) => [s.section, s.text, s.citedBy])).toEqual([['Setup', 'It never fails, e.g. when idle.', ['a.inside']]]);
    expect(c.totals.sentences.covered).toBe(1);
  });

  it('a quote overlapping two sentences cites both', () => {
    const c = documentCoverage('d.rst', DOC, [cite('a.across', 'Setup', 'before use. A reset')]);
    expect(c.totals.sentences.covered).toBe(2);
    expect(c.normative.filter((s) => s.citedBy.length).map((s) => s.text)).toEqual(['The counter must be reset before use.']);
  });

  it('a quote in another section than the one named does not count', () => {
    // The quote is in Teardown, the citation names Setup: no sentence is cited (the check reports it).
    const c = documentCoverage('d.rst', DOC, [cite('a.wrong', 'Setup', 'will release every frob')]);
    expect(c.normative.every((s) => s.citedBy.length === 0)).toBe(true);
    expect(c.unplaced).toBe(1);
    expect(c.sections.every((s) => s.citedBy.length === 0)).toBe(true);
  });

  it('the same words in two sections: only the sentence of the section named is cited', () => {
    const c = documentCoverage('d.rst', DOC, [cite('a.details', 'Details', 'must be reset before use')]);
    expect(c.normative.filter((s) => s.citedBy.length).map((s) => s.section)).toEqual(['Details']);
    // A section's text holds its subsections': naming Setup finds the words in Setup and in Details.
    const p = documentCoverage('d.rst', DOC, [cite('a.setup', 'Setup', 'must be reset before use')]);
    expect(p.normative.filter((s) => s.citedBy.length).map((s) => s.section)).toEqual(['Setup', 'Details']);
  });

  it('a quote in a subsection, cited by its parent section, cites the subsection\'s sentence', () => {
    const c = documentCoverage('d.rst', DOC, [cite('a.parent', 'Frobnicate', 'Teardown will release')]);
    expect(c.normative.filter((s) => s.citedBy.length).map((s) => s.section)).toEqual(['Teardown']);
    expect(c.sections.find((s) => s.title === 'Teardown')!.citedBy).toEqual(['a.parent']);
  });

  it('counts sections and normative sentences per document', () => {
    const c = documentCoverage('d.rst', DOC, [cite('a.one', 'Setup', 'should hold one frob'), cite('a.two', 'Teardown', 'Teardown will')]);
    expect(c.sections.map((s) => [s.title, s.citedBy.length, s.counted])).toEqual([
      ['Frobnicate', 0, true], ['Setup', 1, true], ['Details', 0, true], ['Teardown', 1, true],
    ]);
    expect(c.totals.sections).toEqual({ covered: 2, total: 4 });
    expect(c.totals.normative).toEqual({ covered: 2, total: 7 });
    expect(percent(c.totals.normative)).toBe(28.6);
    expect(c.rows).toBe(2);
  });

  it('a quote in a literal block still covers its section, though no sentence', () => {
    const c = documentCoverage('d.rst', DOC, [cite('a.code', 'Setup', 'it is code')]);
    expect(c.totals.sentences.covered).toBe(0);
    expect(c.sections.find((s) => s.title === 'Setup')!.citedBy).toEqual(['a.code']);
  });

  it('prints the uncited sentences by their first words only', () => {
    const long = ['Long', '====', '', `This sentence must go on ${'and on '.repeat(30)}for ever.`, ''].join('\n');
    const text = formatCoverage([documentCoverage('Documentation/mm/long.rst', long, [])]);
    expect(text).toContain('Documentation/mm/long.rst: sections covered 0/1 (0%), normative sentences cited 0/1 (0%)');
    expect(text).toContain('"This sentence must go on and on and …" [must]');
    expect(text).not.toContain('for ever');
    expect(firstWords('a b c', 8)).toBe('a b c');
  });
});
