// The oracle's mechanisms, by name: this project's, and (loadMechanisms) those of the roots in
// MMSPEC_MECHANISMS, whose oracle/<name>/index.ts default-exports a MechanismOracle.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MechanismOracle } from './core/model.ts';
import { hugetlb } from './hugetlb/index.ts';
import { overcommit } from './overcommit/index.ts';

export const MECHANISMS: Record<string, MechanismOracle> = { overcommit, hugetlb };

/** Adds the mechanisms of the extra roots (MMSPEC_MECHANISMS) to MECHANISMS. */
export async function loadMechanisms(env = process.env.MMSPEC_MECHANISMS ?? ''): Promise<void> {
  for (const root of env.split(':').filter(Boolean).map((r) => resolve(r))) {
    const dir = join(root, 'oracle');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const index = join(dir, name, 'index.ts');
      if (!existsSync(index) || MECHANISMS[name]) continue;
      const mod = (await import(pathToFileURL(index).href)) as { default?: MechanismOracle };
      if (!mod.default?.create) throw new Error(`${index} does not default-export a MechanismOracle`);
      MECHANISMS[name] = mod.default;
    }
  }
}


export { DEFAULT_MODEL_KERNEL as DEFAULT_KERNEL } from './core/kernel.ts';
