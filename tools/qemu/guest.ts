// A Linux kernel booted under QEMU as an implementation under test.
//
// The guest's /init (initramfs.ts) runs a static probe on its second serial port, /dev/ttyS1;
// QEMU connects that port to its own stdin/stdout, so from here the guest is a process whose
// stdin/stdout carry the line protocol, like any `exec:` implementation. The first serial port,
// /dev/ttyS0, is the kernel console, logged to a file and shown (its tail) when the guest fails.
//
// One guest serves many scenarios: it boots on the first describe()/open() and stays up until
// dispose(). A guest that never boots, hangs, crashes or sends garbage is killed and reported as an
// ImplFailure carrying the console tail; the next open() boots a fresh one.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, constants as fsc, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ImplError,
  ImplFailure,
  type ImplErrorKind,
  type Implementation,
  type ImplementationInfo,
  type Observation,
  type OpenOutcome,
  type OpenParams,
  type StepRequest,
  type StepResult,
} from '../impl/types.ts';
import { GUEST_READY } from './initramfs.ts';
import { type Log, stderrLog, which } from './host.ts';

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
  /** Budget of a first KVM boot under accel=auto before falling back to TCG. Default 10 s (TCG boots in 4–9 s). */
  kvmTryTimeoutMs?: number;
  /** Extra kernel command line, after `console=ttyS0 quiet panic=-1`. */
  append?: string;
  /** Extra QEMU arguments. */
  extraArgs?: string[];
  /** Folder for console logs; default a fresh temporary folder, removed on dispose() unless a guest failed. */
  workDir?: string;
  /** Console lines attached to a failure. Default 40. */
  consoleTailLines?: number;
  log?: Log;
}

const DEFAULTS = {
  bootTimeoutMs: 120_000,
  requestTimeoutMs: 60_000,
  kvmTryTimeoutMs: 10_000,
  consoleTailLines: 40,
};

/** The QEMU arguments for one boot (exported so the command line can be shown and tested). */
export function qemuArgs(o: {
  kernel: string;
  initrd: string;
  consoleLog: string;
  accel: 'tcg' | 'kvm';
  append?: string;
  extraArgs?: string[];
}): string[] {
  const esc = (p: string) => p.replaceAll(',', ',,'); // QEMU option values double their commas
  return [
    '-accel', o.accel,
    '-cpu', o.accel === 'kvm' ? 'host' : 'max',
    '-smp', '2',
    '-m', '1G',
    '-object', 'memory-backend-ram,id=m0,size=512M',
    '-object', 'memory-backend-ram,id=m1,size=512M',
    '-numa', 'node,memdev=m0,cpus=0',
    '-numa', 'node,memdev=m1,cpus=1',
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

// ---------------------------------------------------------------------------------------------
// Minimal JSON-RPC over lines. Kept apart so the generic client planned in tools/impl/ can
// replace it: the guest only needs call(), receive() and abort().

interface Pending {
  id: number;
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

class LineRpc {
  private nextId = 1;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  /** send writes one line (without its newline); broken is told of a protocol violation. */
  constructor(
    private readonly send: (line: string) => void,
    private readonly broken: (reason: string) => void,
  ) {}

  /** One request at a time, in order; resolves with `result`, rejects with ImplError or ImplFailure. */
  call(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    const run = () =>
      new Promise<unknown>((resolve, reject) => {
        const id = this.nextId++;
        const timer = setTimeout(() => {
          this.pending = null;
          const reason = `no answer to ${method} (id ${id}) within ${(timeoutMs / 1000).toFixed(0)} s`;
          reject(new ImplFailure(reason));
          this.broken(reason);
        }, timeoutMs);
        this.pending = { id, method, resolve, reject, timer };
        this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  receive(line: string): void {
    const p = this.pending;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return this.violation(`the guest sent a line that is not JSON: ${clip(line)}`);
    }
    if (!p) return this.violation(`the guest sent a line nobody asked for: ${clip(line)}`);
    const m = msg as { id?: unknown; result?: unknown; error?: { message?: unknown; data?: { kind?: unknown; detail?: unknown } } };
    if (typeof m !== 'object' || m === null || m.id !== p.id) {
      return this.violation(`expected the answer to ${p.method} (id ${p.id}), got: ${clip(line)}`);
    }
    clearTimeout(p.timer);
    this.pending = null;
    if (m.error !== undefined) {
      const kind = m.error?.data?.kind;
      const k: ImplErrorKind = kind === 'unsupported' || kind === 'invalid' ? kind : 'internal';
      p.reject(new ImplError(k, String(m.error?.message ?? 'error'), m.error?.data?.detail));
    } else if (!('result' in m)) {
      this.violation(`answer to ${p.method} has neither result nor error: ${clip(line)}`, p);
    } else {
      p.resolve(m.result);
    }
  }

  /** Fails the request in flight (the transport died). */
  abort(err: Error): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = null;
    p.reject(err);
  }

  private violation(reason: string, p: Pending | null = this.pending): void {
    if (p) {
      clearTimeout(p.timer);
      this.pending = null;
      p.reject(new ImplFailure(reason));
    }
    this.broken(reason);
  }
}

function clip(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s;
}

// ---------------------------------------------------------------------------------------------
// QEMU processes: every live one is killed if this Node process exits without dispose().

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) if (c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    });
  }
}

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

