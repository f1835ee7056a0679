// Evidence a reader can check: every path an `evidence` string names is in the repository
// (globs match something; an anchor names a heading of that file), and no string points at
// notes that are not in it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { globSync } from 'glob';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { ROOT } from '../helpers.ts';

const PATH = /\b(?:spec|fixtures|suites|oracle|tools)\/[\w.*<>+-]+(?:\/[\w.*<>+-]+)*(?:#[\w-]+)?/g;

/** The problem with one path an evidence string names, or null when it resolves. */
export function unresolved(ref: string, root = ROOT): string | null {
  const [path, anchor] = ref.replace(/[.,;:]+$/, '').split('#') as [string, string | undefined];
  const files = globSync(path.replace(/<[^>]+>/g, '*'), { cwd: root });
  if (!files.length) return `${path} is not in the repository`;
  if (anchor) {
    const headings = readFileSync(join(root, files[0]!), 'utf8').split('\n').filter((l) => l.startsWith('#'))
      .map((l) => l.replace(/^#+\s*/, '').toLowerCase().replace(/[^a-z0-9 -]/g, '').trim().replace(/ +/g, '-'));
    if (!headings.includes(anchor)) return `${path} has no heading '${anchor}'`;
  }
  return null;
}

describe('evidence', () => {
  const rows = loadScenarios();

  it('points at what is in the repository', () => {
    const problems: string[] = [];
    for (const s of rows) {
      for (const e of [...(s.evidence ?? []), ...(s.divergences ?? []).flatMap((d) => d.evidence ?? [])]) {
        if (/\bnotes\//.test(e)) problems.push(`${s.id}: points at notes outside the repository: ${e.slice(0, 80)}`);
        for (const ref of e.match(PATH) ?? []) {
          const p = unresolved(ref);
          if (p) problems.push(`${s.id}: ${p}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the check finds a missing file, a missing heading and a glob that matches nothing', () => {
    expect(unresolved('README.md')).toBe(null);
    expect(unresolved('spec/schemas/table.schema.json')).toBe(null);
    expect(unresolved('spec/no-such-file.md')).toMatch(/not in the repository/);
    expect(unresolved('fixtures/kernels/*/no-such-mechanism.json')).toMatch(/not in the repository/);
    expect(unresolved('suites/no-such/<name>.json#x')).toMatch(/not in the repository/);
  });
});
