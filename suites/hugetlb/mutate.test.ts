// Mutated hugetlb sequences (mmspec fuzz --mutate): steps the generator never makes, and a
// wrong implementation only they show.
import { describe, expect, it } from 'vitest';
import { MECHANISMS } from '../../oracle/index.ts';
import { Random } from '../../oracle/core/random.ts';
import { fuzz } from '../../tools/fuzz/engine.ts';
import { mutating } from '../../tools/fuzz/mutate.ts';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { ImplError, type Implementation, type StepRequest, type StepResult } from '../../tools/impl/types.ts';
import { mechanisms } from '../../tools/spec/mechanisms.ts';
import { cli } from '../helpers.ts';

const cases = (rate: number, n = 300) => {
  const generate = mutating(MECHANISMS.hugetlb!.generator!.generate, mechanisms().get('hugetlb')!, rate);
  return Array.from({ length: n }, (_, i) => generate(new Random(Random.derive(21, i)), { length: 20, disposable: true }));
};

describe('mutated hugetlb steps', () => {
  it('name what was never made, and take empty ranges', () => {
    const steps = cases(0.5).flatMap((c) => c.steps);
    expect(steps.some((s) => s.args.map === 'never-made' || s.args.file === 'never-made' || s.args.mount === 'never-made')).toBe(true);
    expect(steps.some((s) => s.op === 'touch' && s.args.pages === 0)).toBe(true);
  });
});

describe('what mutation finds', () => {
  // An implementation that takes a range past the end of a mapping as the part inside it (ok),
  // where the oracle (as the probe) answers invalid. The generator keeps every range inside its
  // mapping: a campaign of its own sequences finds nothing; a mutated campaign finds it.
  const lenient = (): Implementation => {
    const oracle = new OracleImplementation();
    return Object.assign(Object.create(oracle) as Implementation, {
      async step(session: string, st: StepRequest): Promise<StepResult> {
        try {
          return await oracle.step(session, st);
        } catch (e) {
          if (e instanceof ImplError && e.kind === 'invalid' && /lies outside mapping/.test(e.message)) return { ret: 'ok', observation: await oracle.observe(session) };
          throw e;
        }
      },
      async steps(session: string, sts: StepRequest[]) {
        const out: StepResult[] = [];
        for (const st of sts) out.push(await this.step(session, st));
        return out;
      },
    });
  };
  const campaign = (rate: number) => fuzz({
    spec: mechanisms().get('hugetlb')!, generate: mutating(MECHANISMS.hugetlb!.generator!.generate, mechanisms().get('hugetlb')!, rate),
    a: lenient(), b: new OracleImplementation(), seed: 3, count: 200, length: [5, 20], kernel: '6.18', disposable: true, confirmations: 1, shrinkBudget: 100,
  });

  it("the generator's own sequences keep inside their mappings; mutated ones do not, and the difference shrinks to the mapping and the step past its end", async () => {
    expect((await campaign(0)).divergences).toEqual([]);
    const found = (await campaign(0.2)).divergences;
    expect(found.length).toBeGreaterThan(0);
    // A answered ok, B refused the request (no ret): a mmap, then the step past its end.
    expect(found.every((d) => d.signature.endsWith(':ret:ok/undefined'))).toBe(true);
    expect(found.map((d) => d.minimal.steps.map((s) => s.op)[0])).toContain('mmap');
    expect(Math.min(...found.map((d) => d.minimal.steps.length))).toBe(2);
  });

  it('mmspec fuzz --mutate: says so, and refuses a share outside 0..1', () => {
    const ok = cli(['fuzz', '--mechanism', 'hugetlb', '--seed', '4', '--count', '30', '--mutate', '0.25', '--no-write']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('(25% of steps mutated)');
    const bad = cli(['fuzz', '--mechanism', 'hugetlb', '--count', '3', '--mutate', '2', '--no-write']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--mutate must be a share of steps from 0 to 1, not '2'");
  });
});