/** QEMU stderr lines after which the guest never runs again (QEMU itself stays up, paused). */
const FATAL_QEMU_STDERR = /KVM internal error|emulation failure|failed to set MSR|Assertion .* failed/;

function kvmOpens(): boolean {
  try {
    closeSync(openSync('/dev/kvm', fsc.O_RDWR));
    return true;
  } catch {
    return false;
  }
}

interface Vm {
  gen: number;
  child: ChildProcess;
  accel: 'tcg' | 'kvm';
  consoleLog: string;
  rpc: LineRpc;
  stderr: string[];
  /** Resolves when QEMU has exited. */
  exited: Promise<void>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Set when the guest broke (protocol violation, timeout, exit). */
  broken: string | null;
  onReady: (() => void) | null;
  /** Set while booting: fails the boot at once. */
  fatal: ((reason: string) => void) | null;
  ready: boolean;
  startedAt: number;
  /** Lines on ttyS1 before the ready line (should be none). */
  preReady: string[];
}

export class QemuGuest implements Implementation {
  private readonly o: Required<Omit<QemuGuestOptions, 'append' | 'extraArgs' | 'workDir' | 'qemu' | 'accel' | 'label'>> &
    QemuGuestOptions;
  private vm: Vm | null = null;
  private booting: Promise<Vm> | null = null;
  private gen = 0;
  private info: ImplementationInfo | null = null;
  private readonly workDir: string;
  private readonly ownWorkDir: boolean;
  private failures = 0;
  private disposed = false;
  /** Seconds from launch to the hello reply, per boot. */
  readonly bootTimes: { accel: string; seconds: number }[] = [];

