import { fileURLToPath } from 'node:url';
import { basename, dirname, resolve } from 'node:path';

let root: string | undefined;

/** The package root (the folder holding package.json), also when this runs compiled from dist/. */
export function projectRoot(): string {
  if (root === undefined) {
    const up = resolve(dirname(fileURLToPath(import.meta.url)), '..');
    root = import.meta.url.endsWith('.js') && basename(up) === 'dist' ? dirname(up) : up;
  }
  return root;
}
