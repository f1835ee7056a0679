// A Linux kernel booted under QEMU as an implementation under test.
//
// The guest's /init (initramfs.ts) runs a static probe on its second serial port, /dev/ttyS1;
// QEMU connects that port to its own stdin/stdout, so from here the guest is a process whose
// stdin/stdout carry the line protocol, like any `exec:` implementation. The first serial port,
// /dev/ttyS0, is the kernel console, logged to a file and shown (its tail) when the guest fails.
//
// Two layers:
//   QemuMachine    one QEMU process: launch, wait for the ready line, lines in and out, stop.
//   QemuTransport  the machine as a LineTransport for tools/impl/rpc.ts, which does ids,
//                  timeouts and schema checks; many scenarios run per boot, and after a failure
//                  the next open() boots a fresh guest.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  constants as fsc,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ImplFailure } from '../impl/types.ts';
import type { LineTransport } from '../impl/rpc.ts';
import { GUEST_READY } from './initramfs.ts';
import { type Log, stderrLog, which } from '../core/host.ts';

export type Accel = 'auto' | 'tcg' | 'kvm';

export interface QemuGuestOptions {
  /** bzImage / vmlinuz to boot. */
  kernel: string;
  /** The initramfs from buildInitramfs(). */
  initrd: string;
  /** Name for progress lines and errors, e.g. debian-6.12. */
  label?: string;
  /** tcg, kvm, or auto (KVM when /dev/kvm opens and a KVM boot works, else TCG). Default: $MMSPEC_QEMU_ACCEL or auto. */
  accel?: Accel;
  /** QEMU binary; default qemu-system-x86_64 from PATH. */
  qemu?: string;
  /** Launch until the probe's hello reply. Default 120 s. */
  bootTimeoutMs?: number;
  /** Per request once booted. Default 60 s (TCG is slow). */
  requestTimeoutMs?: number;
  /** Budget of a first KVM boot under accel=auto before falling back to TCG. Default 10 s (TCG boots in 4–11 s). */
  kvmTryTimeoutMs?: number;
  /** Extra kernel command line, after `console=ttyS0 quiet panic=-1`. */
  append?: string;
  /** Extra QEMU arguments. */
  extraArgs?: string[];
  /** Folder for console logs; default a fresh temporary folder (mmspec-qemu-*), made at the first boot and removed on dispose(). */
  workDir?: string;
  /** Console lines attached to a failure. Default 40. */
  consoleTailLines?: number;
  log?: Log;
}

type Resolved = Required<Pick<QemuGuestOptions, 'bootTimeoutMs' | 'requestTimeoutMs' | 'kvmTryTimeoutMs' | 'consoleTailLines' | 'log'>> &
  QemuGuestOptions;

function withDefaults(opts: QemuGuestOptions): Resolved {
  return { bootTimeoutMs: 120_000, requestTimeoutMs: 60_000, kvmTryTimeoutMs: 10_000, consoleTailLines: 40, log: stderrLog, ...opts };
}

/** The QEMU arguments for one boot (exported so the command line can be shown and tested). */
export function qemuArgs(o: {
  kernel: string;
  initrd: string;
  consoleLog: string;
  accel: 'tcg' | 'kvm';
  append?: string;
  extraArgs?: string[];
  /**
   * NUMA nodes, the RAM split evenly between them (default 1). One node is the machine the
   * models describe: with two, which node a huge page is allocated on or freed from depends on
   * what earlier sessions of the boot did, and the pool's counts move with it.
   */
  numaNodes?: number;
}): string[] {
  const esc = (p: string) => p.replaceAll(',', ',,'); // QEMU option values double their commas
  const nodes = o.numaNodes ?? 1;
  const numa = nodes < 2 ? [] : Array.from({ length: nodes }, (_, i) => [
    '-object', `memory-backend-ram,id=m${i},size=${1024 / nodes}M,merge=off`,
    '-numa', `node,memdev=m${i},cpus=${i % 2}`,
  ]).flat();
  return [
    // mem-merge=off: the guest's RAM is not madvise(MADV_MERGEABLE)d, so the host's same-page merging leaves it
    // alone (the machine property is the default of every memory backend; merge=off says it again).
    '-machine', 'mem-merge=off',
    '-accel', o.accel,
    '-cpu', o.accel === 'kvm' ? 'host' : 'max',
    '-smp', '2',
    '-m', '1G',
    ...numa,
    '-kernel', o.kernel,
    '-initrd', o.initrd,
    '-append', `console=ttyS0 quiet panic=-1${o.append ? ` ${o.append}` : ''}`,
    '-chardev', 'stdio,id=p,signal=off',
    '-serial', `file:${esc(o.consoleLog)}`, // ttyS0: kernel console
    '-serial', 'chardev:p', // ttyS1: the probe's protocol, on QEMU's stdin/stdout
    '-display', 'none',
    '-monitor', 'none',
    '-no-reboot',
    ...(o.extraArgs ?? []),
  ];
}

