// The committed TypeScript types must be what `npm run gen` makes from the schemas today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateAll } from '../../tools/gen/schemas-to-ts.ts';

describe('generated types', () => {
  it('are up to date with the schemas (run `npm run gen` if this fails)', async () => {
    for (const { target, source } of await generateAll()) {
      expect(readFileSync(target, 'utf8'), target).toBe(source);
    }
  });
});
