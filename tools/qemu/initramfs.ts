// Builds the guest's initramfs: a gzip-compressed newc cpio written in TypeScript (no cpio
// needed), holding a static busybox, the static probe, hwpoison-inject.ko when given, and /init.
//
// /init mounts proc/sys/dev/debugfs, loads the module, opens /dev/ttyS1 and keeps it open (so the
// port is never shut down and nothing the host sends is lost), puts it in raw mode without echo,
// writes the ready line GUEST_READY to it, then runs `/probe /dev/ttyS1`; when the probe exits the
// guest powers off. /dev/ttyS0 is the kernel console (the host logs it to a file).
import { readFileSync, renameSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { elfLinkage } from '../core/host.ts';
import { findStaticBusybox } from './fetch.ts';

/** First word of the line /init writes on ttyS1 once the port is raw: the host sends nothing before it. */
export const GUEST_READY = 'mmspec-guest-ready';

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
echo "=== GUEST-UP uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
if [ -f /hwpoison-inject.ko ]; then insmod /hwpoison-inject.ko && echo "=== hwpoison-inject loaded: $(ls /sys/kernel/debug/hwpoison | tr '\n' ' ')"; fi
# Hold ttyS1 open for the guest's whole life: closing the last fd shuts the UART down and drops input.
exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 115200 raw -echo -echoe -echok -echoctl -echoke -ixon -ixoff -opost
echo "${GUEST_READY} release=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)" >&3
/probe /dev/ttyS1
echo "=== PROBE-EXIT status=$? uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
`;

export interface InitramfsOptions {
  /** A static binary speaking the line protocol on the device given as its argument. */
  probe: string;
  /** hwpoison-inject.ko (uncompressed), loaded by /init when present. */
  module?: string | null;
  /** Output file (.gz). */
  out: string;
  /** Static busybox; default: found on the host (busybox-static). */
  busybox?: string;
  /** Replace /init (tests). */
  init?: string;
}

interface Entry {
  name: string;
  mode: number;
  data?: Buffer;
  rdev?: [number, number];
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Serialises entries as a newc ("070701") cpio archive, ending with the TRAILER!!! entry. */
export function newcArchive(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const push = (e: Entry) => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`, 'utf8');
    const isDir = (e.mode & 0o170000) === S_IFDIR;
    const header =
      '070701' +
      [
        ino++,
        e.mode,
        0, // uid
        0, // gid
        isDir ? 2 : 1, // nlink
        0, // mtime: fixed, so the archive is reproducible
        data.length,
        0, // devmajor
        0, // devminor
        e.rdev?.[0] ?? 0,
        e.rdev?.[1] ?? 0,
        name.length,
        0, // check
      ]
        .map(hex)
        .join('');
    parts.push(Buffer.from(header, 'ascii'), name, Buffer.alloc(pad4(110 + name.length)));
    if (data.length) parts.push(data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) push(e);
  push({ name: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(parts);
}

/** Writes the initramfs and returns its path and size. */
export function buildInitramfs(opts: InitramfsOptions): { path: string; bytes: number } {
  const busybox = opts.busybox ?? findStaticBusybox();
  if (!busybox) throw new Error('no static busybox found: apt-get install busybox-static');
  if (elfLinkage(busybox) !== 'static') throw new Error(`${busybox} is not a static binary`);
  const linkage = elfLinkage(opts.probe);
  if (linkage === null) throw new Error(`probe ${opts.probe} is not an ELF binary`);
  if (linkage !== 'static') throw new Error(`probe ${opts.probe} is dynamically linked: build it with -static`);
  if (opts.module) statSync(opts.module);

  const dir = (name: string): Entry => ({ name, mode: S_IFDIR | 0o755 });
  const file = (name: string, data: Buffer, perm: number): Entry => ({ name, mode: S_IFREG | perm, data });
  const entries: Entry[] = [
    dir('bin'),
    dir('sbin'),
    dir('usr'),
    dir('usr/bin'),
    dir('usr/sbin'),
    dir('dev'),
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    dir('proc'),
    dir('sys'),
    dir('tmp'),
    dir('root'),
    file('bin/busybox', readFileSync(busybox), 0o755),
    file('probe', readFileSync(opts.probe), 0o755),
    file('init', Buffer.from(opts.init ?? INIT_SCRIPT, 'utf8'), 0o755),
  ];
  if (opts.module) entries.push(file('hwpoison-inject.ko', readFileSync(opts.module), 0o644));
  const gz = gzipSync(newcArchive(entries), { level: 6 });
  mkdirSync(dirname(opts.out), { recursive: true });
  const tmp = `${opts.out}.tmp-${process.pid}`;
  writeFileSync(tmp, gz);
  renameSync(tmp, opts.out); // atomic: a cached initramfs is never seen half written
  return { path: opts.out, bytes: gz.length };
}
