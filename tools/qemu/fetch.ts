// Fetches a Debian kernel for the QEMU guest route and installs the host tools it needs.
//
//   node tools/bin/run-ts.js tools/qemu/fetch.ts debian-6.12 [debian-6.1 debian-sid ...]
//
// The kernel package is resolved through the Debian meta package (so the ABI number is not
// hard-coded), downloaded with `apt-get download`, unpacked with `dpkg -x`, and only vmlinuz, the
// config file and hwpoison-inject.ko are kept, under
// ${XDG_CACHE_HOME:-~/.cache}/mmspec/kernels/<name>/ with a manifest.json.
//
// debian-6.1 and debian-6.12 come from the machine's own apt sources (bookworm, backports); a second
// call only reads the manifest. debian-sid comes from Debian unstable through a private apt state
// (sources list, lists, cache, an empty dpkg status) under ${XDG_CACHE_HOME:-~/.cache}/mmspec/apt-sid/,
// checked against the installed Debian archive keyring; the machine's apt setup is only read (its
// apt.conf, e.g. proxies), never changed. sid moves, so every fetch of debian-sid refreshes that
// state and resolves linux-image-amd64 again, downloading only when the release changed; `release`
// pins one release instead (linux-image-<release>-amd64, e.g. 7.2.13+deb14).
//
// Two package layouts: one linux-image-<release> package holding the kernel, its config and the
// modules (bookworm), or linux-image-<release> as an empty package depending on
// linux-binary-<release> (vmlinuz), linux-base-<release> (config) and linux-modules-<release> (sid).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { type Log, stderrLog, run, runOk, which, isRoot, elfLinkage } from '../core/host.ts';
import { KERNELS, isKernelName, type KernelName } from './kernel-names.ts';

export { KERNELS, isKernelName, type KernelName, type KernelSource } from './kernel-names.ts';

/** The Debian kernel flavour (and apt architecture) the guests boot. */
export const FLAVOUR = 'amd64';

export interface KernelPackageFile {
  /** Package name, e.g. linux-modules-7.2.13+deb14-amd64. */
  name: string;
  /** Debian version, e.g. 7.2.13-1. */
  version: string;
  /** The downloaded .deb (not kept) and its sha256. */
  deb: string;
  sha256: string;
}

export interface KernelManifest {
  name: KernelName;
  /** The meta package the name was resolved through, e.g. linux-image-6.12-amd64; null when the release was pinned. */
  metaPackage: string | null;
  /** The kernel's linux-image package, e.g. linux-image-6.12.117+deb12-amd64. */
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
  /** The .deb that held vmlinuz. */
  debFile: string;
  fetchedAt: string;
  /** The Debian suite of a private apt state (sid); absent or null: the machine's apt sources. */
  suite?: string | null;
  /** 'single': one linux-image package (bookworm); 'split': linux-binary/-base/-modules (sid). Absent in older manifests. */
  layout?: 'single' | 'split';
  /** Every package downloaded, with version and sha256. Absent in older manifests. */
  packages?: KernelPackageFile[];
  /** The release asked for with `kernel fetch --release`, or null. */
  pinned?: string | null;
}

