// Mutated sequences (mmspec fuzz --mutate): steps past what a generator keeps to, still within
// each op's schema, and what they catch that the generator's own sequences cannot.
import { describe, expect, it } from 'vitest';
import { MECHANISMS } from '../../oracle/index.ts';
import { Random } from '../../oracle/core/random.ts';
import { mutating } from '../../tools/fuzz/mutate.ts';
import { mechanisms } from '../../tools/spec/mechanisms.ts';

const generated = Object.keys(MECHANISMS).filter((m) => MECHANISMS[m]!.generator && mechanisms().has(m)).sort();
const cases = (m: string, rate: number, n = 300) => {
  const generate = mutating(MECHANISMS[m]!.generator!.generate, mechanisms().get(m)!, rate);
  return Array.from({ length: n }, (_, i) => generate(new Random(Random.derive(21, i)), { length: 20, disposable: true }));
};

describe('mutating', () => {
  for (const m of generated) {
    it(`${m}: a rate of 0 gives the generator's own cases; a positive one changes some steps, each still valid for its op's schema`, () => {
      const own = Array.from({ length: 300 }, (_, i) => MECHANISMS[m]!.generator!.generate(new Random(Random.derive(21, i)), { length: 20, disposable: true }));
      expect(JSON.stringify(cases(m, 0))).toBe(JSON.stringify(own));
      const mutated = cases(m, 0.3);
      expect(JSON.stringify(cases(m, 0.3))).toBe(JSON.stringify(mutated)); // the same seed, the same cases
      const spec = mechanisms().get(m)!;
      const steps = mutated.flatMap((c) => c.steps);
      expect(steps.filter((s) => !spec.ops.get(s.op)!.validateArgs(s.args))).toEqual([]);
      // At a rate of 0.3 about a third of the steps are picked; some picks find no mutation that applies.
      const changed = mutated.flatMap((c, i) => c.steps.filter((s, j) => JSON.stringify(s) !== JSON.stringify(own[i]!.steps[j])));
      // Only steps that name something, or have a range, take a mutation (the worked example's none).
      const mutable = steps.filter((s) => ['map', 'file', 'mount', 'pages', 'as'].some((k) => k in s.args) || s.proc).length;
      expect(changed.length).toBeGreaterThanOrEqual(Math.floor(mutable * 0.1));
      if (mutable) expect(changed.length).toBeGreaterThan(0);
      expect(changed.length).toBeLessThan(steps.length * 0.35);
    });
  }
});
