import { fileURLToPath } from 'node:url';
import { basename, dirname, resolve } from 'node:path';

/** The package root (the folder holding package.json), also when this runs compiled from dist/. */
export function projectRoot(): string {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  return import.meta.url.endsWith('.js') && basename(up) === 'dist' ? dirname(up) : up;
}
