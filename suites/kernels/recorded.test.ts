// The oracle against real kernels, through their recorded answers (fixtures/kernels/).
// Each recorded scenario is replayed on the oracle set up as the recorded machine was and
// behaving as the recorded release; every difference on an outcome or a checked field is a
// failure — known divergences included, since the oracle as a kernel predicts its bugs too.
import { describe, expect, it } from 'vitest';
import { inRange } from '../../oracle/core/kernel.ts';
import { loadRecordings, rowHash, type RecordedScenario } from '../../tools/record/recording.ts';
import { replayOnOracle } from '../../tools/record/replay.ts';
import { loadScenarios, tablesDir, type LoadedScenario } from '../../tools/spec/tables.ts';

// The project's own tables: the worked example's root is not recorded.
const scenarios = new Map(loadScenarios(tablesDir()).map((s) => [s.id, s]));
const recordings = loadRecordings();

/** Scenarios no probe can run on a kernel: machine facts, no CAP_SYS_ADMIN, a disposable machine off one. */
function probeCannot(s: LoadedScenario, disposable: boolean): boolean {
  const c = s.config ?? {};
  return c.machine !== undefined || c.cap_sys_admin === false || (c.needs_disposable_machine === true && !disposable);
}

describe('recorded kernels', () => {
  it('exist for the host and three guest kernels, the newest included', () => {
    const kernels = new Set(recordings.map((r) => r.rec.kernel));
    expect(kernels.size).toBeGreaterThanOrEqual(4);
    expect([...kernels].some((k) => inRange(k, '>=7'))).toBe(true);
  });

  for (const { file, rec } of recordings) {
    describe(`${file} (${rec.kernel}, recorded ${rec.recorded.slice(0, 10)})`, () => {
      const redo = `re-record with: ${rec.command ?? `mmspec record --impl … --mechanism ${rec.mechanism}`}`;
      const disposable = !!rec.command && !rec.command.includes('--impl linux');

      it('is of the rows as they are now (a changed row must be recorded again)', () => {
        const stale = rec.scenarios.filter((r) => !scenarios.has(r.id) || r.hash !== rowHash(scenarios.get(r.id)!)).map((r) => r.id);
        expect(stale, `rows changed or gone since recording: ${redo}`).toEqual([]);
      });

      it('covers every abi scenario that applies to this kernel (a skip counts only when the kernel lacks what it needs)', () => {
        const covered = new Set(rec.scenarios.filter((r) => r.status !== 'skipped' || r.lacks).map((r) => r.id));
        const want = [...scenarios.values()].filter(
          (s) => s.mechanism === rec.mechanism && s.layer === 'abi' && inRange(rec.kernel, s.kernels) && !probeCannot(s, disposable),
        );
        expect(want.filter((s) => !covered.has(s.id)).map((s) => s.id), redo).toEqual([]);
      });

      it('shows the kernel passing every scenario it ran, or answering exactly as a known divergence pins', () => {
        const bad = rec.scenarios.filter((s) => s.status === 'failed' || s.status === 'flaky').map((s) => `${s.id}: ${s.status}: ${s.reason}`);
        expect(bad).toEqual([]);
      });

      it('agrees with the oracle as that kernel, step by step', async () => {
        const diffs: string[] = [];
        const ran = (r: RecordedScenario) => r.status !== 'skipped' && scenarios.has(r.id);
        for (const r of rec.scenarios.filter(ran)) {
          for (const d of await replayOnOracle(rec.kernel, scenarios.get(r.id)!, r)) diffs.push(`${r.id}: ${d}`);
        }
        expect(diffs).toEqual([]);
      });
    });
  }
});
