// The test run leaves no temporary folder behind: every mmspec-* entry in the temp dir that
// was not there before the run must be gone after it (a test's folders go when its file's
// tests are done, a guest's when it is disposed). One left fails the run, naming it.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ours = () => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('mmspec-')));

export default function setup(): () => void {
  const before = ours();
  return () => {
    const left = [...ours()].filter((f) => !before.has(f));
    if (left.length) throw new Error(`the tests left ${left.length} folder(s) in ${tmpdir()}:\n  ${left.slice(0, 20).join('\n  ')}`);
  };
}
