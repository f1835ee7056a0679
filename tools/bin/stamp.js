// What a build of dist/ (tools/bin/build.js) was made from: every file the build reads — the
// TypeScript sources and JSON Schemas under tools/, oracle/ and spec/ (not spec/tables/, read at
// run time), the tsconfigs, the build itself and the ajv it compiles the schemas with — each as
// its path, size and modification time. The build writes this list to dist/.stamp; the command
// runs dist/ only while the sources still give the same list, so a source edited, touched, added,
// removed or checked out sends it back to the sources through tsx: never a stale build.
// Plain JavaScript: it runs before anything is compiled or registered.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DIST = 'dist';
export const STAMP = '.stamp';
const DIRS = ['tools', 'oracle', 'spec'];
const SKIP = new Set(['spec/tables']);
const FILES = ['tsconfig.json', 'tsconfig.build.json', 'node_modules/ajv/package.json', 'node_modules/typescript/package.json'];
const built = (name) => name.endsWith('.ts') || name.endsWith('.schema.json') || name === 'build.js' || name === 'stamp.js';

/** The sources dist/ is built from, one line each: path, size, mtime (ms). */
export function fingerprint(root) {
  const lines = [];
  const add = (rel) => {
    try {
      const s = statSync(join(root, rel));
      lines.push(`${rel}\t${s.size}\t${s.mtimeMs}`);
    } catch {
      lines.push(`${rel}\tmissing`);
    }
  };
  const walk = (rel) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const sub = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP.has(sub) && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(sub);
      } else if (built(e.name)) add(sub);
    }
  };
  for (const d of DIRS) walk(d);
  FILES.forEach(add);
  return `${lines.sort().join('\n')}\n`;
}

/** null when root/dist is a complete build of the sources as they are now; else why not. */
export function staleness(root) {
  let stamp;
  try {
    stamp = readFileSync(join(root, DIST, STAMP), 'utf8');
  } catch {
    return 'no build in dist/ (npm run build makes one)';
  }
  if (stamp !== fingerprint(root)) return 'sources changed since dist/ was built (npm run build brings it up to date)';
  return null;
}
