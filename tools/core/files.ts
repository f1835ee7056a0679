// Finding files by a fixed layout with readdir: what glob's "<dir>/*/<file>" and "**/*.json"
// found, without loading glob (a good part of a command's start-up). Names starting with a dot are
// left out, as glob leaves them out; symbolic links to folders are not followed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** "<dir>/<name>/<file>" for each folder name of root/dir holding file, relative to root, in order. */
export function filesInFolders(root: string, dir: string, file: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((name) => !name.startsWith('.') && existsSync(join(abs, name, file)))
    .map((name) => `${dir}/${name}/${file}`)
    .sort();
}

/** Every file under dir, at any depth, whose name ends with ext: paths relative to dir, in order. */
export function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const sub = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(sub);
      else if (e.name.endsWith(ext) && (e.isFile() || (e.isSymbolicLink() && existsSync(join(dir, sub))))) out.push(sub);
    }
  };
  walk('');
  return out.sort();
}