function qemuBinary(o: QemuGuestOptions): string {
  const q = o.qemu ?? which('qemu-system-x86_64');
  if (!q) {
    throw new ImplFailure(
      'qemu-system-x86_64 not found: apt-get install --no-install-recommends qemu-system-x86 (or run `mmspec kernel fetch`)',
    );
  }
  return q;
}

function clip(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}

// ---------------------------------------------------------------------------------------------
// KVM or TCG

/**
 * Has a KVM boot worked (true), failed (false), or not been tried (undefined)? Kept per process and
 * in ${XDG_CACHE_HOME:-~/.cache}/mmspec/qemu-kvm.json, keyed by the host kernel and the QEMU binary,
 * so a host where KVM does not work pays for the attempt once.
 */
let kvmVerdict: boolean | undefined;

function kvmVerdictFile(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mmspec', 'qemu-kvm.json');
}

function kvmHostKey(qemu: string): string {
  let q = qemu;
  try {
    const st = statSync(qemu);
    q = `${qemu}:${st.size}:${st.mtimeMs}`;
  } catch {
    /* keep the path */
  }
  return `${release()}|${q}`;
}

function loadKvmVerdict(qemu: string): boolean | undefined {
  if (kvmVerdict !== undefined) return kvmVerdict;
  try {
    const v = JSON.parse(readFileSync(kvmVerdictFile(), 'utf8')) as { key?: string; works?: boolean };
    if (v.key === kvmHostKey(qemu) && typeof v.works === 'boolean') kvmVerdict = v.works;
  } catch {
    /* none yet */
  }
  return kvmVerdict;
}

function saveKvmVerdict(qemu: string, works: boolean, why: string): void {
  kvmVerdict = works;
  try {
    mkdirSync(dirname(kvmVerdictFile()), { recursive: true });
    writeFileSync(kvmVerdictFile(), `${JSON.stringify({ key: kvmHostKey(qemu), works, why, at: new Date().toISOString() }, null, 2)}\n`);
  } catch {
    /* the cache is an optimisation */
  }
}

function kvmOpens(): boolean {
  try {
    closeSync(openSync('/dev/kvm', fsc.O_RDWR));
    return true;
  } catch {
    return false;
  }
}

/** QEMU stderr after which the guest never runs again (QEMU itself stays up, paused). */
const FATAL_QEMU_STDERR = /KVM internal error|emulation failure|failed to set MSR|Assertion .* failed/;

// ---------------------------------------------------------------------------------------------
// QemuMachine: one QEMU process. Every live one is killed if this Node process exits without
// stopping it; QEMU also runs under `setpriv --pdeathsig SIGKILL` when setpriv exists, so it dies
// with this process even after a SIGKILL.

const live = new Set<ChildProcess>();
/** Temporary folders made by QemuTransport and not yet removed by dispose(). */
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) if (c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  installExitHook();
}

let machineSerial = 0;

export class QemuMachine {
  readonly consoleLog: string;
  readonly startedAt = Date.now();
  private child: ChildProcess | null = null;
  private stderr: string[] = [];
  private preReady: string[] = [];
  private onLine: ((line: string) => void) | null = null;
  private onDeath: ((reason: string) => void) | null = null;
  /** Why the machine is unusable (it exited, was killed, or QEMU reported a fatal error), or null. */
  dead: string | null = null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  ready = false;
  readyLine = '';
  readonly exited: Promise<void>;
  private resolveExited!: () => void;

  constructor(
    private readonly o: Resolved,
    readonly accel: 'tcg' | 'kvm',
    workDir: string,
  ) {
    this.consoleLog = join(workDir, `console-${++machineSerial}.log`);
    this.exited = new Promise<void>((r) => (this.resolveExited = r));
  }

  get label(): string {
    return this.o.label ?? this.o.kernel;
  }

