// Which kernel a QEMU guest boots: a fetched Debian kernel by name, or the user's own bzImage.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type FetchOptions, KERNELS, type KernelManifest, isKernelName, kernelCacheRoot, readManifest } from './fetch.ts';
import { INIT_SCRIPT, buildInitramfs } from './initramfs.ts';
import { QemuTransport, type QemuGuestOptions } from './guest.ts';
import { RpcImplementation, type LineTransport } from '../impl/rpc.ts';
import type { OpenOutcome, OpenParams } from '../impl/types.ts';
import { CORE_KCONFIG, probeMechanisms } from '../probe/registry.ts';
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

export interface ResolveKernelOptions extends FetchOptions {
  /**
   * Boot the uncompressed vmlinux through PVH instead of the bzImage (skips the decompressor: 6.1
   * boots ~6 s faster under TCG, 6.12 ~1 s). The guest then sees ~2 MB more MemTotal than after a
   * bzImage boot. Default: $MMSPEC_QEMU_PVH=1, else off.
   */
  pvh?: boolean;
}

/**
 * Maps `debian-6.1`, `debian-6.12`, `debian-sid` (fetched into the cache) or a path to a kernel image of the
 * user's own (a bzImage, or a vmlinux with a PVH note) to what QEMU boots.
 */
export function resolveQemuKernel(spec: string, opts: ResolveKernelOptions = {}): QemuKernel {
  if (isKernelName(spec)) {
    const m = readManifest(spec, opts);
    if (!m) throw new Error(`kernel ${spec} is not fetched: run \`mmspec kernel fetch ${spec}\` first`);
    const pvh = opts.pvh ?? process.env.MMSPEC_QEMU_PVH === '1';
    const kernel = pvh && m.vmlinux ? m.vmlinux : m.vmlinuz;
    return { spec, kernel, module: m.module, release: m.release, manifest: m };
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

export interface GuestFilesOptions {
  /** Static probe binary (tools/probe/build.ts: buildProbe({ static: true })). */
  probe: string;
  cacheDir?: string;
  /** See ResolveKernelOptions.pvh. */
  pvh?: boolean;
}

/**
 * Resolves the kernel and builds (or reuses) the initramfs holding the given static probe. The
 * initramfs is cached by content in ${XDG_CACHE_HOME:-~/.cache}/mmspec/initramfs/.
 */
export function prepareGuestFiles(spec: string, opts: GuestFilesOptions): { kernel: QemuKernel; initrd: string } {
  const k = resolveQemuKernel(spec, { cacheDir: opts.cacheDir, pvh: opts.pvh });
  const busybox = findStaticBusybox();
  if (!busybox) throw new Error('no static busybox: apt-get install busybox-static (or run `mmspec kernel fetch`)');
  const h = createHash('sha256');
  for (const f of [busybox, opts.probe, k.module]) h.update(f ? readFileSync(f) : 'none').update('\0');
  h.update(INIT_SCRIPT);
  const initrd = join(dirname(kernelCacheRoot(opts.cacheDir)), 'initramfs', `${h.digest('hex').slice(0, 16)}.gz`);
  if (!existsSync(initrd)) buildInitramfs({ probe: opts.probe, module: k.module, out: initrd, busybox });
  return { kernel: k, initrd };
}

function guestLabel(spec: string, k: QemuKernel): string {
  return k.manifest?.vmlinux && k.kernel === k.manifest.vmlinux ? `${spec} pvh` : spec;
}

type GuestOpts = GuestFilesOptions & Omit<QemuGuestOptions, 'kernel' | 'initrd'>;

/** A guest for a kernel spec, behind the line-protocol client; it boots on first use. */
export function qemuImplementation(spec: string, opts: GuestOpts): RpcImplementation {
  const { kernel, initrd } = prepareGuestFiles(spec, opts);
  const { probe: _p, cacheDir: _c, pvh: _v, ...guestOpts } = opts;
  const transport = new QemuTransport({ label: guestLabel(spec, kernel), ...guestOpts, kernel: kernel.kernel, initrd });
  return new GuestImplementation(transport, `qemu:${spec}`, opts.requestTimeoutMs ?? 60_000, kernel.manifest?.config ?? null);
}

/** The config bits the probe reports from /proc/config.gz (which Debian kernels lack): the mechanisms'. */
export function configBits(text: string): Record<string, string> {
  const bits: Record<string, string> = {};
  for (const name of [...new Set([...CORE_KCONFIG, ...probeMechanisms().flatMap((m) => m.kernelConfig)])]) {
    const m = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
    bits[name] = m ? m[1]!.replace(/^"|"$/g, '') : 'n';
  }
  return bits;
}

/**
 * A guest reports the config bits of its package's config file when the kernel exposes none, and
 * removes its temporary folder (console logs) when disposed. A guest is disposable: a session
 * whose config asks for a disposable machine runs in a boot of its own, and a session the probe
 * turns away because earlier ones left the machine polluted is opened again in a fresh boot.
 */
export class GuestImplementation extends RpcImplementation {
  /** Sessions opened since the guest booted. */
  private sessions = 0;
  /** The last session was a disposable one's: no later session may meet what it left. */
  private spent = false;

  constructor(
    private readonly guest: LineTransport & { dispose(): Promise<void> },
    label: string,
    timeoutMs: number,
    private readonly configFile: string | null,
  ) {
    super(guest, label, timeoutMs);
  }

  override async open(params: OpenParams): Promise<OpenOutcome> {
    const disposable = params.config.needs_disposable_machine === true;
    if (this.spent || (disposable && this.sessions > 0)) await this.reboot();
    let out = await super.open(params);
    if ('skip' in out && out.polluted && this.sessions > 0) {
      await this.reboot();
      out = await super.open(params);
    }
    if ('session' in out) {
      this.sessions++;
      this.spent = disposable;
    }
    return out;
  }

  private async reboot(): Promise<void> {
    await this.restart();
    this.sessions = 0;
    this.spent = false;
  }

  override async dispose(): Promise<void> {
    try {
      await super.dispose();
    } finally {
      await this.guest.dispose();
    }
  }

  override async describe() {
    const info = await super.describe();
    if (info.config || !this.configFile) return info;
    return { ...info, config: configBits(readFileSync(this.configFile, 'utf8')) };
  }
}
