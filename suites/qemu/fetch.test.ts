// Fetching Debian kernels without the network: the private apt state for sid, package resolution
// from canned apt-cache output in both package layouts, --release pinning, and what a QEMU guest
// leaves behind.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AptQuery,
  DEBIAN_KEYRING,
  KERNELS,
  aptHint,
  aptProblems,
  aptStateRoot,
  fetchKernel,
  imagePackageOf,
  imageRelease,
  kernelPackagesOf,
  parseAptDepends,
  parseAptPolicy,
  pinnedImagePackage,
  preparePrivateApt,
  privateApt,
  readManifest,
  resolveKernel,
} from '../../tools/qemu/fetch.ts';
import { QemuTransport, qemuArgs } from '../../tools/qemu/guest.ts';

const scratch = mkdtempSync(join(tmpdir(), 'mmspec-fetch-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// Canned apt-cache output, as apt 2.6 prints it.

const SID_META = `linux-image-amd64
  Depends: linux-base-amd64
  Depends: linux-image-7.2.13+deb14-amd64
`;
const SID_IMAGE = `linux-image-7.2.13+deb14-amd64
  PreDepends: linux-base
 |Depends: dracut
 |Depends: initramfs-tools
  Depends: <linux-initramfs-tool>
    dracut
    initramfs-tools
    tiny-initramfs
  Depends: linux-base-7.2.13+deb14-amd64
  Depends: linux-binary-7.2.13+deb14-amd64
  Depends: linux-modules-7.2.13+deb14-amd64
  Breaks: <fwupdate>
  Breaks: initramfs-tools
  Recommends: apparmor
  Suggests: linux-doc-7.2
`;
const BOOKWORM_META_612 = `linux-image-6.12-amd64
  Depends: linux-image-6.12.118+deb12-amd64
`;
const BOOKWORM_META = `linux-image-amd64
  Depends: linux-image-6.1.0-57-amd64
`;
const BOOKWORM_IMAGE_612 = `linux-image-6.12.118+deb12-amd64
  PreDepends: linux-base
  Depends: kmod
 |Depends: initramfs-tools
  Depends: <linux-initramfs-tool>
    dracut
    initramfs-tools
    tiny-initramfs
  Conflicts: linux-image-6.12.118+deb12-amd64-unsigned
  Breaks: fwupdate
  Recommends: apparmor
  Suggests: linux-doc-6.12
  Replaces: linux-image-6.12.118+deb12-amd64-unsigned
`;
const policyOf = (versions: Record<string, string | null>) =>
  Object.entries(versions)
    .map(
      ([p, v]) => `${p}:
  Installed: (none)
  Candidate: ${v ?? '(none)'}
  Version table:
${v ? `     ${v} 500\n        500 http://deb.debian.org/debian sid/main amd64 Packages\n` : ''}`,
    )
    .join('');

/** An AptQuery answering from canned text, recording what it was asked. */
function cannedApt(depends: Record<string, string>, versions: Record<string, string | null>): AptQuery & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async depends(pkg) {
      asked.push(`depends ${pkg}`);
      return depends[pkg] ?? null;
    },
    async policy(pkgs) {
      asked.push(`policy ${pkgs.join(' ')}`);
      return policyOf(Object.fromEntries(pkgs.filter((p) => p in versions).map((p) => [p, versions[p]!])));
    },
    async pkgnames(prefix) {
      return Object.keys(versions).filter((p) => p.startsWith(prefix));
    },
  };
}

const SID_VERSIONS = {
  'linux-image-amd64': '7.2.13-1',
  'linux-image-7.2.13+deb14-amd64': '7.2.13-1',
  'linux-image-7.2.13+deb14-cloud-amd64': '7.2.13-1',
  'linux-image-7.2.13+deb14-amd64-dbg': '7.2.13-1',
  'linux-binary-7.2.13+deb14-amd64': '7.2.13-1',
  'linux-base-7.2.13+deb14-amd64': '7.2.13-1',
  'linux-modules-7.2.13+deb14-amd64': '7.2.13-1',
};
const sidApt = () => cannedApt({ 'linux-image-amd64': SID_META, 'linux-image-7.2.13+deb14-amd64': SID_IMAGE }, SID_VERSIONS);

