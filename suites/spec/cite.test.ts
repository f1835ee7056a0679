// Every quote appears, whitespace-insensitively, in the cited section of its document.
import { describe, expect, it } from 'vitest';
import { checkCitations } from '../../tools/cite/check.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chainDocs, cloneOrigin, findDocs, HOW_TO_PROVIDE_DOCS } from '../../tools/cite/docs.ts';
import { normalise, sections } from '../../tools/cite/rst.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { EXAMPLE, tempDir } from '../helpers.ts';

const docs = findDocs();
if (!docs) console.warn(`citation check skipped: ${HOW_TO_PROVIDE_DOCS}`);
// CI must always find the documents: there a missing tree is a failure, not a skip.
const mustHaveDocs = process.env.CI === 'true';

describe('citations', () => {
  it.runIf(mustHaveDocs)('find a Documentation tree in CI', () => {
    expect(docs, HOW_TO_PROVIDE_DOCS).not.toBeNull();
  });

  it.skipIf(!docs)('quote their documents exactly', () => {
    const report = checkCitations(loadScenarios(), docs!);
    expect(report.checked).toBeGreaterThan(0);
    expect(report.problems).toEqual([]);
  });

  it.skipIf(!docs)('catch a quote that is not in the document, or not in the section named', () => {
    // A row of the worked example, citing Documentation/mm/physical_memory.rst.
    const [s] = loadScenarios().filter((x) => x.mechanism === EXAMPLE);
    const quote = 'taking ``vm.watermark_scale_factor`` sysctl into account'; // in the zones' General section
    const bad = [
      { ...s!, id: 'x.made-up', cites: [{ section: 'General', quote: 'the watermarks never move' }] },
      { ...s!, id: 'x.wrong-section', cites: [{ section: 'Reclaim control', quote }] },
      { ...s!, id: 'x.no-section', cites: [{ section: 'Theory', quote }] },
      { ...s!, id: 'x.right', cites: [{ section: 'General', quote }] },
    ];
    const { problems } = checkCitations(bad as NonNullable<typeof s>[], docs!);
    expect(problems.map((p) => [p.scenario, p.problem.split(' (')[0]])).toEqual([
      ['x.made-up', 'quote not found in the document'],
      ['x.wrong-section', "quote is in the document but not in section 'Reclaim control'"],
      ['x.no-section', "no section 'Theory'"],
    ]);
  });
});

describe('documents in several trees', () => {
  /** A folder holding Documentation/ with the given files (a .gz name is gzipped). */
  function tree(files: Record<string, string>): string {
    const root = tempDir('mmspec-docs-');
    for (const [name, text] of Object.entries(files)) {
      const path = join(root, 'Documentation', name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
    }
    return root;
  }

  it('reads a document from the first tree that has it, gzipped or not', () => {
    const first = tree({ 'mm/a.rst': 'first a' });
    const second = tree({ 'mm/a.rst': 'second a', 'admin-guide/mm/b.rst.gz': 'second b' });
    const prev = process.env.MMSPEC_MORE_DOCS;
    process.env.MMSPEC_MORE_DOCS = second;
    try {
      const docs = findDocs(first)!;
      expect(docs.label).toBe(`--docs ${first}, then ${second}`);
      expect(docs.read('Documentation/mm/a.rst')).toBe('first a');
      expect(docs.read('Documentation/admin-guide/mm/b.rst')).toBe('second b');
      expect(docs.read('Documentation/mm/none.rst')).toBeNull();
      // No further tree: the first alone.
      process.env.MMSPEC_MORE_DOCS = '';
      expect(findDocs(first)!.read('Documentation/admin-guide/mm/b.rst')).toBeNull();
    } finally {
      if (prev === undefined) delete process.env.MMSPEC_MORE_DOCS;
      else process.env.MMSPEC_MORE_DOCS = prev;
    }
  });

  it('is one tree when only one is found, and none when none is', () => {
    expect(chainDocs([])).toBeNull();
    const only = { label: 'x', root: '/x', read: () => 'text' };
    expect(chainDocs([only])).toBe(only);
  });
});

describe('a clone made elsewhere', () => {
  // The documents' revision lies beside the repository a local clone was made from: git's
  // remote origin names that folder when it is a path, and nothing when it is a URL.
  const repoWithOrigin = (origin: string) => {
    const repo = tempDir('mmspec-clone-');
    execFileSync('git', ['init', '-q', repo]);
    execFileSync('git', ['-C', repo, 'remote', 'add', 'origin', origin]);
    return repo;
  };

  it('finds the folder it was cloned from, and no folder for a URL or none', () => {
    expect(cloneOrigin(repoWithOrigin('/work/elsewhere/mmspec'))).toBe('/work/elsewhere/mmspec');
    expect(cloneOrigin(repoWithOrigin('file:///srv/mmspec'))).toBe('/srv/mmspec');
    const relative = repoWithOrigin('../up/mmspec');
    expect(cloneOrigin(relative)).toBe(join(relative, '../up/mmspec'));
    expect(cloneOrigin(repoWithOrigin('https://example.org/mmspec.git'))).toBeNull();
    expect(cloneOrigin(repoWithOrigin('git@example.org:mmspec.git'))).toBeNull();
    expect(cloneOrigin(tempDir('mmspec-noclone-'))).toBeNull();
  });
});

describe('rst reading', () => {
  const text = ['=====', 'Title', '=====', '', 'intro', '', 'Part A', '======', '', 'a  text', ' | line block', '', 'Part B', '======', 'b text', ''].join('\n');

  it('finds headings with their nesting', () => {
    expect(sections(text).map((s) => [s.title, s.level])).toEqual([['Title', 0], ['Part A', 1], ['Part B', 1]]);
  });

  it('folds whitespace and line-block bars when matching', () => {
    expect(normalise('a\n  text | x')).toBe('a text | x');
    expect(normalise(' | line block')).toBe('line block');
  });
});
