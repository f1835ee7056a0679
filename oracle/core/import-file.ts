// Imports a module by its path. The sources run through tsx (or vitest), which load TypeScript.
// The compiled build (dist/) runs on plain Node and registers tsx only when a TypeScript module
// must be imported — a mechanism of another root (MMSPEC_MECHANISMS), a module: implementation —
// together with a hook that gives such a module, when it imports this project's own sources,
// their compiled twins in dist/: one copy of each module, so that instanceof (ImplError, …) holds.
import { register } from 'node:module';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COMPILED = import.meta.url.endsWith('.js');
/** The package root: two folders up from here, past dist/ when compiled. */
const up = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOT = COMPILED && basename(up) === 'dist' ? dirname(up) : up;
let tsx: Promise<void> | undefined;

export async function importFile(file: string): Promise<unknown> {
  if (!COMPILED) return import(pathToFileURL(file).href);
  if (/\.[cm]?tsx?$/.test(file)) await (tsx ??= registerTsx());
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  // What tsx adds to each import() of the sources it compiles, so the same here: a CommonJS module
  // compiled from ESM (a .ts outside any "type": "module" package) is seen through its exports.
  const d = mod.default;
  return d && typeof d === 'object' && '__esModule' in d ? d : mod;
}

async function registerTsx(): Promise<void> {
  const { register: registerTsxHooks } = await import('tsx/esm/api');
  registerTsxHooks();
  // Registered last, so it runs first and sees what tsx resolved.
  register(new URL('./dist-twins.js', import.meta.url), { data: { root: ROOT } });
}