// ---------------------------------------------------------------------------------------------

describe('the private apt state for sid', () => {
  const root = join(scratch, 'apt-sid');
  const apt = privateApt('sid', root);
  const opts = apt.options.join(' ');
  const value = (key: string) => apt.options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);

  it('checks signatures against the Debian archive keyring, never trusting blindly', () => {
    expect(apt.source).toBe(`deb [arch=amd64 signed-by=${DEBIAN_KEYRING}] http://deb.debian.org/debian sid main`);
    expect(apt.source).not.toMatch(/trusted|allow-insecure|allow-weak|check-valid-until|check-date/i);
    expect(opts).not.toMatch(/trusted|AllowInsecure|AllowUnauthenticated|allow-unauthenticated|AllowDowngradeToInsecure|Check-Valid-Until|Check-Date/i);
  });

  it('uses its own sources list, state, status and cache, and none of the machine\'s', () => {
    expect(apt.options.filter((o, i) => i % 2 === 0 && o !== '-o')).toEqual([]); // all `-o KEY=VALUE` pairs
    expect(value('Dir::Etc::SourceList')).toBe(join(root, 'sources.list'));
    expect(value('Dir::Etc::SourceParts')).toBe('/dev/null');
    expect(value('Dir::Etc::PreferencesParts')).toBe('/dev/null');
    expect(value('Dir::State')).toBe(join(root, 'state'));
    expect(value('Dir::State::status')).toBe(join(root, 'state', 'status'));
    expect(value('Dir::Cache')).toBe(join(root, 'cache'));
    expect(opts).not.toMatch(/\/var\/lib\/apt|\/var\/lib\/dpkg|\/var\/cache\/apt|\/etc\/apt\/sources\.list/);
    expect(opts).not.toMatch(/Debug::NoLocking/); // the lock lives in the private state
  });

  it('lives beside the kernel cache', () => {
    expect(aptStateRoot('sid', { cacheDir: join(scratch, 'kernels') })).toBe(join(scratch, 'apt-sid'));
  });

  it('writes the sources list and an empty dpkg status', () => {
    preparePrivateApt(apt);
    const list = readFileSync(apt.sourcesList, 'utf8');
    expect(list.split('\n').filter((l) => l.startsWith('deb'))).toEqual([apt.source]);
    expect(readFileSync(apt.status, 'utf8')).toBe('');
    for (const d of ['state/lists/partial', 'cache/archives/partial']) expect(existsSync(join(root, d))).toBe(true);
  });

  it('reports apt failures as the lines that matter, with what to do', () => {
    const out = `Get:1 http://deb.debian.org/debian sid InRelease [193 kB]
Err:1 http://deb.debian.org/debian sid InRelease
  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 6ED0E7B82643E131
Reading package lists...
W: Download is performed unsandboxed as root as file 'x' couldn't be accessed by user '_apt'. - pkgAcquire::Run (13: Permission denied)
W: GPG error: http://deb.debian.org/debian sid InRelease: The following signatures couldn't be verified
E: The repository 'http://deb.debian.org/debian sid InRelease' is not signed.
`;
    expect(aptProblems(out)).toEqual([
      'Err:1 http://deb.debian.org/debian sid InRelease',
      "  The following signatures couldn't be verified because the public key is not available: NO_PUBKEY 6ED0E7B82643E131",
      "W: GPG error: http://deb.debian.org/debian sid InRelease: The following signatures couldn't be verified",
      "E: The repository 'http://deb.debian.org/debian sid InRelease' is not signed.",
    ]);
    expect(aptHint(out, 'sid')).toMatch(/debian-archive-keyring/);
    expect(aptHint('E: Failed to fetch http://deb.debian.org/debian/dists/sid/InRelease  Could not resolve \'deb.debian.org\'', 'sid')).toMatch(
      /network access to deb\.debian\.org/,
    );
  });
});