export interface FetchOptions {
  /** Root of the kernel cache; default ${XDG_CACHE_HOME:-~/.cache}/mmspec/kernels. */
  cacheDir?: string;
  log?: Log;
  /** Fetch again even when the manifest exists. */
  force?: boolean;
  /**
   * Pin a kernel release instead of following the meta package: the middle of the package name
   * linux-image-<release>-amd64, e.g. 7.2.13+deb14 (`uname -r` 7.2.13+deb14-amd64 is taken too).
   */
  release?: string;
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
// A private apt state for a Debian suite (sid), beside the machine's own apt setup

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface PrivateApt {
  suite: string;
  /** ${XDG_CACHE_HOME:-~/.cache}/mmspec/apt-<suite>. */
  root: string;
  sourcesList: string;
  /** The one line of sourcesList. */
  source: string;
  /** The empty dpkg status file apt reads instead of /var/lib/dpkg/status. */
  status: string;
  /** Options for apt-get and apt-cache: this sources list, state and cache, none of the machine's. */
  options: string[];
}

/** Where the private apt state of a suite lives: beside the kernel cache, e.g. ~/.cache/mmspec/apt-sid. */
export function aptStateRoot(suite: string, opts: FetchOptions = {}): string {
  return join(dirname(kernelCacheRoot(opts.cacheDir)), `apt-${suite}`);
}

/**
 * The sources line and apt options of a private apt state for one Debian suite: signatures checked
 * against the installed Debian archive keyring (signed-by, never trusted=yes), the machine's
 * sources.list.d, preferences, package lists, cache and dpkg status all replaced by files under
 * root. apt.conf and apt.conf.d are still read (proxies and the like).
 */
export function privateApt(suite: string, root: string, mirror = DEBIAN_MIRROR): PrivateApt {
  const sourcesList = join(root, 'sources.list');
  const status = join(root, 'state', 'status');
  const source = `deb [arch=${FLAVOUR} signed-by=${DEBIAN_KEYRING}] ${mirror} ${suite} main`;
  const set = (key: string, value: string) => ['-o', `${key}=${value}`];
  return {
    suite,
    root,
    sourcesList,
    source,
    status,
    options: [
      ...set('Dir::Etc::SourceList', sourcesList),
      ...set('Dir::Etc::SourceParts', '/dev/null'),
      ...set('Dir::Etc::Preferences', '/dev/null'),
      ...set('Dir::Etc::PreferencesParts', '/dev/null'),
      ...set('Dir::State', join(root, 'state')),
      ...set('Dir::State::status', status),
      ...set('Dir::Cache', join(root, 'cache')),
      ...set('APT::Architecture', FLAVOUR),
      ...set('APT::Architectures', FLAVOUR),
      ...set('Acquire::Languages', 'none'),
    ],
  };
}

/** Creates the folders, the sources list and the empty status file of a private apt state. */
export function preparePrivateApt(apt: PrivateApt): void {
  for (const d of ['state/lists/partial', 'cache/archives/partial']) mkdirSync(join(apt.root, d), { recursive: true });
  writeFileSync(apt.sourcesList, `# Written by mmspec (tools/qemu/fetch.ts): Debian ${apt.suite} kernels for QEMU guests.\n${apt.source}\n`);
  if (!existsSync(apt.status)) writeFileSync(apt.status, '');
}

/** The lines of apt's output that say what went wrong (E:, W:, Err: and the detail under Err:). */
export function aptProblems(output: string): string[] {
  const lines = output.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^W: Download is performed unsandboxed/.test(l)) continue; // apt's _apt user cannot enter ~/.cache: not the problem
    if (/^(E|W):/.test(l)) out.push(l.trim());
    else if (/^Err:/.test(l)) {
      out.push(l.trim());
      if (lines[i + 1] && /^\s+\S/.test(lines[i + 1]!)) out.push(`  ${lines[++i]!.trim()}`);
    }
  }
  return [...new Set(out)];
}

/** What to do about an apt failure, from its output. */
export function aptHint(output: string, suite: string | null): string {
  // A download that failed also leaves "is not signed" behind: the network comes first.
  if (/Could not resolve|Temporary failure|Could not connect|Connection failed|timed out|Unable to connect|Failed to fetch/i.test(output)) {
    return `check this machine's network access to ${new URL(DEBIAN_MIRROR).host} (apt uses the proxy settings of /etc/apt/apt.conf.d) and try again`;
  }
  if (/NO_PUBKEY|EXPKEYSIG|is not signed|GPG error|signature/i.test(output)) {
    return (
      `the Debian archive keyring (${DEBIAN_KEYRING}) could not verify the Release file of Debian ${suite ?? ''}; ` +
      'update it (apt-get install debian-archive-keyring) and try again (mmspec never skips the signature check)'
    );
  }
  if (/Hash Sum mismatch|File has unexpected size/i.test(output)) return 'the mirror is being updated; try again in a few minutes';
  return 'see apt\'s messages above';
}

