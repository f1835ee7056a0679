// Finding the Documentation tree quotes are checked against, in this order:
// --docs DIR, $MMSPEC_DOCS, ../shared/docs/linux, Debian's linux-doc-6.12 (gzipped rst).
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

/** The first Documentation tree found, or null. An explicit dir that holds none is an error. */
export function findDocs(explicit?: string): DocSource | null {
  if (explicit) {
    const src = fromRoot(resolve(explicit), `--docs ${explicit}`);
    if (!src) throw new Error(`--docs ${explicit}: no Documentation/ folder there`);
    return src;
  }
  const env = process.env.MMSPEC_DOCS;
  if (env) {
    const src = fromRoot(resolve(env), `MMSPEC_DOCS=${env}`);
    if (!src) throw new Error(`MMSPEC_DOCS=${env}: no Documentation/ folder there`);
    return src;
  }
  return fromRoot(resolve(projectRoot(), '..', 'shared', 'docs', 'linux'), '../shared/docs/linux') ?? fromRoot(DEBIAN_DOCS, DEBIAN_DOCS);
}
