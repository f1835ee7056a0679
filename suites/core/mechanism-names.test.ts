// A mechanism is its folders and nothing else: no file outside them names it. The check reads
// every file of the project (git's view: tracked and untracked, not ignored) and every
// mechanism of every root (this project's and the worked example's, EXAMPLE_ROOT).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../tools/paths.ts';
import { EXAMPLE, EXAMPLE_ROOT } from '../helpers.ts';

const ROOT = projectRoot();

/** Files that may name any mechanism: documentation, help text, implementations under test,
 * the suites' helpers (which hand the worked example to the generic suites). */
const ALLOWED = [/^README\.md$/, /^spec\/protocol\.md$/, /^tools\/cli\/main\.ts$/, /^fixtures\/impls\//, /^suites\/helpers\.ts$/];
/** What loads the worked example for the suites may name it too. */
const LOADS_EXAMPLE = [/^vitest\.config\.ts$/, /^suites\/core\/mechanism-names\.test\.ts$/];

/** The folders of mechanism m in a root (paths relative to the root). */
export function folderPatterns(m: string): RegExp[] {
  const e = m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    new RegExp(`^spec/mechanisms/${e}/`), new RegExp(`^spec/tables/${e}/`), new RegExp(`^oracle/${e}/`),
    new RegExp(`^tools/probe/${e}/`), new RegExp(`^suites/${e}/`), new RegExp(`^fixtures/divergences/${e}/`),
    new RegExp(`^fixtures/kernels/[^/]+/${e}\\.json$`),
  ];
}

/** A name as a word's start: "frobfs", "FrobModel", "nr_frob_pages" name frob; "pathPrefix" does not name ath. */
export function namesIt(text: string, m: string): boolean {
  return new RegExp(`(?<![a-z])${m}`, 'i').test(text);
}

interface Mechanism { name: string; root: string; uses: string[] }

function mechanismsOf(root: string): Mechanism[] {
  return readdirSync(join(root, 'spec/mechanisms')).sort().map((name) => {
    let uses: string[] = [];
    try {
      uses = (JSON.parse(readFileSync(join(root, 'tools/probe', name, 'mechanism.json'), 'utf8')) as { uses?: string[] }).uses ?? [];
    } catch { /* no probe part */ }
    return { name, root, uses };
  });
}

function projectFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter(Boolean).filter((f) => !/\.(png|gz|xz|bin)$/.test(f));
}

/** The files (project-relative) that name a mechanism outside its folders, its users' folders and the allow-list. */
function offenders(files: string[], read: (f: string) => string, all: Mechanism[]): string[] {
  const found: string[] = [];
  for (const m of all) {
    const rootRel = relative(ROOT, m.root);
    // A mechanism and those joined to it by "uses" (either way) share vocabulary and references.
    const owners = all.filter((o) => o.name === m.name || o.uses.includes(m.name) || m.uses.includes(o.name));
    const inside = (file: string) => owners.some((o) => {
      const oRel = relative(ROOT, o.root);
      if (oRel && !file.startsWith(`${oRel}/`)) return false;
      const rel = oRel ? file.slice(oRel.length + 1) : file;
      return folderPatterns(o.name).some((p) => p.test(rel));
    });
    for (const file of files) {
      if (inside(file) || ALLOWED.some((a) => a.test(file))) continue;
      if (rootRel && LOADS_EXAMPLE.some((a) => a.test(file))) continue;
      // A root other than the project's holds one mechanism's folders only: it may name what it likes.
      if (rootRel && file.startsWith(`${rootRel}/`)) continue;
      if (namesIt(file, m.name) || namesIt(read(file), m.name)) found.push(`${file} names ${m.name}`);
    }
  }
  return found;
}

describe('a mechanism is named only in its own folders', () => {
  const all = [...mechanismsOf(ROOT), ...mechanismsOf(EXAMPLE_ROOT)];
  const files = projectFiles();
  const cache = new Map<string, string>();
  const read = (f: string) => cache.get(f) ?? (cache.set(f, readFileSync(join(ROOT, f), 'utf8')), cache.get(f)!);

  it('finds the mechanisms and the files to check', () => {
    expect(all.map((m) => m.name)).toEqual(expect.arrayContaining([EXAMPLE]));
    expect(all.length).toBeGreaterThan(2);
    expect(files.length).toBeGreaterThan(100);
  });

  it('no file outside a mechanism\'s folders names it', () => {
    expect(offenders(files, read, all)).toEqual([]);
  });

  it('the check catches a name where it does not belong', () => {
    const fake = { 'tools/runner/x.ts': 'new FrobModel()', 'oracle/core/y.ts': 'reads nr_quux_pages', 'tools/z.ts': 'pathPrefix', 'tools/frobfs.c': '' };
    const ms: Mechanism[] = [{ name: 'frob', root: ROOT, uses: [] }, { name: 'quux', root: ROOT, uses: [] }, { name: 'ath', root: ROOT, uses: [] }];
    expect(offenders(Object.keys(fake), (f) => fake[f as keyof typeof fake], ms)).toEqual([
      'tools/runner/x.ts names frob', 'tools/frobfs.c names frob', 'oracle/core/y.ts names quux',
    ]);
  });

  it('a mechanism and what it uses may name each other, in their own folders only', () => {
    const fake = { 'oracle/a/model.ts': 'import from ../b/', 'oracle/b/x.ts': "a's madvise", 'oracle/c/model.ts': 'uses b too', 'fixtures/kernels/6.1/a.json': '"b"' };
    const ms: Mechanism[] = [{ name: 'a', root: ROOT, uses: ['b'] }, { name: 'b', root: ROOT, uses: [] }, { name: 'c', root: ROOT, uses: [] }];
    expect(offenders(Object.keys(fake), (f) => fake[f as keyof typeof fake], ms)).toEqual(['oracle/c/model.ts names b']);
  });
});
