// Real-kernel adapters when things go wrong: a probe killed mid-scenario, a guest that never boots.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessTransport } from '../../tools/impl/exec.ts';
import { RpcImplementation } from '../../tools/impl/rpc.ts';
import { ImplFailure } from '../../tools/impl/types.ts';
import { HostGuard } from '../../tools/linux/guard.ts';
import { buildProbe } from '../../tools/probe/build.ts';
import { qemuImplementation } from '../../tools/qemu/kernels.ts';
import { which } from '../../tools/core/host.ts';
import { EXAMPLE, tempDir } from '../helpers.ts';

const root = process.getuid?.() === 0;
// Runs that change the host's settings only with the owner's consent.
const allowed = process.env.MMSPEC_ALLOW_HOST_CHANGES === '1';
const hasCc = spawnSync('sh', ['-c', 'command -v cc || command -v gcc']).status === 0;
// The worked example's knob (fixtures: one sysctl, 1 to 3000).
const scale = () => readFileSync('/proc/sys/vm/watermark_scale_factor', 'utf8').trim();
/** A value in range other than `not`. */
const other = (not: string, v: number) => String(Number(not) === v ? v + 1 : v);

describe('the probe', () => {
  it.runIf(root && hasCc && allowed)('killed mid-scenario fails that scenario, puts the knobs back, and the next open starts afresh', async () => {
    const guard = new HostGuard(tempDir('mmspec-state-'), undefined, () => {});
    guard.acquire();
    const before = scale();
    const [atOpen, atStep] = [other(before, 150), other(before, 250)];
    const transport = new ProcessTransport(await buildProbe(), []);
    const impl = new RpcImplementation(transport, 'linux probe', 10_000);
    try {
      const opened = await impl.open({ mechanism: EXAMPLE, config: { watermark_scale_factor: Number(atOpen) } });
      if (!('session' in opened)) throw new Error(`probe skipped: ${opened.skip}`);
      expect(scale()).toBe(atOpen);
      expect((await impl.step(opened.session, { op: 'set_scale', args: { value: Number(atStep) } })).ret).toBe('ok');
      expect(scale()).toBe(atStep);
      process.kill(transport.pid!, 'SIGKILL');
      await expect(impl.step(opened.session, { op: 'set_scale', args: { value: Number(atOpen) } })).rejects.toThrow(ImplFailure);
      // The session processes notice the relay is gone and restore what the session changed.
      for (let i = 0; i < 50 && scale() !== before; i++) await new Promise((r) => setTimeout(r, 100));
      expect(scale()).toBe(before);
      const again = await impl.open({ mechanism: EXAMPLE, config: {} });
      expect('session' in again).toBe(true);
    } finally {
      await impl.dispose();
      guard.release();
    }
  });
});

describe('a QEMU guest', () => {
  const qemu = which('qemu-system-x86_64') && which('busybox') && hasCc;
  it.runIf(qemu)('that never boots is reported with its console, and no QEMU is left', async () => {
    const dir = tempDir('mmspec-badkernel-');
    const kernel = join(dir, 'bzImage');
    writeFileSync(kernel, randomBytes(1 << 16));
    const impl = qemuImplementation(kernel, { probe: await buildProbe({ static: true }), bootTimeoutMs: 30_000, log: () => {} });
    const t0 = Date.now();
    try {
      await expect(impl.describe()).rejects.toThrow(ImplFailure);
    } finally {
      await impl.dispose();
    }
    expect(Date.now() - t0).toBeLessThan(35_000);
    const left = spawnSync('pgrep', ['-af', kernel], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  });
});
