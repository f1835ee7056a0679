// Which kernel a QEMU guest boots: a fetched Debian kernel by name, or the user's own bzImage.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type FetchOptions, KERNELS, type KernelManifest, isKernelName, kernelCacheRoot, readManifest } from './fetch.ts';
import { INIT_SCRIPT, buildInitramfs } from './initramfs.ts';
import { QemuGuest, type QemuGuestOptions } from './guest.ts';
import { findStaticBusybox } from './fetch.ts';

export interface QemuKernel {
  /** The spec as given: debian-6.12, or the path. */
  spec: string;
  /** Path of the kernel image to boot. */
  kernel: string;
  /** hwpoison-inject.ko for the initramfs, or null (own builds bring none). */
  module: string | null;
  /** `uname -r` when known beforehand (fetched kernels); the guest's hello tells it in any case. */
  release: string | null;
  manifest: KernelManifest | null;
}

/** Maps `debian-6.1`, `debian-6.12` (fetched into the cache) or a path to a bzImage to what QEMU boots. */
export function resolveQemuKernel(spec: string, opts: FetchOptions = {}): QemuKernel {
  if (isKernelName(spec)) {
    const m = readManifest(spec, opts);
    if (!m) throw new Error(`kernel ${spec} is not fetched: run \`mmspec kernel fetch ${spec}\` first`);
    return { spec, kernel: m.vmlinuz, module: m.module, release: m.release, manifest: m };
  }
  if (/^debian-/.test(spec)) {
    throw new Error(`unknown kernel ${spec}; known: ${Object.keys(KERNELS).join(', ')}, or a path to a bzImage`);
  }
  const path = resolve(spec);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new Error(`kernel ${spec}: no such file (give ${Object.keys(KERNELS).join(' or ')}, or a path to a bzImage)`);
  }
  return { spec, kernel: path, module: null, release: null, manifest: null };
}

/**
 * Resolves the kernel, builds (or reuses) the initramfs with the given static probe, and returns a
 * guest ready to boot on first use. The initramfs is cached by content next to the kernels.
 */
export function qemuGuest(
  spec: string,
  opts: { probe: string; cacheDir?: string } & Omit<QemuGuestOptions, 'kernel' | 'initrd'>,
): QemuGuest {
  const k = resolveQemuKernel(spec, { cacheDir: opts.cacheDir });
  const busybox = findStaticBusybox();
  if (!busybox) throw new Error('no static busybox: apt-get install busybox-static (or run `mmspec kernel fetch`)');
  const h = createHash('sha256');
  for (const f of [busybox, opts.probe, k.module]) h.update(f ? readFileSync(f) : 'none').update('\0');
  h.update(INIT_SCRIPT);
  const out = join(dirname(kernelCacheRoot(opts.cacheDir)), 'initramfs', `${h.digest('hex').slice(0, 16)}.gz`);
  if (!existsSync(out)) buildInitramfs({ probe: opts.probe, module: k.module, out, busybox });
  const { probe: _p, cacheDir: _c, ...guestOpts } = opts;
  return new QemuGuest({ label: spec, ...guestOpts, kernel: k.kernel, initrd: out });
}
