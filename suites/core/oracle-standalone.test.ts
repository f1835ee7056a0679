// The models stand alone: nothing under oracle/ imports from the harness (tools/), so a model
// can be read, run and reused without it. Found by resolving every relative import of every
// oracle source.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { globSync } from 'glob';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../tools/paths.ts';

describe('the oracle', () => {
  it('imports nothing from tools/', () => {
    const root = projectRoot();
    const files = globSync('oracle/**/*.ts', { cwd: root });
    expect(files.length).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const target = relative(root, resolve(dirname(join(root, f)), m[1]!));
        if (!target.startsWith('oracle/') && !target.startsWith('spec/')) offending.push(`${f} imports ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
