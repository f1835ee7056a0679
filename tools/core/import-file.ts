// Imports a module by its path. The sources run through tsx (or vitest), which load TypeScript.
// The compiled build (dist/) runs on plain Node and registers tsx only when a TypeScript module
// must be imported — a mechanism of another root (MMSPEC_MECHANISMS), a module: implementation —
// together with a hook that gives such a module, when it imports this project's own sources,
// their compiled twins in dist/: one copy of each module, so that instanceof (ImplError, …) holds.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../paths.ts';

const COMPILED = import.meta.url.endsWith('.js');
let tsx: Promise<void> | undefined;

export async function importFile(file: string): Promise<unknown> {
  if (COMPILED && /\.[cm]?tsx?$/.test(file)) await (tsx ??= registerTsx());
  return import(pathToFileURL(file).href);
}

async function registerTsx(): Promise<void> {
  const { register: registerTsxHooks } = await import('tsx/esm/api');
  registerTsxHooks();
  // Registered last, so it runs first and sees what tsx resolved.
  register(new URL('./dist-twins.js', import.meta.url), { data: { root: projectRoot() } });
}
