// The closed formula of the kernel's selftests for N pages of one content under
// max_page_sharing M, after two passes: shared = floor(N/M) and sharing = shared * (M - 1) when
// N mod M is 0 or 1, else shared = floor(N/M) + 1 and sharing = N - shared. A property of the
// model over N and M, with both lookups (6.1's and 6.11's), and of what the kernels recorded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KsmModel } from '../../oracle/ksm/model.ts';
import { loadRecordings } from '../../tools/record/recording.ts';

function expected(n: number, m: number) {
  const r = n % m;
  const shared = r <= 1 ? Math.floor(n / m) : Math.floor(n / m) + 1;
  const sharing = r <= 1 ? shared * (m - 1) : n - shared;
  return { shared, sharing, unshared: r === 1 ? 1 : 0, chains: shared >= 2 ? 1 : 0, dups: shared >= 2 ? shared : 0 };
}

function settleIdentical(n: number, m: number, kernel: string, value: number) {
  const model = new KsmModel({ max_page_sharing: m }, { kernel });
  for (const step of [
    { op: 'mmap', args: { as: 'a', pages: n } },
    { op: 'fill', args: { map: 'a', pattern: 'byte', value } },
    { op: 'madvise', args: { map: 'a', advice: 'mergeable' } },
    { op: 'settle', args: { scans: 2 } },
  ]) expect(model.step(step).ret).toBe('ok');
  return model.observe();
}

describe('N identical pages under max_page_sharing M', () => {
  it('merge as the closed formula says, on every kernel the model behaves as', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 600 }), fc.integer({ min: 2, max: 300 }), fc.constantFrom('6.1', '6.12', '6.18', '7.2'), fc.integer({ min: 0, max: 255 }), (n, m, kernel, value) => {
        const o = settleIdentical(n, m, kernel, value);
        const e = expected(n, m);
        expect({ shared: o.pages_shared, sharing: o.pages_sharing, unshared: o.pages_unshared, chains: o.stable_node_chains, dups: o.stable_node_dups }).toEqual(e);
        expect(o.pages_volatile).toBe(0);
        // Each KSM page has at most M sharers.
        expect(o.pages_sharing as number).toBeLessThanOrEqual((o.pages_shared as number) * (m - 1));
      }),
      { numRuns: 300 },
    );
  });

  it('hold on the kernels recorded (the formula rows of the tables)', () => {
    let checked = 0;
    for (const { rec } of loadRecordings().filter((r) => r.rec.mechanism === 'ksm')) {
      for (const s of rec.scenarios) {
        const m = /^ksm\.max-sharing\.n(\d+)-m(\d+)$/.exec(s.id);
        if (!m || s.status !== 'passed') continue;
        const last = s.steps[s.steps.length - 1]!.result.observation;
        const e = expected(Number(m[1]), Number(m[2]));
        expect({ shared: last.pages_shared, sharing: last.pages_sharing, unshared: last.pages_unshared, chains: last.stable_node_chains, dups: last.stable_node_dups }, `${rec.kernel} ${s.id}`).toEqual(e);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