describe('apt-cache output', () => {
  it('parses depends, skipping the providers listed under a virtual package', () => {
    const deps = parseAptDepends(SID_IMAGE);
    expect(deps.filter((d) => d.kind === 'Depends').map((d) => (d.virtual ? `<${d.pkg}>` : d.pkg))).toEqual([
      'dracut',
      'initramfs-tools',
      '<linux-initramfs-tool>',
      'linux-base-7.2.13+deb14-amd64',
      'linux-binary-7.2.13+deb14-amd64',
      'linux-modules-7.2.13+deb14-amd64',
    ]);
    expect(deps.some((d) => d.pkg === 'tiny-initramfs')).toBe(false);
  });

  it('parses the candidates of several packages, (none) as null', () => {
    const p = parseAptPolicy(policyOf({ a: '1.0-1', 'linux-image-6.1.0-57-amd64': '6.1.192-3', gone: null }));
    expect([...p]).toEqual([
      ['a', '1.0-1'],
      ['linux-image-6.1.0-57-amd64', '6.1.192-3'],
      ['gone', null],
    ]);
  });

  it('tells kernel image packages from meta, dbg and other flavours', () => {
    expect(imageRelease('linux-image-7.2.13+deb14-amd64')).toBe('7.2.13+deb14-amd64');
    expect(imageRelease('linux-image-6.1.0-57-amd64')).toBe('6.1.0-57-amd64');
    expect(imageRelease('linux-image-6.12.118+deb12-amd64')).toBe('6.12.118+deb12-amd64');
    for (const p of ['linux-image-amd64', 'linux-image-6.12-amd64', 'linux-image-7.2.13+deb14-cloud-amd64', 'linux-image-7.2.13+deb14-rt-amd64', 'linux-image-6.1.0-57-amd64-dbg', 'linux-base-amd64']) {
      expect(imageRelease(p)).toBeNull();
    }
    expect(imagePackageOf(SID_META)).toBe('linux-image-7.2.13+deb14-amd64'); // not linux-base-amd64
    expect(imagePackageOf(BOOKWORM_META_612)).toBe('linux-image-6.12.118+deb12-amd64');
  });

  it('finds the packages of a release in both layouts', () => {
    expect(kernelPackagesOf('linux-image-6.12.118+deb12-amd64', BOOKWORM_IMAGE_612)).toEqual({
      layout: 'single',
      packages: ['linux-image-6.12.118+deb12-amd64'],
    });
    expect(kernelPackagesOf('linux-image-7.2.13+deb14-amd64', SID_IMAGE)).toEqual({
      layout: 'split',
      packages: ['linux-binary-7.2.13+deb14-amd64', 'linux-base-7.2.13+deb14-amd64', 'linux-modules-7.2.13+deb14-amd64'],
    });
  });
});

