// Fetches a Debian kernel for the QEMU guest route and installs the host tools it needs.
//
//   node tools/bin/run-ts.js tools/qemu/fetch.ts debian-6.12 [debian-6.1 ...]
//
// The kernel package is resolved through the Debian meta package (so the ABI number is not
// hard-coded), downloaded with `apt-get download`, unpacked with `dpkg -x`, and only vmlinuz, the
// config file and hwpoison-inject.ko are kept, under
// ${XDG_CACHE_HOME:-~/.cache}/mmspec/kernels/<name>/ with a manifest.json. A second call only reads
// the manifest.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { type Log, stderrLog, run, runOk, which, isRoot, elfLinkage } from '../core/host.ts';

export type KernelName = 'debian-6.1' | 'debian-6.12';

/** Per kernel name: the Debian meta packages that may depend on it, and the release prefix it must have. */
export const KERNELS: Record<KernelName, { metaPackages: string[]; releasePrefix: string }> = {
  'debian-6.1': { metaPackages: ['linux-image-amd64', 'linux-image-6.1-amd64'], releasePrefix: '6.1.' },
  'debian-6.12': { metaPackages: ['linux-image-6.12-amd64', 'linux-image-amd64'], releasePrefix: '6.12.' },
};

export function isKernelName(s: string): s is KernelName {
  return Object.prototype.hasOwnProperty.call(KERNELS, s);
}

export interface KernelManifest {
  name: KernelName;
  /** The meta package the name was resolved through, e.g. linux-image-6.12-amd64. */
  metaPackage: string;
  /** The resolved binary package, e.g. linux-image-6.12.117+deb12-amd64. */
  package: string;
  /** Debian version of that package, e.g. 6.12.117-1~deb12u1. */
  version: string;
  /** `uname -r` of the kernel (the name of its module folder). */
  release: string;
  /** Absolute paths inside the cache folder. */
  vmlinuz: string;
  config: string;
  /** hwpoison-inject.ko, decompressed; null when the package has none. */
  module: string | null;
  /**
   * The uncompressed kernel (ELF with a PVH entry note), unpacked from vmlinuz: QEMU boots it without
   * the decompressor (6.1: ~6 s faster under TCG). null when it could not be unpacked; absent in
   * manifests written before it existed.
   */
  vmlinux?: string | null;
  vmlinuzSha256: string;
  debFile: string;
  fetchedAt: string;
}

export interface FetchOptions {
  /** Root of the kernel cache; default ${XDG_CACHE_HOME:-~/.cache}/mmspec/kernels. */
  cacheDir?: string;
  log?: Log;
  /** Fetch again even when the manifest exists. */
  force?: boolean;
}

export function kernelCacheRoot(cacheDir?: string): string {
  if (cacheDir) return resolve(cacheDir);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mmspec', 'kernels');
}

export function kernelDir(name: KernelName, opts: FetchOptions = {}): string {
  return join(kernelCacheRoot(opts.cacheDir), name);
}

