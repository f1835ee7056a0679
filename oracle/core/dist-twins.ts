// A module hook of the compiled build (registered by import-file.ts, alongside tsx): an import
// of one of this project's TypeScript sources under tools/, oracle/ or spec/ resolves to its
// compiled twin in dist/, which the running command has loaded already.
import { existsSync } from 'node:fs';
import type { InitializeHook, ResolveHook } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root = '';

export const initialize: InitializeHook<{ root: string }> = (data) => {
  root = pathToFileURL(`${data.root}/`).href;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const r = await nextResolve(specifier, context);
  const rel = root && r.url.startsWith(root) ? r.url.slice(root.length) : '';
  if (/^(tools|oracle|spec)\/.*\.ts$/.test(rel)) {
    const twin = `${root}dist/${rel.slice(0, -3)}.js`;
    if (existsSync(fileURLToPath(twin))) return { url: twin, format: 'module', shortCircuit: true };
  }
  return r;
};
