import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The package root (the folder holding package.json). */
export function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}
