// ksm's own tables: enough rows, citing every section of both documents, and the oracle as each
// of the four kernels of the matrix passing every row that applies (a known divergence as pinned).
import { describe, expect, it } from 'vitest';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { runScenarios } from '../../tools/runner/run.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';

const rows = loadScenarios().filter((s) => s.mechanism === 'ksm');

describe('the ksm tables', () => {
  it('hold at least 70 scenarios, abi and internal, at the levels the documents give', () => {
    expect(rows.length).toBeGreaterThanOrEqual(70);
    expect(rows.filter((s) => s.layer === 'internal').length).toBeGreaterThanOrEqual(10);
    for (const level of ['must', 'should', 'quirk']) expect(rows.some((s) => s.level === level), level).toBe(true);
  });

  it('cite every section of mm/ksm.rst and of the admin guide', () => {
    const cited = new Set(rows.flatMap((s) => s.cites.map((c) => `${c.doc ?? s.doc} § ${c.section}`)));
    const want = {
      'Documentation/mm/ksm.rst': ['Kernel Samepage Merging', 'Design', 'Overview', 'Reverse mapping', 'Reference'],
      'Documentation/admin-guide/mm/ksm.rst': ['Kernel Samepage Merging', 'Overview', 'Controlling KSM with madvise', 'KSM daemon sysfs interface', 'Monitoring KSM profit', 'Monitoring KSM events', 'Advisor'],
    };
    const missing = Object.entries(want).flatMap(([doc, sections]) => sections.map((x) => `${doc} § ${x}`)).filter((x) => !cited.has(x));
    expect(missing).toEqual([]);
  });

  for (const kernel of ['6.1', '6.12', '6.18', '7.2']) {
    it(`pass on the oracle as kernel ${kernel}`, async () => {
      const s = await runScenarios(new OracleImplementation(), rows, { kernel });
      expect(s.results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
      expect(s.passed).toBeGreaterThan(40);
    });
  }
});