describe('resolving a kernel name', () => {
  it('sid: linux-image-amd64 -> the split packages of its release, with versions', async () => {
    const q = sidApt();
    expect(await resolveKernel('debian-sid', q)).toEqual({
      metaPackage: 'linux-image-amd64',
      package: 'linux-image-7.2.13+deb14-amd64',
      version: '7.2.13-1',
      release: '7.2.13+deb14-amd64',
      layout: 'split',
      parts: [
        { name: 'linux-binary-7.2.13+deb14-amd64', version: '7.2.13-1' },
        { name: 'linux-base-7.2.13+deb14-amd64', version: '7.2.13-1' },
        { name: 'linux-modules-7.2.13+deb14-amd64', version: '7.2.13-1' },
      ],
    });
    expect(q.asked[0]).toBe('depends linux-image-amd64');
  });

  it('bookworm: one linux-image package, and the series must match the name', async () => {
    const versions = { 'linux-image-6.12.118+deb12-amd64': '6.12.118-1~deb12u1', 'linux-image-6.1.0-57-amd64': '6.1.192-3' };
    const q = () =>
      cannedApt(
        {
          'linux-image-6.12-amd64': BOOKWORM_META_612,
          'linux-image-amd64': BOOKWORM_META,
          'linux-image-6.12.118+deb12-amd64': BOOKWORM_IMAGE_612,
          'linux-image-6.1.0-57-amd64': BOOKWORM_IMAGE_612.replaceAll('6.12.118+deb12', '6.1.0-57').replaceAll('6.12', '6.1'),
        },
        versions,
      );
    expect(await resolveKernel('debian-6.12', q())).toMatchObject({
      metaPackage: 'linux-image-6.12-amd64',
      package: 'linux-image-6.12.118+deb12-amd64',
      version: '6.12.118-1~deb12u1',
      layout: 'single',
      parts: [{ name: 'linux-image-6.12.118+deb12-amd64', version: '6.12.118-1~deb12u1' }],
    });
    // linux-image-amd64 leads to 6.1: debian-6.1 takes it; debian-6.12 went through linux-image-6.12-amd64.
    expect(await resolveKernel('debian-6.1', q())).toMatchObject({ metaPackage: 'linux-image-amd64', release: '6.1.0-57-amd64', layout: 'single' });
    const only61 = cannedApt({ 'linux-image-amd64': BOOKWORM_META }, versions);
    await expect(resolveKernel('debian-6.12', only61)).rejects.toThrow(/cannot resolve debian-6.12: .*found: linux-image-amd64 -> linux-image-6.1.0-57-amd64/);
  });

  it('fails with one clear message when a part is missing', async () => {
    const { 'linux-modules-7.2.13+deb14-amd64': _, ...rest } = SID_VERSIONS;
    const q = cannedApt({ 'linux-image-amd64': SID_META, 'linux-image-7.2.13+deb14-amd64': SID_IMAGE }, rest);
    await expect(resolveKernel('debian-sid', q)).rejects.toThrow(/needs linux-modules-7\.2\.13\+deb14-amd64, which is not in Debian sid/);
  });
});

describe('--release pinning', () => {
  it('names the image package from the release, with or without the flavour', () => {
    expect(pinnedImagePackage('debian-sid', '7.2.13+deb14')).toBe('linux-image-7.2.13+deb14-amd64');
    expect(pinnedImagePackage('debian-sid', '7.2.13+deb14-amd64')).toBe('linux-image-7.2.13+deb14-amd64');
    expect(pinnedImagePackage('debian-6.1', '6.1.0-57')).toBe('linux-image-6.1.0-57-amd64');
    expect(() => pinnedImagePackage('debian-sid', '7.2')).toThrow(/not a kernel release/);
    expect(() => pinnedImagePackage('debian-sid', 'latest')).toThrow(/not a kernel release/);
    expect(() => pinnedImagePackage('debian-6.1', '7.2.13+deb14')).toThrow(/debian-6.1 takes 6\.1\.x releases only/);
  });

  it('resolves the pinned release without the meta package', async () => {
    const q = sidApt();
    const r = await resolveKernel('debian-sid', q, { release: '7.2.13+deb14' });
    expect(r).toMatchObject({ metaPackage: null, package: 'linux-image-7.2.13+deb14-amd64', version: '7.2.13-1', layout: 'split' });
    expect(q.asked).not.toContain('depends linux-image-amd64');
  });

  it('says which releases there are when the pinned one is gone', async () => {
    await expect(resolveKernel('debian-sid', sidApt(), { release: '7.2.12+deb14' })).rejects.toThrow(
      /no linux-image-7\.2\.12\+deb14-amd64 in Debian sid .*available: --release 7\.2\.13\+deb14 \(package version 7\.2\.13-1\)$/,
    );
    await expect(resolveKernel('debian-sid', sidApt(), { release: '7.2.13-1' })).rejects.toThrow(/7\.2\.13-1 is a package version: use --release 7\.2\.13\+deb14/);
  });

  it('keeps a cached kernel of the pinned release without asking apt', async () => {
    const cacheDir = join(scratch, 'pinned', 'kernels');
    const dir = join(cacheDir, 'debian-sid');
    mkdirSync(dir, { recursive: true });
    const release = '7.2.13+deb14-amd64';
    for (const f of [`vmlinuz-${release}`, `config-${release}`, 'hwpoison-inject.ko', `vmlinux-${release}`]) writeFileSync(join(dir, f), 'x');
    const manifest = {
      name: 'debian-sid',
      metaPackage: 'linux-image-amd64',
      package: `linux-image-${release}`,
      version: '7.2.13-1',
      release,
      vmlinuz: `/elsewhere/vmlinuz-${release}`,
      config: `/elsewhere/config-${release}`,
      module: '/elsewhere/hwpoison-inject.ko',
      vmlinux: `/elsewhere/vmlinux-${release}`,
      vmlinuzSha256: '0'.repeat(64),
      debFile: `linux-binary-${release}_7.2.13-1_amd64.deb`,
      fetchedAt: '2026-01-01T00:00:00.000Z',
      suite: 'sid',
      layout: 'split',
      packages: [],
      pinned: null,
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const lines: string[] = [];
    const m = await fetchKernel('debian-sid', { cacheDir, release: '7.2.13+deb14', log: (l) => lines.push(l) });
    expect(m.package).toBe(`linux-image-${release}`);
    expect(m.vmlinuz).toBe(join(dir, `vmlinuz-${release}`)); // re-based on the cache folder
    expect(lines).toEqual([`qemu: debian-sid already fetched (linux-image-${release} 7.2.13-1, release ${release})`]);
    expect(existsSync(aptStateRoot('sid', { cacheDir }))).toBe(false); // no apt state was made
    // A manifest written before suite/layout/packages existed still reads.
    const { suite: _s, layout: _l, packages: _p, pinned: _q, ...old } = manifest;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(old));
    expect(readManifest('debian-sid', { cacheDir })?.release).toBe(release);
  });

  it('rejects a malformed --release before anything is fetched', async () => {
    await expect(fetchKernel('debian-sid', { cacheDir: join(scratch, 'none'), release: 'newest', log: () => {} })).rejects.toThrow(/not a kernel release/);
    expect(existsSync(join(scratch, 'none'))).toBe(false);
  });

  it('knows debian-sid as a kernel name of its own suite', () => {
    expect(KERNELS['debian-sid']).toEqual({ metaPackages: ['linux-image-amd64'], releasePrefix: '', suite: 'sid' });
    expect(KERNELS['debian-6.1'].suite).toBeNull();
    expect(KERNELS['debian-6.12'].suite).toBeNull();
  });
});

