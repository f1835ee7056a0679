// Finding the Documentation tree quotes are checked against, in this order:
// --docs DIR, $MMSPEC_DOCS, ../shared/docs/linux (beside this repository, or beside the one a
// local clone was made from), Debian's linux-doc-6.12 (gzipped rst); a
// document the first tree found lacks is read from the next tree that has it (the admin guide,
// which only Debian's linux-doc-6.12 ships of these; tools/bin/install-docs.sh installs it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { projectRoot } from '../paths.ts';

export interface DocSource {
  /** Where it came from, for messages. */
  label: string;
  /** The folder that holds Documentation/. */
  root: string;
  read(docPath: string): string | null;
}

export const DEBIAN_DOCS = '/usr/share/doc/linux-doc-6.12';

export const HOW_TO_PROVIDE_DOCS =
  'no Documentation tree found: pass --docs DIR (a kernel checkout or a folder holding Documentation/), ' +
  `set MMSPEC_DOCS, place it at ../shared/docs/linux, or install Debian's linux-doc-6.12 (${DEBIAN_DOCS})`;

function fromRoot(root: string, label: string): DocSource | null {
  // Accept the folder holding Documentation/ or Documentation/ itself.
  const base = existsSync(join(root, 'Documentation')) ? root : existsSync(join(root, 'mm')) ? resolve(root, '..') : null;
  if (!base) return null;
  return {
    label,
    root: base,
    read(docPath) {
      const file = join(base, docPath);
      if (existsSync(file)) return readFileSync(file, 'utf8');
      if (existsSync(`${file}.gz`)) return gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
      return null;
    },
  };
}

/**
 * A source reading each document from the first of several trees that holds it: the tables
 * cite documents of more than one tree (the revision beside the project lacks the admin guide,
 * which Debian's linux-doc-6.12 ships).
 */
export function chainDocs(sources: DocSource[]): DocSource | null {
  if (sources.length <= 1) return sources[0] ?? null;
  return {
    label: sources.map((x) => x.label).join(', then '),
    root: sources[0]!.root,
    read(docPath) {
      for (const src of sources) {
        const text = src.read(docPath);
        if (text != null) return text;
      }
      return null;
    },
  };
}

/** Trees a document missing from the first one found is looked up in, in this order (MMSPEC_MORE_DOCS: colon-separated, for tests). */
export function furtherDocTrees(): string[] {
  const more = process.env.MMSPEC_MORE_DOCS;
  return more !== undefined ? more.split(':').filter(Boolean) : [DEBIAN_DOCS];
}

/**
 * The first Documentation tree found, followed by the further trees that exist (Debian's
 * linux-doc-6.12) for documents it lacks; null when there is none. An explicit dir that holds
 * none is an error.
 */
export function findDocs(explicit?: string): DocSource | null {
  const further = (first: DocSource | null): DocSource | null => {
    const more = furtherDocTrees()
      .map((d) => fromRoot(resolve(d), d))
      .filter((x): x is DocSource => !!x && x.root !== first?.root);
    return chainDocs(first ? [first, ...more] : more);
  };
  if (explicit) {
    const src = fromRoot(resolve(explicit), `--docs ${explicit}`);
    if (!src) throw new Error(`--docs ${explicit}: no Documentation/ folder there`);
    return further(src);
  }
  const env = process.env.MMSPEC_DOCS;
  if (env) {
    const src = fromRoot(resolve(env), `MMSPEC_DOCS=${env}`);
    if (!src) throw new Error(`MMSPEC_DOCS=${env}: no Documentation/ folder there`);
    return further(src);
  }
  // Beside this repository, or beside the one a local clone was made from.
  const beside = (repo: string, label: string) => fromRoot(resolve(repo, '..', 'shared', 'docs', 'linux'), label);
  const origin = cloneOrigin();
  return further(beside(projectRoot(), '../shared/docs/linux') ?? (origin ? beside(origin, `../shared/docs/linux beside ${origin}`) : null));
}

/** The folder a repository was cloned from, when git's remote origin is a local path; else null. */
export function cloneOrigin(repo = projectRoot()): string | null {
  try {
    const url = execFileSync('git', ['config', '--get', 'remote.origin.url'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .replace(/^file:\/\//, '');
    // A URL (https://, ssh://) or scp-like host:path is no folder here.
    if (!url || /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url)) return null;
    return resolve(repo, url);
  } catch {
    return null;
  }
}
