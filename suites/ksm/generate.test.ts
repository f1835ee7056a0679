// The ksm sequence generator leaves out what the kernel it is told of lacks: 6.1 has no
// smart_scan knob (added in 6.7), so a 6.1 sequence never sets it, while an unknown kernel's may.
import { describe, expect, it } from 'vitest';
import { Random } from '../../oracle/core/random.ts';
import { ksmGenerator } from '../../oracle/ksm/generate.ts';

function usesSmartScan(kernel: string | undefined, count: number): number {
  let n = 0;
  for (let seed = 0; seed < count; seed++) {
    const c = ksmGenerator.generate(new Random(seed), { length: 25, disposable: true, kernel });
    if ('smart_scan' in c.config || c.steps.some((s) => s.op === 'ksm_set' && s.args.name === 'smart_scan')) n++;
  }
  return n;
}

describe('the ksm generator', () => {
  it('never sets smart_scan for a kernel without it, and does for others', () => {
    expect(usesSmartScan('6.1.0-57-amd64', 400)).toBe(0);
    expect(usesSmartScan('6.12.118+deb12-amd64', 400)).toBeGreaterThan(20);
    expect(usesSmartScan(undefined, 400)).toBeGreaterThan(20);
  });
});