describe('the QEMU guest', () => {
  it('keeps its RAM out of the host\'s same-page merging', () => {
    for (const numaNodes of [1, 2]) {
      const args = qemuArgs({ kernel: 'k', initrd: 'i', consoleLog: 'c', accel: 'tcg', numaNodes });
      expect(args[args.indexOf('-machine') + 1]).toMatch(/(^|,)mem-merge=off(,|$)/);
      for (const [i, a] of args.entries()) if (a.startsWith('memory-backend-ram')) expect(args[i]).toMatch(/,merge=off(,|$)/);
    }
  });

  it('boots one NUMA node unless asked for more, the RAM split between them', () => {
    expect(qemuArgs({ kernel: 'k', initrd: 'i', consoleLog: 'c', accel: 'tcg' })).not.toContain('-numa');
    const two = qemuArgs({ kernel: 'k', initrd: 'i', consoleLog: 'c', accel: 'tcg', numaNodes: 2 });
    expect(two.filter((a) => a === '-numa')).toHaveLength(2);
    expect(two.filter((a) => a.startsWith('memory-backend-ram')).map((a) => /size=(\d+)M/.exec(a)![1])).toEqual(['512', '512']);
  });

  it('removes its temporary folder when disposed', async () => {
    const tmp = mkdtempSync(join(scratch, 'tmpdir-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const t = new QemuTransport({ kernel: join(tmp, 'no-such-kernel'), initrd: join(tmp, 'no-such-initrd'), accel: 'tcg', log: () => {} });
      expect(readdirSync(tmp)).toEqual([]); // nothing before the first boot
      await expect(t.start(() => {}, () => {})).rejects.toThrow();
      expect(readdirSync(tmp).filter((f) => f.startsWith('mmspec-qemu-'))).toHaveLength(1);
      await t.dispose();
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
