// Small host helpers: running commands, finding programs, progress lines, and telling a
// static ELF binary from a dynamic one.
import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, readSync, closeSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export type Log = (line: string) => void;

/** Progress goes to stderr, one line each, so stdout stays free for results. */
export const stderrLog: Log = (line) => {
  process.stderr.write(`${line}\n`);
};

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and collects its output. Never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Like run(), but throws with the command's output tail when it fails. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (r.stderr + r.stdout).trim().split('\n').slice(-15).join('\n');
    throw new Error(`\`${[cmd, ...args].join(' ')}\` failed (${r.signal ?? `exit ${r.code}`}):\n${tail}`);
  }
  return r;
}

/** Finds a program on PATH, also looking in the sbin folders a non-root PATH may lack; a path is checked as it is. */
export function which(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? resolve(name) : null;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const extra of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return null;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Reads an ELF file's program headers: 'static' when it has no PT_INTERP (no dynamic loader
 * needed, so it runs in a bare initramfs), 'dynamic' when it has one, null when it is no ELF.
 */
export function elfLinkage(path: string): 'static' | 'dynamic' | null {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    if (readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46) return null;
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? h.readBigUInt64LE(32) : h.readBigUInt64BE(32)) : u32(h, 28);
    const phentsize = u16(h, is64 ? 54 : 42);
    const phnum = u16(h, is64 ? 56 : 44);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (u32(ph, i * phentsize) === 3 /* PT_INTERP */) return 'dynamic';
    }
    return 'static';
  } finally {
    closeSync(fd);
  }
}