  /**
   * Launches QEMU and resolves once the guest wrote its ready line on ttyS1; rejects (after killing
   * QEMU) when QEMU exits, reports a fatal error or the timeout passes. Afterwards every line on
   * ttyS1 goes to onLine, and onDeath is told once when the machine dies.
   */
  async start(onLine: (line: string) => void, onDeath: (reason: string) => void, timeoutMs: number): Promise<void> {
    const args = qemuArgs({ kernel: this.o.kernel, initrd: this.o.initrd, consoleLog: this.consoleLog, accel: this.accel, append: this.o.append, extraArgs: this.o.extraArgs });
    const qemu = qemuBinary(this.o);
    for (const f of [this.o.kernel, this.o.initrd]) if (!existsSync(f)) throw new ImplFailure(`${f} does not exist`);
    const setpriv = which('setpriv');
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', qemu, ...args]] : [qemu, args];
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    track(child);

    let bootFail: ((reason: string) => void) | null = null;
    let bootReady: (() => void) | null = null;
    const die = (reason: string) => {
      if (this.dead) return;
      this.dead = reason;
      bootFail?.(reason);
      this.onDeath?.(reason);
    };

    child.on('error', (e) => this.stderr.push(`spawn error: ${e.message}\n`));
    child.stdin!.on('error', () => undefined); // EPIPE after QEMU died: reported through 'exit'
    child.stderr!.on('data', (b: Buffer) => {
      const text = b.toString('utf8');
      this.stderr.push(text);
      if (this.stderr.length > 200) this.stderr.splice(0, this.stderr.length - 200);
      const fatal = FATAL_QEMU_STDERR.exec(text);
      if (fatal && this.exit === null) {
        die(`QEMU reported: ${fatal[0]}`);
        void this.kill();
      }
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      die(this.ready ? 'the guest stopped (its probe exited or the kernel died)' : 'QEMU exited before the guest was ready');
      this.resolveExited();
    });

    // ttyS1 -> lines. Before the ready line only the marker matters; after it, all is protocol.
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 64 * 1024 * 1024) {
        die('the guest sent a line longer than 64 MiB');
        void this.kill();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!this.ready) {
          if (line.startsWith(GUEST_READY)) {
            this.ready = true;
            this.readyLine = line;
            bootReady?.();
          } else if (line.trim()) this.preReady.push(clip(line));
        } else if (line.trim() && !this.dead) {
          this.onLine?.(line);
        }
      }
    });

    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line from the guest within ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
        bootReady = () => {
          clearTimeout(timer);
          resolve();
        };
        bootFail = (reason) => {
          clearTimeout(timer);
          reject(new Error(reason));
        };
      });
    } catch (e) {
      this.dead ??= (e as Error).message;
      await this.kill();
      throw this.failure((e as Error).message);
    } finally {
      bootFail = bootReady = null;
    }
    this.onLine = onLine;
    this.onDeath = onDeath;
  }

  send(line: string): void {
    if (this.child?.stdin?.writable && !this.dead) this.child.stdin.write(`${line}\n`);
  }

  /** Seconds since launch. */
  uptime(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** QEMU's stderr, anything on ttyS1 before the ready line, and the console tail. */
  diagnostics(): string {
    const parts: string[] = [];
    const qerr = this.stderr.join('').trim();
    if (qerr) parts.push(`--- qemu stderr ---\n${qerr.split('\n').slice(-20).join('\n')}`);
    if (this.preReady.length) parts.push(`--- ttyS1 before the ready line ---\n${this.preReady.slice(-10).join('\n')}`);
    parts.push(`--- console, last ${this.o.consoleTailLines} lines of ${this.consoleLog} ---\n${consoleTail(this.consoleLog, this.o.consoleTailLines)}`);
    return parts.join('\n');
  }

  /** An ImplFailure naming the machine and the reason, with diagnostics() as its stderr. */
  failure(reason: string): ImplFailure {
    const exit = this.exit ? ` (QEMU ${this.exit.signal ? `killed by ${this.exit.signal}` : `exited ${this.exit.code}`})` : '';
    const panic = consolePanic(this.consoleLog);
    return new ImplFailure(
      `qemu guest ${this.label} (${this.accel}): ${reason}${exit}${panic ? `; console: ${panic}` : ''}`,
      this.diagnostics(),
    );
  }

  /** Kills QEMU at once and waits until it is gone. */
  async kill(): Promise<void> {
    this.dead ??= 'killed';
    if (this.child && this.exit === null && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await this.exited;
    }
  }

  /**
   * Ends a healthy machine: closes QEMU's stdin, gives the guest a moment to power off, then
   * SIGTERM (QEMU quits cleanly) and finally SIGKILL. The probe cannot see the end of its input
   * over a serial port, so in practice SIGTERM ends it; there is no disk, so nothing is lost.
   */
  async shutdown(graceMs = 500): Promise<void> {
    if (!this.child || this.exit !== null) return;
    this.dead ??= 'shut down';
    this.child.stdin?.end();
    const waitFor = (ms: number) =>
      Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    if (await waitFor(graceMs)) return;
    try {
      process.kill(this.child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    if (await waitFor(3000)) return;
    await this.kill();
  }
}

/**
 * Boots a machine with the accelerator asked for; under `auto`, tries KVM first when /dev/kvm opens
 * and KVM has not failed on this host before, and falls back to TCG.
 */
export async function bootMachine(
  o: Resolved,
  workDir: string,
  onLine: (line: string) => void,
  onDeath: (reason: string) => void,
  timeoutMs: number,
): Promise<QemuMachine> {
  const want = o.accel ?? ((process.env.MMSPEC_QEMU_ACCEL as Accel | undefined) || 'auto');
  if (want !== 'auto' && want !== 'tcg' && want !== 'kvm') throw new ImplFailure(`unknown accel ${want}: auto, tcg or kvm`);
  const label = o.label ?? o.kernel;
  const attempt = async (accel: 'tcg' | 'kvm', ms: number) => {
    const m = new QemuMachine(o, accel, workDir);
    o.log(`qemu: booting ${label} (${accel})…`);
    await m.start(onLine, onDeath, ms);
    return m;
  };
  if (want === 'auto' && kvmOpens() && loadKvmVerdict(qemuBinary(o)) !== false) {
    const known = kvmVerdict === true;
    try {
      const m = await attempt('kvm', known ? timeoutMs : Math.min(o.kvmTryTimeoutMs, timeoutMs));
      if (!known) saveKvmVerdict(qemuBinary(o), true, 'booted');
      return m;
    } catch (e) {
      if (known) throw e; // KVM worked here before: this is the guest's failure
      const why = (e as Error).message.split('\n')[0]!;
      saveKvmVerdict(qemuBinary(o), false, why);
      o.log(`qemu: KVM boot failed (${why}); using TCG from now on (remembered in ${kvmVerdictFile()})`);
    }
  }
  return attempt(want === 'kvm' ? 'kvm' : 'tcg', timeoutMs);
}

// ---------------------------------------------------------------------------------------------
// QemuTransport: the machine as a LineTransport for tools/impl/rpc.ts (RpcImplementation), which
// then does ids, timeouts and schema checks. start() returns once the guest is ready (boot timeout);
// RpcImplementation sends hello under its own per-request timeout.

const BOOT_ATTEMPTS = 3;

export class QemuTransport implements LineTransport {
  private readonly o: Resolved;
  private machine: QemuMachine | null = null;
  private last: QemuMachine | null = null;
  /** The caller's workDir, or the temporary folder made at the first boot (ownDir) and removed by dispose(). */
  private workDir: string | null;
  private ownDir: string | null = null;

  constructor(opts: QemuGuestOptions) {
    this.o = withDefaults(opts);
    this.workDir = opts.workDir ?? null;
  }

  private folder(): string {
    if (this.workDir === null) {
      this.workDir = this.ownDir = mkdtempSync(join(tmpdir(), 'mmspec-qemu-'));
      liveDirs.add(this.ownDir);
      installExitHook();
    }
    return this.workDir;
  }

  async start(onLine: (line: string) => void, onExit: (why: string) => void): Promise<void> {
    const workDir = this.folder();
    let m: QemuMachine | null = null;
    // Emulated boots now and then die early (a panic under TCG): try a few before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        m = await bootMachine(this.o, workDir, onLine, (why) => {
          if (this.machine === m) onExit(why);
        }, this.o.bootTimeoutMs);
        break;
      } catch (e) {
        if (attempt >= BOOT_ATTEMPTS) throw e;
        this.o.log(`qemu: boot ${attempt} of ${BOOT_ATTEMPTS} failed (${(e as Error).message.split('\n')[0]}); booting again`);
      }
    }
    this.machine = this.last = m;
    this.o.log(`qemu: ${m.label} ready after ${m.uptime().toFixed(1)} s (${m.accel})`);
  }

  send(line: string): void {
    this.machine?.send(line);
  }

  diagnostics(): string {
    return this.last?.diagnostics() ?? '';
  }

  async stop(): Promise<void> {
    const m = this.machine;
    this.machine = null;
    if (m) await m.shutdown();
  }

  /**
   * Stops the machine and removes the temporary folder with the console logs (a workDir given by
   * the caller stays). Failures have carried their console tail already. A later start() makes a
   * fresh folder.
   */
  async dispose(): Promise<void> {
    await this.stop();
    const dir = this.ownDir;
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
      this.ownDir = this.workDir = null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Console log helpers

/** The last n lines of a console log, without carriage returns or escape sequences. */
export function consoleTail(path: string, n: number): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '(no console log)';
  }
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, '').replace(/\r/g, '').split('\n');
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  return lines.length ? lines.slice(-n).join('\n') : '(console log is empty)';
}

/** The first kernel panic, oops or BUG line of a console log, if any. */
export function consolePanic(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const m = /(Kernel panic - not syncing:[^\r\n]*|BUG:[^\r\n]*|Oops:[^\r\n]*)/.exec(text);
  return m ? clip(m[1]!.trim()) : null;
}