/** The manifest of a fetched kernel, or null when it is absent or its files are gone. */
export function readManifest(name: KernelName, opts: FetchOptions = {}): KernelManifest | null {
  const file = join(kernelDir(name, opts), 'manifest.json');
  if (!existsSync(file)) return null;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as KernelManifest;
    // The files sit next to the manifest: re-base the recorded paths, so a moved cache still works.
    const dir = dirname(file);
    m.vmlinuz = join(dir, basename(m.vmlinuz));
    m.config = join(dir, basename(m.config));
    if (m.module) m.module = join(dir, basename(m.module));
    if (m.vmlinux) m.vmlinux = join(dir, basename(m.vmlinux));
    if (!existsSync(m.vmlinuz) || !existsSync(m.config) || (m.module !== null && !existsSync(m.module))) return null;
    if (m.vmlinux && !existsSync(m.vmlinux)) return null;
    return m;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Host tools

/** Debian packages the guest route needs, and the program each must provide. */
export const HOST_PACKAGES: { pkg: string; program: string }[] = [
  { pkg: 'qemu-system-x86', program: 'qemu-system-x86_64' },
  { pkg: 'busybox-static', program: 'busybox' },
  { pkg: 'xz-utils', program: 'xz' },
  { pkg: 'zstd', program: 'zstd' }, // unpacks the zstd-compressed 6.12 bzImage into a PVH vmlinux
];

let aptUpdated = false;

async function aptUpdateOnce(log: Log): Promise<void> {
  if (aptUpdated || !isRoot()) return;
  log('qemu: apt-get update');
  await runOk('apt-get', ['update', '-q']);
  aptUpdated = true;
}

/** A static busybox: the one from busybox-static, not a dynamic build that cannot run in the initramfs. */
export function findStaticBusybox(): string | null {
  for (const p of [which('busybox'), '/bin/busybox', '/usr/bin/busybox']) {
    if (p && existsSync(p) && elfLinkage(p) === 'static') return p;
  }
  return null;
}

function missingHostPackages(): string[] {
  return HOST_PACKAGES.filter(({ pkg, program }) =>
    pkg === 'busybox-static' ? findStaticBusybox() === null : which(program) === null,
  ).map(({ pkg }) => pkg);
}

/** Installs qemu-system-x86, busybox-static, xz-utils and zstd when any is missing (root only). */
export async function ensureHostTools(opts: { log?: Log } = {}): Promise<void> {
  const log = opts.log ?? stderrLog;
  const missing = missingHostPackages();
  if (missing.length === 0) return;
  if (!isRoot() || !which('apt-get')) {
    throw new Error(
      `the QEMU guest route needs ${missing.join(', ')}; install as root with:\n` +
        `  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${HOST_PACKAGES.map((p) => p.pkg).join(' ')}`,
    );
  }
  await aptUpdateOnce(log);
  log(`qemu: installing ${missing.join(' ')}`);
  const t0 = Date.now();
  await runOk('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...HOST_PACKAGES.map((p) => p.pkg)], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  log(`qemu: installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const still = missingHostPackages();
  if (still.length) throw new Error(`after apt-get install, still missing: ${still.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Kernel package resolution and download

async function aptDepends(meta: string): Promise<string | null> {
  const r = await run('apt-cache', ['depends', meta]);
  if (r.code !== 0) return null;
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*\|?Depends:\s*(linux-image-\S+)\s*$/.exec(line);
    if (m && !m[1]!.startsWith('<')) return m[1]!;
  }
  return null;
}

async function aptCandidate(pkg: string): Promise<string | null> {
  const r = await run('apt-cache', ['policy', pkg]);
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1]! : null;
}

/** Resolves a kernel name to its binary package and version through the Debian meta packages. */
export async function resolveKernelPackage(
  name: KernelName,
  log: Log = stderrLog,
): Promise<{ metaPackage: string; package: string; version: string }> {
  const { metaPackages, releasePrefix } = KERNELS[name];
  const seen: string[] = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const meta of metaPackages) {
      const pkg = await aptDepends(meta);
      if (!pkg) continue;
      seen.push(`${meta} -> ${pkg}`);
      // linux-image-<release>: the release must belong to the wanted series.
      const release = pkg.replace(/^linux-image-/, '');
      if (!release.startsWith(releasePrefix)) continue;
      const version = await aptCandidate(pkg);
      if (!version) continue;
      return { metaPackage: meta, package: pkg, version };
    }
    if (attempt === 0 && !aptUpdated && isRoot()) {
      await aptUpdateOnce(log); // the package lists may be missing or old
      seen.length = 0;
    } else break;
  }
  throw new Error(
    `cannot resolve ${name}: none of ${metaPackages.join(', ')} depends on a ${releasePrefix}x kernel here` +
      (seen.length ? ` (found: ${seen.join('; ')})` : ' (no package found: run `apt-get update` as root)') +
      '. The Debian kernels come from bookworm (6.1) and bookworm-backports/bookworm (6.12).',
  );
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function findFile(root: string, names: string[]): string | null {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) stack.push(p);
      else if (names.includes(ent.name)) return p;
    }
  }
  return null;
}

async function decompressModule(src: string, dest: string): Promise<void> {
  if (src.endsWith('.ko')) {
    writeFileSync(dest, readFileSync(src));
  } else if (src.endsWith('.xz')) {
    if (!which('xz')) throw new Error('xz is needed to decompress kernel modules: apt-get install xz-utils');
    const fd = openSync(dest, 'w');
    try {
      await new Promise<void>((res, rej) => {
        const c = spawn('xz', ['-dc', src], { stdio: ['ignore', fd, 'pipe'] });
        let err = '';
        c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
        c.on('error', rej);
        c.on('close', (code) => (code === 0 ? res() : rej(new Error(`xz -dc ${src}: exit ${code} ${err}`))));
      });
    } finally {
      closeSync(fd);
    }
  } else if (src.endsWith('.gz')) {
    writeFileSync(dest, gunzipSync(readFileSync(src)));
  } else if (src.endsWith('.zst')) {
    if (!which('zstd')) throw new Error('zstd is needed to decompress kernel modules: apt-get install zstd');
    await runOk('zstd', ['-q', '-d', '-f', '-o', dest, src]);
  } else {
    throw new Error(`unknown module compression: ${src}`);
  }
}

/** Runs cmd with input on stdin and its stdout into the file out. */
function pipeToFile(cmd: string, args: string[], input: Buffer, out: string): Promise<void> {
  const fd = openSync(out, 'w');
  return new Promise<void>((res, rej) => {
    const c = spawn(cmd, args, { stdio: ['pipe', fd, 'pipe'] });
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    c.stdin!.on('error', () => undefined);
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res() : rej(new Error(`${cmd} ${args.join(' ')}: exit ${code} ${err.trim()}`))));
    c.stdin!.end(input);
  }).finally(() => closeSync(fd));
}

/**
 * Unpacks the uncompressed kernel from a bzImage (the payload the setup header points at, as the
 * kernel's scripts/extract-vmlinux does) when the kernel can boot through PVH (CONFIG_PVH=y).
 * Returns its path, or null (with a note) when that is not possible.
 */
export async function unpackVmlinux(bzImage: string, config: string, out: string, log: Log = stderrLog): Promise<string | null> {
  try {
    if (!/^CONFIG_PVH=y$/m.test(readFileSync(config, 'utf8'))) {
      log(`qemu: no vmlinux: ${config} has no CONFIG_PVH=y`);
      return null;
    }
    const b = readFileSync(bzImage);
    if (b.length < 0x260 || b.toString('latin1', 0x202, 0x206) !== 'HdrS' || b.readUInt16LE(0x206) < 0x208) {
      log(`qemu: no vmlinux: ${bzImage} is not a bzImage with boot protocol 2.08+`);
      return null;
    }
    const setupSects = b[0x1f1] || 4;
    const start = (setupSects + 1) * 512 + b.readUInt32LE(0x248);
    const payload = b.subarray(start, start + b.readUInt32LE(0x24c));
    // The build appends the uncompressed size (4 bytes, little endian) to the compressed stream.
    const size = payload.readUInt32LE(payload.length - 4);
    const stream = payload.subarray(0, payload.length - 4);
    const tmp = `${out}.tmp-${process.pid}`;
    if (stream[0] === 0x1f && stream[1] === 0x8b) writeFileSync(tmp, gunzipSync(stream));
    else if (stream.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) await pipeToFile('xz', ['-dc'], stream, tmp);
    else if (stream.readUInt32LE(0) === 0xfd2fb528) {
      if (!which('zstd')) {
        log('qemu: no vmlinux: the kernel is zstd-compressed and zstd is not installed (apt-get install zstd)');
        return null;
      }
      await pipeToFile('zstd', ['-dcq'], stream, tmp);
    } else {
      log(`qemu: no vmlinux: unknown compression of ${bzImage}`);
      return null;
    }
    const got = statSync(tmp).size;
    const head = readFileSync(tmp).subarray(0, 4);
    if (got !== size || head.readUInt32BE(0) !== 0x7f454c46) {
      rmSync(tmp, { force: true });
      log(`qemu: no vmlinux: unpacked ${got} bytes, expected an ELF of ${size}`);
      return null;
    }
    renameSync(tmp, out);
    log(`qemu: unpacked ${out} (${(size / 1e6).toFixed(1)} MB, PVH-bootable)`);
    return out;
  } catch (e) {
    log(`qemu: no vmlinux: ${(e as Error).message}`);
    return null;
  }
}

/**
 * Makes sure the named Debian kernel is in the cache and returns its manifest. Installs the host
 * tools first. Idempotent: when the manifest is present, it is all that is read.
 */
export async function fetchKernel(name: KernelName, opts: FetchOptions = {}): Promise<KernelManifest> {
  const log = opts.log ?? stderrLog;
  if (!isKernelName(name)) throw new Error(`unknown kernel ${name}; known: ${Object.keys(KERNELS).join(', ')}`);
  if (!opts.force) {
    const m = readManifest(name, opts);
    if (m) {
      log(`qemu: ${name} already fetched (${m.package} ${m.version}, release ${m.release})`);
      if (m.vmlinux === undefined) {
        // A manifest from before vmlinux existed: add it from the cached vmlinuz, no download.
        m.vmlinux = await unpackVmlinux(m.vmlinuz, m.config, join(kernelDir(name, opts), `vmlinux-${m.release}`), log);
        writeFileSync(join(kernelDir(name, opts), 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
      }
      return m;
    }
  }
  await ensureHostTools({ log });
  for (const tool of ['apt-get', 'apt-cache', 'dpkg']) {
    if (!which(tool)) throw new Error(`${tool} not found: fetching Debian kernels needs a Debian-based host`);
  }

  const dir = kernelDir(name, opts);
  mkdirSync(dir, { recursive: true });
  const { metaPackage, package: pkg, version } = await resolveKernelPackage(name, log);
  log(`qemu: ${name}: ${metaPackage} -> ${pkg} ${version}`);

  const work = join(dir, `.work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const t0 = Date.now();
    log(`qemu: downloading ${pkg} ${version}`);
    await runOk('apt-get', ['download', '-q', `${pkg}=${version}`], { cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${work}`);
    const debSize = statSync(join(work, deb)).size;
    log(`qemu: downloaded ${deb} (${(debSize / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s; unpacking`);
    const x = join(work, 'x');
    await runOk('dpkg', ['-x', join(work, deb), x]);

    const modRoots = [join(x, 'lib', 'modules'), join(x, 'usr', 'lib', 'modules')].filter((p) => existsSync(p));
    const releases = modRoots.flatMap((r) => readdirSync(r).map((rel) => ({ root: r, rel })));
    if (releases.length !== 1) {
      throw new Error(`expected one module folder in ${deb}, found ${releases.map((r) => r.rel).join(', ') || 'none'}`);
    }
    const { root: modRoot, rel: release } = releases[0]!;
    const vmlinuzSrc = [join(x, 'boot', `vmlinuz-${release}`), join(x, 'usr', 'lib', 'linux', `vmlinuz-${release}`)].find(existsSync);
    const configSrc = [join(x, 'boot', `config-${release}`), join(x, 'usr', 'lib', 'linux', `config-${release}`)].find(existsSync);
    if (!vmlinuzSrc || !configSrc) throw new Error(`${deb} has no boot/vmlinuz-${release} or boot/config-${release}`);
    const moduleSrc = findFile(join(modRoot, release), [
      'hwpoison-inject.ko',
      'hwpoison-inject.ko.xz',
      'hwpoison-inject.ko.zst',
      'hwpoison-inject.ko.gz',
    ]);

    // Replace the cache contents: old files first, manifest last (it marks a complete fetch).
    for (const f of readdirSync(dir)) if (!f.startsWith('.work-')) rmSync(join(dir, f), { recursive: true, force: true });
    const vmlinuz = join(dir, `vmlinuz-${release}`);
    const config = join(dir, `config-${release}`);
    renameSync(vmlinuzSrc, vmlinuz);
    renameSync(configSrc, config);
    let module: string | null = null;
    if (moduleSrc) {
      module = join(dir, 'hwpoison-inject.ko');
      await decompressModule(moduleSrc, module);
    } else {
      log(`qemu: warning: ${pkg} has no hwpoison-inject module`);
    }
    const vmlinux = await unpackVmlinux(vmlinuz, config, join(dir, `vmlinux-${release}`), log);
    const manifest: KernelManifest = {
      name,
      metaPackage,
      package: pkg,
      version,
      release,
      vmlinuz,
      config,
      module,
      vmlinux,
      vmlinuzSha256: sha256(vmlinuz),
      debFile: deb,
      fetchedAt: new Date().toISOString(),
    };
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`qemu: ${name} ready in ${dir} (release ${release}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Run directly: fetch the kernels named on the command line.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error(`usage: fetch.ts ${Object.keys(KERNELS).join('|')} ...`);
    process.exit(2);
  }
  for (const n of names) {
    if (!isKernelName(n)) {
      console.error(`unknown kernel ${n}; known: ${Object.keys(KERNELS).join(', ')}`);
      process.exit(2);
    }
    const m = await fetchKernel(n);
    console.log(JSON.stringify(m, null, 2));
  }
}
