// overcommit's own tables: enough rows, at every level the document gives.
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../tools/spec/tables.ts';

describe('the overcommit tables', () => {
  const scenarios = loadScenarios();

  it('give overcommit at least 40 scenarios across must, should and quirk', () => {
    const oc = scenarios.filter((s) => s.mechanism === 'overcommit');
    expect(oc.length).toBeGreaterThanOrEqual(40);
    for (const level of ['must', 'should', 'quirk']) expect(oc.some((s) => s.level === level), level).toBe(true);
  });
});
