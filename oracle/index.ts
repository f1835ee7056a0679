// The oracle's mechanisms, by name. Each is a folder oracle/<name>/ whose index.ts
// default-exports a MechanismOracle; the folders of this project are found here, those of
// other roots (MMSPEC_MECHANISMS, colon-separated, laid out as this project is) too.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MechanismOracle } from './core/model.ts';

export const MECHANISMS: Record<string, MechanismOracle> = {};

/** Adds the mechanisms under root/oracle/ (a name already taken keeps its first oracle). */
export async function loadMechanisms(root: string): Promise<void> {
  const dir = join(root, 'oracle');
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const index = join(dir, name, 'index.ts');
    if (name === 'core' || !existsSync(index) || MECHANISMS[name]) continue;
    const mod = (await import(pathToFileURL(index).href)) as { default?: MechanismOracle };
    if (typeof mod.default?.create !== 'function') throw new Error(`${index} does not default-export a MechanismOracle`);
    MECHANISMS[name] = mod.default;
  }
}

await loadMechanisms(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
for (const root of (process.env.MMSPEC_MECHANISMS ?? '').split(':').filter(Boolean)) await loadMechanisms(resolve(root));

export { DEFAULT_MODEL_KERNEL as DEFAULT_KERNEL } from './core/kernel.ts';
