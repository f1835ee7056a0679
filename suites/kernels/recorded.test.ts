// The oracle against real kernels, through their recorded answers (fixtures/kernels/).
// Each recorded scenario is replayed on the oracle set up as the recorded machine was;
// every difference on a checked field is a failure unless a known divergence explains it.
import { describe, expect, it } from 'vitest';
import { inRange } from '../../oracle/core/kernel.ts';
import { loadRecordings } from '../../tools/record/recording.ts';
import { replayOnOracle } from '../../tools/record/replay.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';

const scenarios = new Map(loadScenarios().map((s) => [s.id, s]));
const recordings = loadRecordings();
const RERECORD = 'recording is stale: re-record with `mmspec record --impl …` (see README)';

describe('recorded kernels', () => {
  it('exist for the host and two guest kernels', () => {
    expect(new Set(recordings.map((r) => r.rec.kernel)).size).toBeGreaterThanOrEqual(3);
  });

  for (const { file, rec } of recordings) {
    describe(`${file} (${rec.kernel}, recorded ${rec.recorded.slice(0, 10)})`, () => {
      const known = (id: string) => scenarios.get(id)?.divergences?.some((d) => inRange(rec.kernel, d.kernels)) ?? false;

      it('covers every abi scenario that applies to this kernel', () => {
        const have = new Set(rec.scenarios.map((s) => s.id));
        const want = [...scenarios.values()].filter((s) => s.mechanism === rec.mechanism && s.layer === 'abi' && inRange(rec.kernel, s.kernels) && !s.config?.machine);
        expect(want.filter((s) => !have.has(s.id)).map((s) => s.id), RERECORD).toEqual([]);
        expect(rec.scenarios.filter((s) => !scenarios.has(s.id)).map((s) => s.id), RERECORD).toEqual([]);
      });

      it('shows the kernel passing every scenario it ran, or a known divergence', () => {
        const bad = rec.scenarios.filter((s) => s.status === 'failed' && !known(s.id)).map((s) => `${s.id}: ${s.reason}`);
        expect(bad).toEqual([]);
      });

      it('agrees with the oracle, step by step', async () => {
        const diffs: string[] = [];
        for (const r of rec.scenarios) {
          const s = scenarios.get(r.id);
          if (!s || known(r.id)) continue;
          for (const d of await replayOnOracle(rec.kernel, s, r)) diffs.push(`${r.id}: ${d}`);
        }
        expect(diffs).toEqual([]);
      });
    });
  }
});
