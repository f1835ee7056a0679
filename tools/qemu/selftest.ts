// End-to-end check of the QEMU guest route with the real probe (tools/probe):
//
//   node tools/bin/run-ts.js tools/qemu/selftest.ts [--fetch] [debian-6.12 debian-6.1 ...]
//
// Per kernel: boot, hello, then for each mechanism the guest offers: a 4 KB+ `open` line,
// observe, a `steps` batch of a generated sequence whose request and answer lines are several KB,
// close; dispose; then a garbage kernel, which must fail fast with an ImplFailure. Checks that no
// QEMU child is left. Needs the kernels fetched (or --fetch, as root).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MECHANISMS } from '../../oracle/index.ts';
import { Random } from '../../oracle/core/random.ts';
import { buildProbe } from '../probe/build.ts';
import { concrete } from '../fuzz/sequence.ts';
import { ImplFailure } from '../impl/types.ts';
import { fetchKernel, isKernelName } from './fetch.ts';
import { qemuImplementation } from './kernels.ts';

const args = process.argv.slice(2);
const doFetch = args.includes('--fetch');
const specs = args.filter((a) => !a.startsWith('--'));
if (specs.length === 0) specs.push('debian-6.12');

let passed = 0;
let failed = 0;
function ok(cond: boolean, what: string): void {
  if (cond) passed++;
  else failed++;
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
}
function qemuChildren(): string {
  try {
    return execFileSync('pgrep', ['-a', '-P', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('qemu'))
      .join('\n');
  } catch {
    return '';
  }
}

const probe = await buildProbe({ static: true });
for (const spec of specs) {
  if (doFetch && isKernelName(spec)) await fetchKernel(spec);
  const g = qemuImplementation(spec, { probe });
  try {
    const t0 = Date.now();
    const info = await g.describe();
    ok(typeof info.kernel === 'string', `${spec}: booted to hello in ${((Date.now() - t0) / 1000).toFixed(1)} s, kernel ${info.kernel}`);
    for (const mechanism of info.mechanisms) {
      const gen = MECHANISMS[mechanism]?.generator;
      if (!gen) continue;
      const c = gen.generate(new Random(1), { length: 60, disposable: true });
      const params = { mechanism, config: c.config, scenario: `selftest-${'x'.repeat(4096)}` };
      const o = await g.open(params);
      ok('session' in o, `${spec}: ${mechanism}: open with a ${JSON.stringify(params).length + 50} B request line`);
      if (!('session' in o)) continue;
      const obs = await g.observe(o.session);
      ok(Object.keys(obs).length > 0, `${spec}: ${mechanism}: observe (${Object.keys(obs).length} fields)`);
      // A generated sequence, its expressions read off the first observation, in one batch.
      const batch = c.steps.map((st) => concrete(st, obs, obs));
      const t1 = Date.now();
      let rs: Awaited<ReturnType<typeof g.steps>> = [];
      try {
        rs = await g.steps(o.session, batch);
      } catch (e) {
        // A step the generator made invalid on this machine ends the batch early: the framing held.
        rs = ((e as { detail?: { results?: typeof rs } }).detail?.results ?? []) as typeof rs;
      }
      ok(
        rs.length > 0,
        `${spec}: ${mechanism}: steps x${rs.length} of ${batch.length} (request ${JSON.stringify(batch).length} B, answer ${JSON.stringify(rs).length} B) in ${Date.now() - t1} ms`,
      );
      await g.close(o.session);
      ok(true, `${spec}: ${mechanism}: close`);
    }
  } catch (e) {
    ok(false, `${spec}: ${(e as Error).message}\n${(e as ImplFailure).stderr ?? ''}`);
  } finally {
    await g.dispose();
  }
  ok(qemuChildren() === '', `${spec}: no QEMU left after dispose`);
}

// A kernel that is not one: the failure must come at once, with diagnostics, and leave no QEMU.
const dir = mkdtempSync(join(tmpdir(), 'mmspec-qemu-selftest-'));
const garbage = join(dir, 'garbage.bzImage');
writeFileSync(garbage, randomBytes(1 << 20));
const g = qemuImplementation(garbage, { probe, bootTimeoutMs: 30_000, workDir: dir });
const t0 = Date.now();
try {
  await g.describe();
  ok(false, 'garbage kernel: booted?!');
} catch (e) {
  ok(
    e instanceof ImplFailure && e.stderr.includes('console'),
    `garbage kernel: ${e instanceof ImplFailure ? 'ImplFailure' : 'other error'} after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${(e as Error).message}`,
  );
} finally {
  await g.dispose();
  rmSync(dir, { recursive: true, force: true });
}
ok(qemuChildren() === '', 'garbage kernel: no QEMU left');

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
