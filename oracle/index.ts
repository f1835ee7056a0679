// The oracle's mechanisms, by name. Each is a folder oracle/<name>/ whose index.ts
// default-exports a MechanismOracle; the folders of this project are found here, those of
// other roots (MMSPEC_MECHANISMS, colon-separated, laid out as this project is) too. Compiled
// (dist/), this project's folders hold index.js; other roots' index.ts go through tsx.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importFile } from './core/import-file.ts';
import type { MechanismOracle } from './core/model.ts';

const OWN = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OWN_INDEX = import.meta.url.endsWith('.js') ? 'index.js' : 'index.ts';

export const MECHANISMS: Record<string, MechanismOracle> = {};

/** Adds the mechanisms under root/oracle/ (a name already taken keeps its first oracle). */
export async function loadMechanisms(root: string): Promise<void> {
  const dir = join(root, 'oracle');
  if (!existsSync(dir)) return;
  const found = readdirSync(dir).sort().map((name) => ({ name, index: join(dir, name, root === OWN ? OWN_INDEX : 'index.ts') }))
    .filter(({ name, index }) => name !== 'core' && !MECHANISMS[name] && existsSync(index));
  // Imported all at once: their files are read while others compile.
  const mods = (await Promise.all(found.map(({ index }) => importFile(index)))) as { default?: MechanismOracle }[];
  found.forEach(({ name, index }, i) => {
    const oracle = mods[i]!.default;
    if (typeof oracle?.create !== 'function') throw new Error(`${index} does not default-export a MechanismOracle`);
    MECHANISMS[name] = oracle;
  });
}

await loadMechanisms(OWN);
for (const root of (process.env.MMSPEC_MECHANISMS ?? '').split(':').filter(Boolean)) await loadMechanisms(resolve(root));

export { DEFAULT_MODEL_KERNEL as DEFAULT_KERNEL } from './core/kernel.ts';
