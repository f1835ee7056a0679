// Shrinks a diverging sequence to a small one that still diverges the same way: delta
// debugging over its steps (drop chunks, halving their size down to single steps), then over
// numbers in arguments (towards smaller). A candidate counts only when it is still well formed
// on both sides (no step refused as invalid) and its first difference has the same signature.
import type { GeneratedCase, GenStep } from '../../oracle/core/generate.ts';

export type Probe = (c: GeneratedCase) => Promise<boolean>;

/** The smallest case found that still satisfies `reproduces`, within `budget` tries. */
export async function shrink(c: GeneratedCase, reproduces: Probe, budget = 400): Promise<{ case: GeneratedCase; tries: number }> {
  let best = c;
  let tries = 0;
  const attempt = async (candidate: GeneratedCase): Promise<boolean> => {
    if (tries >= budget) return false;
    tries++;
    if (!(await reproduces(candidate))) return false;
    best = candidate;
    return true;
  };

  // Steps: remove chunks of n, n halving from half the sequence down to 1.
  for (let n = Math.max(1, Math.floor(best.steps.length / 2)); n >= 1; n = Math.floor(n / 2)) {
    let progress = true;
    while (progress && tries < budget) {
      progress = false;
      for (let at = 0; at + n <= best.steps.length; ) {
        const steps = [...best.steps.slice(0, at), ...best.steps.slice(at + n)];
        if (steps.length && (await attempt({ ...best, steps }))) progress = true;
        else at += n;
      }
    }
  }

  // Numbers: each numeric argument towards 1 (halving), then the config's numbers.
  for (let i = 0; i < best.steps.length && tries < budget; i++) {
    for (const key of Object.keys(best.steps[i]!.args)) {
      for (;;) {
        const v = best.steps[i]!.args[key];
        if (typeof v !== 'number' || Math.abs(v) <= 1) break;
        const smaller = withArg(best, i, key, Math.trunc(v / 2));
        if (!(await attempt(smaller))) break;
      }
    }
  }
  return { case: best, tries };
}

function withArg(c: GeneratedCase, i: number, key: string, value: number): GeneratedCase {
  const steps: GenStep[] = c.steps.map((s, j) => (j === i ? { ...s, args: { ...s.args, [key]: value } } : s));
  return { ...c, steps };
}
