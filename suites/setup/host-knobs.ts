// The test run leaves the host as it found it: unless MMSPEC_ALLOW_HOST_CHANGES=1, no test
// may write a machine-wide setting. Every knob a host run could touch is read before the run
// and again after it; a difference fails the run, naming the knob.
import { KNOBS, snapshotKnobs } from '../../tools/linux/knobs.ts';

export default function setup(): () => void {
  if (process.env.MMSPEC_ALLOW_HOST_CHANGES === '1') return () => {};
  const before = snapshotKnobs(KNOBS);
  return () => {
    const after = snapshotKnobs(KNOBS);
    const changed = Object.keys(before).filter((k) => after[k] !== before[k]).map((k) => `${k}: ${before[k]} → ${after[k]}`);
    if (changed.length) throw new Error(`the tests changed host settings without MMSPEC_ALLOW_HOST_CHANGES=1:\n  ${changed.join('\n  ')}`);
  };
}
