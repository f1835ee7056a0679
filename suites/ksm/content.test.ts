// Contents as the model keeps them compare as memcmp compares the pages the probe writes:
// the model's tree order is the kernel's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compare, patternContent, withFirstByte, ZERO, type Pattern } from '../../oracle/ksm/content.ts';

/** The 4096 bytes tools/probe/ksm/ops.c writes for a pattern (fill_page). */
function bytes(p: Pattern, index: number): Uint8Array {
  const b = new Uint8Array(4096);
  if (p.pattern === 'byte') b.fill(p.value ?? 0);
  else if (p.pattern === 'unique') {
    const i = p.period ? index % p.period : index;
    let tag = BigInt(p.value ?? 0) * 65536n + BigInt(i);
    b.fill(0x5a, 8);
    for (let k = 7; k >= 0; k--) {
      b[k] = Number(tag & 0xffn);
      tag >>= 8n;
    }
  }
  return b;
}

const memcmp = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
};

const patternArb = fc.oneof(
  fc.constant<Pattern>({ pattern: 'zero' }),
  fc.integer({ min: 0, max: 255 }).map<Pattern>((value) => ({ pattern: 'byte', value })),
  fc.record({ value: fc.integer({ min: 0, max: 65535 }), period: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }) }).map<Pattern>((r) => ({ pattern: 'unique', ...r })),
);

describe('page contents', () => {
  it('compare as memcmp compares the bytes the probe writes', () => {
    fc.assert(
      fc.property(patternArb, fc.nat(300), patternArb, fc.nat(300), fc.option(fc.integer({ min: 0, max: 255 })), (p, i, q, j, first) => {
        let a = patternContent(p, i);
        let ba = bytes(p, i);
        if (first !== null) {
          a = withFirstByte(a, first);
          ba = ba.slice();
          ba[0] = first;
        }
        const b = patternContent(q, j);
        expect(Math.sign(compare(a, b))).toBe(memcmp(ba, bytes(q, j)));
      }),
      { numRuns: 2000 },
    );
  });

  it('are equal exactly when the pages are: a zero fill is the zero page', () => {
    expect(patternContent({ pattern: 'zero' }, 3)).toBe(ZERO);
    expect(patternContent({ pattern: 'byte', value: 0 }, 0)).toBe(ZERO);
    expect(patternContent({ pattern: 'unique', value: 0 }, 0)).not.toBe(ZERO);
  });
});
