// The test run leaves no temporary folder behind. It gets a temp dir of its own (TMPDIR, which
// the test processes, the probe and QEMU guests inherit), so that what other programs on the
// machine put in the system's temp dir meanwhile is none of its business. A test's folders go
// when its file's tests are done, a guest's when it is disposed: an mmspec-* folder still in
// the run's temp dir at the end fails the run, naming it (and is kept there to be looked at).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const saved = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'mmspec-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    // Only mmspec's own (mmspec-*): tools' caches (tsx keeps its compiled files there) go with the dir.
    const left = readdirSync(dir).filter((f) => f.startsWith('mmspec-'));
    if (left.length) throw new Error(`the tests left ${left.length} folder(s) in ${dir}:\n  ${left.slice(0, 20).join('\n  ')}`);
    rmSync(dir, { recursive: true, force: true });
  };
}
