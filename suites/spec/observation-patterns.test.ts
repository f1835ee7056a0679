// Observation fields named by pattern (a mechanism's observation patternProperties: fields of
// each process or mapping, named after it) are fields of the mechanism like the fixed ones.
import { describe, expect, it } from 'vitest';
import { hasObservationField } from '../../tools/spec/mechanisms.ts';

describe('observation fields by pattern', () => {
  const spec = { observationFields: new Set(['pages_total']), observationPatterns: [/^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*\.present$/u] };

  it('accepts a fixed field and one a pattern names, and nothing else', () => {
    expect(hasObservationField(spec, 'pages_total')).toBe(true);
    expect(hasObservationField(spec, 'main.a.present')).toBe(true);
    expect(hasObservationField(spec, 'c-1.m_2.present')).toBe(true);
    expect(hasObservationField(spec, 'main.a.absent')).toBe(false);
    expect(hasObservationField(spec, 'a.present')).toBe(false);
  });
});
