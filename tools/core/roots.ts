// Where mechanisms live: this project, and the roots named in MMSPEC_MECHANISMS (colon-separated,
// each laid out as this project is: spec/mechanisms/<name>/, spec/tables/<name>/, oracle/<name>/,
// tools/probe/<name>/). A mechanism kept outside the project (a worked example, a user's own) joins that way.
import { resolve } from 'node:path';
import { projectRoot } from '../paths.ts';

export function mechanismRoots(): string[] {
  const extra = (process.env.MMSPEC_MECHANISMS ?? '').split(':').filter(Boolean).map((r) => resolve(r));
  return [projectRoot(), ...extra.filter((r) => r !== projectRoot())];
}
