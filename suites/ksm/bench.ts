// Bench cases of ksm (npm run bench): the model settling 10^5 pages, and what a settle costs
// on the host kernel (as root with MMSPEC_ALLOW_HOST_CHANGES=1 only: it runs ksmd there).
import { KsmModel } from '../../oracle/ksm/model.ts';
import type { BenchCase } from '../../tools/bench/case.ts';
import { linuxImplementation } from '../../tools/linux/impl.ts';

const PAGES = 100_000;

/** 10^5 pages of 4 contents (so chains form under max_page_sharing 256), settled in 2 passes, then once more. */
function modelSettle(): string {
  const model = new KsmModel({}, { kernel: '6.18' });
  for (const step of [
    { op: 'mmap', args: { as: 'a', pages: PAGES } },
    { op: 'fill', args: { map: 'a', pattern: 'unique', value: 1, period: 4 } },
    { op: 'madvise', args: { map: 'a', advice: 'mergeable' } },
  ]) model.step(step);
  let t0 = performance.now();
  model.step({ op: 'settle', args: { scans: 2 } });
  const two = performance.now() - t0;
  t0 = performance.now();
  model.step({ op: 'settle', args: { scans: 1 } });
  const one = performance.now() - t0;
  const o = model.observe();
  return `${Math.round(two)} ms for 2 passes over ${PAGES.toLocaleString('en-US')} pages (${Math.round((2 * PAGES) / (two / 1000)).toLocaleString('en-US')} pages/s), ${Math.round(one)} ms for a pass of merged pages; ${o.pages_shared} shared, ${o.pages_sharing} sharing, ${o.stable_node_dups} dups`;
}

/** On the host: the wall time of settles of 1 and 2 passes over n pages (whole steps, through the probe). */
async function hostSettle(): Promise<string> {
  if (process.getuid?.() !== 0 || process.env.MMSPEC_ALLOW_HOST_CHANGES !== '1') return 'skipped (needs root and MMSPEC_ALLOW_HOST_CHANGES=1)';
  const host = await linuxImplementation({ allowHostChanges: true });
  const out: string[] = [];
  try {
    for (const n of [100, 10_000, PAGES]) {
      const o = await host.open({ mechanism: 'ksm', config: {} });
      if ('skip' in o) return `skipped: ${o.skip}`;
      const step = (op: string, args: Record<string, unknown>) => host.step(o.session, { op, args });
      await step('mmap', { as: 'a', pages: n });
      await step('fill', { map: 'a', pattern: 'unique', value: 1, period: 4 });
      await step('madvise', { map: 'a', advice: 'mergeable' });
      const times: number[] = [];
      for (const scans of [1, 1, 2]) {
        const t0 = performance.now();
        const r = await step('settle', { scans });
        if (r.ret !== 'ok') throw new Error(`settle: ${JSON.stringify(r)}`);
        times.push(performance.now() - t0);
      }
      await host.close(o.session);
      out.push(`${n.toLocaleString('en-US')} pages: ${times.map((t) => `${t.toFixed(1)}`).join(' / ')} ms`);
    }
  } finally {
    await host.dispose?.();
  }
  return `settle 1 (checksums) / 1 (merging) / 2 (merged) passes, step wall time with observation — ${out.join('; ')}`;
}

const cases: BenchCase[] = [
  { name: 'oracle, ksm settle over 10^5 pages', run: modelSettle },
  { name: 'host kernel, ksm settle cost', run: hostSettle },
];

export default cases;