/** Runs apt-get or apt-cache; throws one message (what failed, apt's complaint, what to do) when it fails. */
async function aptRun(cmd: 'apt-get' | 'apt-cache', args: string[], what: string, suite: string | null, cwd?: string) {
  const r = await run(cmd, args, { cwd, env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.code !== 0) {
    const output = `${r.stdout}\n${r.stderr}`;
    const problems = aptProblems(output);
    const shown = problems.length ? problems : output.trim().split('\n').slice(-5);
    throw new Error(`${what} failed (${cmd} ${r.signal ?? `exit ${r.code}`}):\n  ${shown.join('\n  ')}\n${aptHint(output, suite)}`);
  }
  return r;
}

/** Refreshes the package lists of a private apt state; a list whose signature does not verify is an error. */
export async function updatePrivateApt(apt: PrivateApt, log: Log = stderrLog): Promise<void> {
  if (!existsSync(DEBIAN_KEYRING)) {
    throw new Error(`${DEBIAN_KEYRING} is missing: install the Debian archive keyring (apt-get install debian-archive-keyring), then fetch again`);
  }
  preparePrivateApt(apt);
  const t0 = Date.now();
  log(`qemu: apt-get update for Debian ${apt.suite} (private state in ${apt.root})`);
  await aptRun('apt-get', [...apt.options, 'update', '-q', '--error-on=any'], `apt-get update for Debian ${apt.suite}`, apt.suite);
  log(`qemu: Debian ${apt.suite} package lists updated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------
// Kernel package resolution

/** One line of `apt-cache depends`: Depends, PreDepends, Recommends…; virtual for <name>. */
export interface AptDependency {
  kind: string;
  pkg: string;
  virtual: boolean;
}

/** Parses `apt-cache depends PKG` output (the provider lines under a virtual package are skipped). */
export function parseAptDepends(text: string): AptDependency[] {
  const out: AptDependency[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\|?([A-Za-z]+):\s*(<)?([^\s<>]+)>?\s*$/.exec(line);
    if (m) out.push({ kind: m[1]!, pkg: m[3]!, virtual: m[2] === '<' });
  }
  return out;
}

/** Parses `apt-cache policy PKG...` output: each package's candidate version (null for "(none)"). */
export function parseAptPolicy(text: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let pkg: string | null = null;
  for (const line of text.split('\n')) {
    const head = /^(\S+):\s*$/.exec(line);
    if (head) pkg = head[1]!;
    const cand = /^\s+Candidate:\s*(\S+)/.exec(line);
    if (cand && pkg) out.set(pkg, cand[1] === '(none)' ? null : cand[1]!);
  }
  return out;
}

/**
 * The release (`uname -r`) of a kernel image package linux-image-<release>, e.g. 6.1.0-57-amd64 or
 * 7.2.13+deb14-amd64; null for meta packages (linux-image-amd64, linux-image-6.12-amd64), other
 * flavours (cloud, rt) and -dbg packages.
 */
export function imageRelease(pkg: string): string | null {
  const m = new RegExp(`^linux-image-(\\d+\\.\\d+\\.\\d+[^\\s-]*(?:-\\d+)?-${FLAVOUR})$`).exec(pkg);
  return m ? m[1]! : null;
}

/** The kernel image package a meta package depends on, from `apt-cache depends META`. */
export function imagePackageOf(dependsText: string): string | null {
  const dep = parseAptDepends(dependsText).find((d) => d.kind === 'Depends' && !d.virtual && imageRelease(d.pkg) !== null);
  return dep ? dep.pkg : null;
}

/**
 * The packages holding one kernel release, from `apt-cache depends linux-image-<release>`: the image
 * package itself when it holds kernel and modules (bookworm), or, when it depends on
 * linux-binary-<release>, that package (vmlinuz), linux-base-<release> (config) and
 * linux-modules-<release> (modules), as far as it depends on them (sid).
 */
export function kernelPackagesOf(imagePkg: string, dependsText: string): { layout: 'single' | 'split'; packages: string[] } {
  const release = imagePkg.replace(/^linux-image-/, '');
  const deps = new Set(parseAptDepends(dependsText).filter((d) => /Depends$/.test(d.kind) && !d.virtual).map((d) => d.pkg));
  const binary = `linux-binary-${release}`;
  if (!deps.has(binary)) return { layout: 'single', packages: [imagePkg] };
  return { layout: 'split', packages: [binary, `linux-base-${release}`, `linux-modules-${release}`].filter((p) => deps.has(p)) };
}

/**
 * The image package of a pinned release: 7.2.13+deb14 or 7.2.13+deb14-amd64 -> linux-image-7.2.13+deb14-amd64.
 * Throws when the text is no kernel release or not one of this kernel name's series.
 */
export function pinnedImagePackage(name: KernelName, release: string): string {
  const r = release.trim().replace(new RegExp(`-${FLAVOUR}$`), '');
  const pkg = `linux-image-${r}-${FLAVOUR}`;
  const full = imageRelease(pkg);
  if (!full) {
    throw new Error(
      `--release ${release}: not a kernel release; give the middle of a package name linux-image-RELEASE-${FLAVOUR}, ` +
        `e.g. 7.2.13+deb14 for debian-sid or 6.1.0-57 for debian-6.1 (\`uname -r\` without -${FLAVOUR})`,
    );
  }
  const { releasePrefix } = KERNELS[name];
  if (!full.startsWith(releasePrefix)) throw new Error(`--release ${release}: ${name} takes ${releasePrefix}x releases only`);
  return pkg;
}

/** Answers apt-cache questions (aptCacheQuery runs apt-cache; tests pass canned output). */
export interface AptQuery {
  /** `apt-cache depends PKG` output, or null when apt knows no such package. */
  depends(pkg: string): Promise<string | null>;
  /** `apt-cache policy PKG...` output (unknown packages are left out). */
  policy(pkgs: string[]): Promise<string>;
  /** Names of the packages starting with prefix (`apt-cache pkgnames PREFIX`). */
  pkgnames(prefix: string): Promise<string[]>;
}

/** apt-cache with the given options (a private apt state's, or [] for the machine's). */
export function aptCacheQuery(options: string[], suite: string | null = null): AptQuery {
  return {
    async depends(pkg) {
      const r = await run('apt-cache', [...options, 'depends', pkg], { env: { ...process.env, LC_ALL: 'C' } });
      return r.code === 0 ? r.stdout : null;
    },
    async policy(pkgs) {
      return (await aptRun('apt-cache', [...options, 'policy', ...pkgs], `apt-cache policy ${pkgs.join(' ')}`, suite)).stdout;
    },
    async pkgnames(prefix) {
      const r = await run('apt-cache', [...options, 'pkgnames', prefix], { env: { ...process.env, LC_ALL: 'C' } });
      return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
    },
  };
}

export interface ResolvedKernel {
  /** The meta package followed, or null when the release was pinned. */
  metaPackage: string | null;
  /** linux-image-<release>. */
  package: string;
  version: string;
  release: string;
  layout: 'single' | 'split';
  /** The packages to download, with their candidate versions. */
  parts: { name: string; version: string }[];
}

function sourcesLabel(name: KernelName): string {
  const { suite } = KERNELS[name];
  return suite ? `Debian ${suite}` : "this machine's apt sources";
}

/** The kernel releases the sources offer for a name, with their package versions, for error messages. */
async function offeredReleases(name: KernelName, q: AptQuery): Promise<{ release: string; version: string | null }[]> {
  const pkgs = (await q.pkgnames('linux-image-')).filter((p) => imageRelease(p)?.startsWith(KERNELS[name].releasePrefix)).sort();
  if (!pkgs.length) return [];
  const versions = parseAptPolicy(await q.policy(pkgs));
  return pkgs.map((p) => ({ release: imageRelease(p)!.replace(`-${FLAVOUR}`, ''), version: versions.get(p) ?? null }));
}

/**
 * Resolves a kernel name (or a pinned release) to its packages and versions: the meta package's
 * linux-image-<release> dependency, then its parts in either layout, each with its candidate version.
 */
export async function resolveKernel(name: KernelName, q: AptQuery, opts: { release?: string } = {}): Promise<ResolvedKernel> {
  const { metaPackages, releasePrefix } = KERNELS[name];
  let metaPackage: string | null = null;
  let image: string | null = null;
  let version: string | null = null;
  if (opts.release) {
    image = pinnedImagePackage(name, opts.release);
    version = parseAptPolicy(await q.policy([image])).get(image) ?? null;
    if (!version) {
      const offered = await offeredReleases(name, q);
      const asVersion = offered.find((o) => o.version === opts.release!.trim());
      const { suite } = KERNELS[name];
      throw new Error(
        `cannot fetch ${name} --release ${opts.release}: there is no ${image} in ${sourcesLabel(name)}` +
          (suite ? ` (Debian keeps only the current kernels in ${suite})` : '') +
          (offered.length
            ? `; available: ${offered.map((o) => `--release ${o.release} (package version ${o.version ?? 'none'})`).join(', ')}`
            : `; ${sourcesLabel(name)} hold no linux-image-RELEASE-${FLAVOUR} package`) +
          (asVersion ? `. ${opts.release} is a package version: use --release ${asVersion.release}` : ''),
      );
    }
  } else {
    const seen: string[] = [];
    for (const meta of metaPackages) {
      const deps = await q.depends(meta);
      const pkg = deps ? imagePackageOf(deps) : null;
      if (!pkg) continue;
      seen.push(`${meta} -> ${pkg}`);
      if (!imageRelease(pkg)!.startsWith(releasePrefix)) continue;
      const v = parseAptPolicy(await q.policy([pkg])).get(pkg);
      if (!v) continue;
      [metaPackage, image, version] = [meta, pkg, v];
      break;
    }
    if (!image || !version) {
      throw new Error(
        `cannot resolve ${name}: in ${sourcesLabel(name)}, none of ${metaPackages.join(', ')} depends on a ${releasePrefix || 'kernel '}x` +
          ` linux-image package` +
          (seen.length ? ` (found: ${seen.join('; ')})` : KERNELS[name].suite ? '' : ' (no package found: run `apt-get update` as root)') +
          (KERNELS[name].suite ? '' : '. The Debian kernels come from bookworm (6.1) and bookworm-backports/bookworm (6.12).'),
      );
    }
  }
  const release = imageRelease(image)!;
  const { layout, packages } = kernelPackagesOf(image, (await q.depends(image)) ?? '');
  const versions = parseAptPolicy(await q.policy(packages));
  const parts = packages.map((p) => {
    const v = versions.get(p);
    if (!v) throw new Error(`cannot fetch ${name}: ${image} needs ${p}, which is not in ${sourcesLabel(name)}; try again later (the mirror may be mid-update)`);
    return { name: p, version: v };
  });
  return { metaPackage, package: image, version, release, layout, parts };
}

/** Resolves through the machine's apt sources; runs `apt-get update` once (as root) when that fails. */
async function resolveWithSystemApt(name: KernelName, opts: { release?: string }, log: Log): Promise<ResolvedKernel> {
  const q = aptCacheQuery([]);
  try {
    return await resolveKernel(name, q, opts);
  } catch (e) {
    if (aptUpdated || !isRoot()) throw e;
    await aptUpdateOnce(log); // the package lists may be missing or old
    return resolveKernel(name, q, opts);
  }
}

// ---------------------------------------------------------------------------------------------
// Download and unpacking

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
 * tools first. debian-6.1 and debian-6.12: when the manifest is present, it is all that is read.
 * debian-sid: the private package lists are refreshed and linux-image-amd64 resolved again; the
 * packages are downloaded only when that gives another release than the cached one. With
 * opts.release, a cached kernel of that release is kept as it is, and any other is replaced.
 */
export async function fetchKernel(name: KernelName, opts: FetchOptions = {}): Promise<KernelManifest> {
  const log = opts.log ?? stderrLog;
  if (!isKernelName(name)) throw new Error(`unknown kernel ${name}; known: ${Object.keys(KERNELS).join(', ')}`);
  const source = KERNELS[name];
  const pinnedPkg = opts.release ? pinnedImagePackage(name, opts.release) : null;
  const cached = opts.force ? null : readManifest(name, opts);
  const dir = kernelDir(name, opts);
  const keep = async (m: KernelManifest, why: string): Promise<KernelManifest> => {
    log(`qemu: ${name} ${why} (${m.package} ${m.version}, release ${m.release})`);
    if (m.vmlinux === undefined) {
      // A manifest from before vmlinux existed: add it from the cached vmlinuz, no download.
      m.vmlinux = await unpackVmlinux(m.vmlinuz, m.config, join(dir, `vmlinux-${m.release}`), log);
      writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
    }
    return m;
  };
  if (cached && (pinnedPkg ? cached.package === pinnedPkg : source.suite === null)) return keep(cached, 'already fetched');

  await ensureHostTools({ log });
  for (const tool of ['apt-get', 'apt-cache', 'dpkg']) {
    if (!which(tool)) throw new Error(`${tool} not found: fetching Debian kernels needs a Debian-based host`);
  }

  let aptOptions: string[] = [];
  let resolved: ResolvedKernel;
  if (source.suite) {
    const apt = privateApt(source.suite, aptStateRoot(source.suite, opts));
    try {
      await updatePrivateApt(apt, log);
    } catch (e) {
      const still = cached ? `\nThe cached ${name} (release ${cached.release}) is still there and usable.` : '';
      throw new Error(`${(e as Error).message}${still}`);
    }
    aptOptions = apt.options;
    resolved = await resolveKernel(name, aptCacheQuery(aptOptions, source.suite), { release: opts.release });
  } else {
    resolved = await resolveWithSystemApt(name, { release: opts.release }, log);
  }
  const { metaPackage, package: pkg, version, layout, parts } = resolved;
  log(
    `qemu: ${name}: ${metaPackage ? `${metaPackage} -> ` : ''}${pkg} ${version}` +
      (layout === 'split' ? ` (kernel in ${parts.map((p) => p.name).join(', ')})` : ''),
  );
  if (cached && cached.package === pkg && cached.version === version) return keep(cached, 'is up to date');

  mkdirSync(dir, { recursive: true });
  const work = join(dir, `.work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const t0 = Date.now();
    log(`qemu: downloading ${parts.map((p) => `${p.name} ${p.version}`).join(', ')}`);
    await aptRun(
      'apt-get',
      [...aptOptions, 'download', '-q', ...parts.map((p) => `${p.name}=${p.version}`)],
      `downloading ${parts.map((p) => p.name).join(', ')}`,
      source.suite,
      work,
    );
    const debs = readdirSync(work).filter((f) => f.endsWith('.deb'));
    const files: KernelPackageFile[] = parts.map((p) => {
      const deb = debs.find((f) => f.startsWith(`${p.name}_`));
      if (!deb) throw new Error(`apt-get download ${p.name} produced no .deb in ${work}`);
      return { name: p.name, version: p.version, deb, sha256: sha256(join(work, deb)) };
    });
    const bytes = files.reduce((n, f) => n + statSync(join(work, f.deb)).size, 0);
    log(`qemu: downloaded ${files.length} package${files.length > 1 ? 's' : ''} (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s; unpacking`);
    const x = join(work, 'x');
    for (const f of files) await runOk('dpkg', ['-x', join(work, f.deb), x]); // one tree, as if installed

    const modRoots = [join(x, 'lib', 'modules'), join(x, 'usr', 'lib', 'modules')].filter((p) => existsSync(p));
    const releases = [...new Set(modRoots.flatMap((r) => readdirSync(r)))];
    if (releases.length !== 1) {
      throw new Error(`expected one module folder in ${files.map((f) => f.deb).join(', ')}, found ${releases.join(', ') || 'none'}`);
    }
    const release = releases[0]!;
    const inRelease = (file: string) => modRoots.map((r) => join(r, release, file));
    const vmlinuzSrc = [join(x, 'boot', `vmlinuz-${release}`), join(x, 'usr', 'lib', 'linux', `vmlinuz-${release}`), ...inRelease('vmlinuz')].find(existsSync);
    const configSrc = [join(x, 'boot', `config-${release}`), join(x, 'usr', 'lib', 'linux', `config-${release}`), ...inRelease('config')].find(existsSync);
    if (!vmlinuzSrc || !configSrc) {
      throw new Error(`${files.map((f) => f.deb).join(', ')}: no vmlinuz or config file for ${release} (looked in /boot, /usr/lib/linux, /usr/lib/modules/${release})`);
    }
    const moduleSrc = modRoots
      .map((r) => findFile(join(r, release), ['hwpoison-inject.ko', 'hwpoison-inject.ko.xz', 'hwpoison-inject.ko.zst', 'hwpoison-inject.ko.gz']))
      .find((p) => p !== null);
    const debFile = (files.find((f) => f.name.startsWith('linux-binary-')) ?? files[0]!).deb;

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
      log(`qemu: warning: ${parts.map((p) => p.name).join(', ')} hold no hwpoison-inject module`);
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
      debFile,
      fetchedAt: new Date().toISOString(),
      suite: source.suite,
      layout,
      packages: files,
      pinned: opts.release ?? null,
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
