// --impl SPEC → an implementation under test. Each kind's module is imported when it is asked
// for: a run against the oracle loads nothing of processes, probes or QEMU.
import { UserError } from '../cli/errors.ts';
import { KERNELS } from '../qemu/kernel-names.ts';
import { OracleImplementation } from './oracle.ts';
import type { Implementation } from './types.ts';

export interface ResolveOptions {
  timeoutMs?: number;
  allowHostChanges?: boolean;
}

export const IMPL_FORMS = ['oracle', 'module:PATH', 'exec:COMMAND', 'linux', ...Object.keys(KERNELS).map((k) => `qemu:${k}`), 'qemu:PATH'];

export async function resolveImplementation(spec: string, opts: ResolveOptions = {}): Promise<Implementation> {
  if (spec === 'oracle') return new OracleImplementation();
  if (spec === 'linux') return (await import('../linux/impl.ts')).linuxImplementation(opts);
  if (spec.startsWith('qemu:')) return guestImplementation(spec.slice('qemu:'.length), opts.timeoutMs);
  if (spec.startsWith('module:')) return (await import('./module.ts')).loadModuleImplementation(spec.slice('module:'.length));
  if (spec.startsWith('exec:')) {
    const command = spec.slice('exec:'.length).trim();
    if (!command) throw new UserError('exec: needs a command, e.g. --impl exec:"python3 my_impl.py"');
    return (await import('./exec.ts')).execImplementation(command, opts.timeoutMs);
  }
  throw new UserError(`unknown implementation '${spec}': use one of ${IMPL_FORMS.join(', ')}`);
}

/** qemu:SPEC — a kernel booted under QEMU with the static probe in its initramfs. */
async function guestImplementation(kernel: string, timeoutMs?: number): Promise<Implementation> {
  if (!kernel) throw new UserError('qemu: needs a kernel: qemu:debian-6.1, qemu:debian-6.12 or qemu:PATH-TO-BZIMAGE');
  try {
    const [{ buildProbe }, { qemuImplementation }] = await Promise.all([import('../probe/build.ts'), import('../qemu/kernels.ts')]);
    const probe = await buildProbe({ static: true });
    // Under TCG a step runs far slower than on the host: allow at least a minute per request.
    return qemuImplementation(kernel, { probe, requestTimeoutMs: Math.max(timeoutMs ?? 0, 60_000) });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}