  constructor(opts: QemuGuestOptions) {
    this.o = { ...DEFAULTS, log: stderrLog, ...opts };
    this.ownWorkDir = !opts.workDir;
    this.workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'mmspec-qemu-'));
  }

  private get label(): string {
    return this.o.label ?? this.o.kernel;
  }

  // --- Implementation ---------------------------------------------------------------------

  async describe(): Promise<ImplementationInfo> {
    await this.up();
    return this.info!;
  }

  async open(params: OpenParams): Promise<OpenOutcome> {
    const vm = await this.up(); // boots a fresh guest after a failure
    const r = (await this.call(vm, 'open', params)) as { session?: unknown; skip?: unknown };
    if (typeof r?.session === 'string') return { session: `g${vm.gen}.${r.session}` };
    if (typeof r?.skip === 'string') return { skip: r.skip };
    return this.fail(vm, `open answered neither session nor skip: ${clip(JSON.stringify(r))}`);
  }

  async step(session: string, step: StepRequest): Promise<StepResult> {
    const { vm, id } = this.session(session);
    return (await this.call(vm, 'step', { session: id, step })) as StepResult;
  }

  async steps(session: string, steps: StepRequest[]): Promise<StepResult[]> {
    const { vm, id } = this.session(session);
    const r = (await this.call(vm, 'steps', { session: id, steps })) as { results?: unknown };
    if (!Array.isArray(r?.results)) return this.fail(vm, 'steps answered without a results array');
    return r.results as StepResult[];
  }

  async observe(session: string): Promise<Observation> {
    const { vm, id } = this.session(session);
    const r = (await this.call(vm, 'observe', { session: id })) as { observation?: unknown };
    if (typeof r?.observation !== 'object' || r.observation === null) return this.fail(vm, 'observe answered without an observation');
    return r.observation as Observation;
  }

  async close(session: string): Promise<void> {
    const m = /^g(\d+)\.(.*)$/s.exec(session);
    // A session of a guest that is gone has nothing left to close.
    if (!m || !this.vm || Number(m[1]) !== this.vm.gen || this.vm.broken) return;
    await this.call(this.vm, 'close', { session: m[2] });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.booting) await this.booting.catch(() => undefined);
    if (this.vm) await this.shutdown(this.vm, 'dispose');
    this.vm = null;
    if (this.ownWorkDir) {
      if (this.failures === 0) rmSync(this.workDir, { recursive: true, force: true });
      else this.o.log(`qemu: console logs of the failed guest(s) kept in ${this.workDir}`);
    }
  }

  /** A raw request to the probe, for methods or fields outside the Implementation interface (tests, diagnostics). */
  async request(method: string, params: unknown): Promise<unknown> {
    return this.call(await this.up(), method, params);
  }

  /** The QEMU command line the next boot uses. */
  commandLine(accel: 'tcg' | 'kvm' = 'tcg'): string[] {
    return [this.qemuBinary(), ...qemuArgs({ kernel: this.o.kernel, initrd: this.o.initrd, consoleLog: join(this.workDir, 'console-N.log'), accel, append: this.o.append, extraArgs: this.o.extraArgs })];
  }

  // --- sessions and calls -----------------------------------------------------------------

  private session(session: string): { vm: Vm; id: string } {
    const m = /^g(\d+)\.(.*)$/s.exec(session);
    if (!m) throw new ImplFailure(`unknown session ${session}`);
    const vm = this.vm;
    if (!vm || Number(m[1]) !== vm.gen) {
      throw new ImplFailure(`session ${session} belonged to a guest that is gone (it failed or was restarted)`);
    }
    if (vm.broken) throw this.failure(vm, vm.broken);
    return { vm, id: m[2]! };
  }

  private async call(vm: Vm, method: string, params: unknown, timeoutMs = this.o.requestTimeoutMs): Promise<unknown> {
    if (vm.broken) throw this.failure(vm, vm.broken);
    try {
      return await vm.rpc.call(method, params, timeoutMs);
    } catch (e) {
      if (e instanceof ImplFailure) {
        await this.kill(vm);
        throw this.failure(vm, e.message);
      }
      throw e;
    }
  }

  private async fail(vm: Vm, reason: string): Promise<never> {
    vm.broken ??= reason;
    await this.kill(vm);
    throw this.failure(vm, reason);
  }

  /** An ImplFailure whose stderr holds QEMU's stderr and the console tail. */
  private failure(vm: Vm, reason: string): ImplFailure {
    this.failures++;
    const parts: string[] = [];
    const qerr = vm.stderr.join('').trim();
    if (qerr) parts.push(`--- qemu stderr ---\n${qerr.split('\n').slice(-20).join('\n')}`);
    if (vm.preReady.length) parts.push(`--- ttyS1 before the ready line ---\n${vm.preReady.slice(-10).join('\n')}`);
    parts.push(`--- console, last ${this.o.consoleTailLines} lines of ${vm.consoleLog} ---\n${consoleTail(vm.consoleLog, this.o.consoleTailLines)}`);
    const exit = vm.exit ? ` (QEMU ${vm.exit.signal ? `killed by ${vm.exit.signal}` : `exited ${vm.exit.code}`})` : '';
    return new ImplFailure(`qemu guest ${this.label} (${vm.accel}): ${reason}${exit}`, parts.join('\n'));
  }

  // --- booting ----------------------------------------------------------------------------

  private qemuBinary(): string {
    const q = this.o.qemu ?? which('qemu-system-x86_64');
    if (!q) {
      throw new ImplFailure(
        'qemu-system-x86_64 not found: apt-get install --no-install-recommends qemu-system-x86 (or run `mmspec kernel fetch`)',
      );
    }
    return q;
  }

  private async up(): Promise<Vm> {
    if (this.disposed) throw new ImplFailure('qemu guest used after dispose()');
    if (this.vm && !this.vm.broken && this.vm.exit === null) return this.vm;
    if (this.vm) {
      await this.kill(this.vm);
      this.vm = null;
    }
    this.booting ??= this.bootWithFallback().finally(() => (this.booting = null));
    return this.booting;
  }

  private async bootWithFallback(): Promise<Vm> {
    const want = this.o.accel ?? ((process.env.MMSPEC_QEMU_ACCEL as Accel | undefined) || 'auto');
    if (want !== 'auto' && want !== 'tcg' && want !== 'kvm') throw new ImplFailure(`unknown accel ${want}: auto, tcg or kvm`);
    if (want === 'auto' && kvmOpens() && loadKvmVerdict(this.qemuBinary()) !== false) {
      const tried = kvmVerdict;
      try {
        const vm = await this.boot('kvm', tried ? this.o.bootTimeoutMs : Math.min(this.o.kvmTryTimeoutMs, this.o.bootTimeoutMs));
        if (!tried) saveKvmVerdict(this.qemuBinary(), true, 'booted');
        return vm;
      } catch (e) {
        if (tried) throw e; // KVM worked before: this is a real failure
        this.failures--; // not the guest's fault
        const why = (e as Error).message.split('\n')[0]!;
        saveKvmVerdict(this.qemuBinary(), false, why);
        this.o.log(`qemu: KVM boot failed (${why}); using TCG from now on (remembered in ${kvmVerdictFile()})`);
      }
    }
    return this.boot(want === 'kvm' ? 'kvm' : 'tcg', this.o.bootTimeoutMs);
  }

  private async boot(accel: 'tcg' | 'kvm', timeoutMs: number): Promise<Vm> {
    const gen = ++this.gen;
    const consoleLog = join(this.workDir, `console-${gen}.log`);
    const args = qemuArgs({ kernel: this.o.kernel, initrd: this.o.initrd, consoleLog, accel, append: this.o.append, extraArgs: this.o.extraArgs });
    const qemu = this.qemuBinary();
    for (const f of [this.o.kernel, this.o.initrd]) if (!existsSync(f)) throw new ImplFailure(`${f} does not exist`);
    // setpriv --pdeathsig: QEMU dies with this process even when it is killed without a chance to clean up.
    const setpriv = which('setpriv');
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', qemu, ...args]] : [qemu, args];
    this.o.log(`qemu: booting ${this.label} (${accel})…`);
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);

    let resolveExit!: () => void;
    const vm: Vm = {
      gen,
      child,
      accel,
      consoleLog,
      stderr: [],
      exited: new Promise<void>((r) => (resolveExit = r)),
      exit: null,
      broken: null,
      onReady: null,
      fatal: null,
      ready: false,
      startedAt: Date.now(),
      preReady: [],
      rpc: undefined as unknown as LineRpc,
    };
    vm.rpc = new LineRpc(
      (line) => {
        if (child.stdin?.writable) child.stdin.write(`${line}\n`);
      },
      (reason) => {
        vm.broken ??= reason;
        void this.kill(vm);
      },
    );
    this.vm = vm;

    child.on('error', (e) => {
      vm.stderr.push(`spawn error: ${e.message}\n`);
    });
    child.stdin!.on('error', () => undefined); // EPIPE after QEMU died: reported through 'exit'
    child.stderr!.on('data', (b: Buffer) => {
      const text = b.toString('utf8');
      vm.stderr.push(text);
      if (vm.stderr.length > 200) vm.stderr.splice(0, vm.stderr.length - 200);
      const fatal = FATAL_QEMU_STDERR.exec(text);
      if (fatal && vm.exit === null) {
        const reason = `QEMU reported: ${fatal[0]}`;
        vm.broken ??= reason;
        vm.rpc.abort(new ImplFailure(reason));
        vm.fatal?.(reason);
        void this.kill(vm);
      }
    });
    child.on('exit', (code, signal) => {
      vm.exit = { code, signal };
      vm.broken ??= 'QEMU exited';
      vm.rpc.abort(new ImplFailure(vm.ready ? 'the guest stopped (QEMU exited)' : 'QEMU exited before the guest was ready'));
      vm.onReady = null;
      resolveExit();
    });

    // ttyS1 -> lines. Before the ready line only the marker matters; after it, all is protocol.
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 64 * 1024 * 1024) {
        vm.broken ??= 'the guest sent a line longer than 64 MiB';
        void this.kill(vm);
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!vm.ready) {
          if (line.startsWith(GUEST_READY)) {
            vm.ready = true;
            vm.onReady?.();
          } else if (line.trim()) vm.preReady.push(clip(line));
        } else if (line.trim()) {
          vm.rpc.receive(line);
        }
      }
    });

    try {
      const deadline = vm.startedAt + timeoutMs;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ImplFailure(`no ready line from the guest within ${(timeoutMs / 1000).toFixed(0)} s`)), timeoutMs);
        vm.onReady = () => {
          clearTimeout(timer);
          vm.fatal = null;
          resolve();
        };
        vm.fatal = (reason) => {
          clearTimeout(timer);
          reject(new ImplFailure(reason));
        };
        vm.exited.then(() => {
          clearTimeout(timer);
          reject(new ImplFailure('QEMU exited before the guest was ready'));
        });
      });
      const hello = (await vm.rpc.call('hello', { protocol: 1 }, Math.max(1000, deadline - Date.now()))) as {
        protocol?: unknown;
        implementation?: ImplementationInfo;
      };
      if (hello?.protocol !== 1 || typeof hello.implementation !== 'object' || hello.implementation === null) {
        throw new ImplFailure(`bad hello answer: ${clip(JSON.stringify(hello))}`);
      }
      this.info = hello.implementation;
      const seconds = (Date.now() - vm.startedAt) / 1000;
      this.bootTimes.push({ accel, seconds });
      this.o.log(`qemu: booted ${this.label} (${hello.implementation.kernel ?? '?'}, ${accel}) in ${seconds.toFixed(1)} s`);
      return vm;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      vm.broken ??= reason;
      await this.kill(vm);
      if (this.vm === vm) this.vm = null;
      throw e instanceof ImplError ? this.failure(vm, `hello failed: ${reason}`) : this.failure(vm, reason);
    }
  }

  // --- stopping ---------------------------------------------------------------------------

  /** Kills QEMU at once (after a failure) and waits for it to be gone. */
  private async kill(vm: Vm): Promise<void> {
    if (vm.exit === null && vm.child.pid !== undefined) {
      try {
        process.kill(vm.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await vm.exited;
    }
  }

  /**
   * Ends a healthy guest: closes QEMU's stdin, gives it a moment, then SIGTERM (QEMU quits
   * cleanly) and finally SIGKILL. The probe cannot see the end of its input over a serial port,
   * so the guest does not power off by itself; there is no disk, so nothing is lost.
   */
  private async shutdown(vm: Vm, why: string): Promise<void> {
    if (vm.exit !== null) return;
    vm.broken ??= why;
    vm.child.stdin?.end();
    const waitFor = (ms: number) =>
      Promise.race([vm.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    if (await waitFor(500)) return;
    try {
      process.kill(vm.child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    if (await waitFor(3000)) return;
    await this.kill(vm);
  }
}

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
