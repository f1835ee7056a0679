// exec:COMMAND — any program speaking the line protocol on stdin/stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LineTransport } from './rpc.ts';
import { RpcImplementation } from './rpc.ts';

const STDERR_KEEP = 16 * 1024;

/** Runs a program (in its own process group) and carries lines over its stdio. */
export class ProcessTransport implements LineTransport {
  private child?: ChildProcess;
  private stderr = '';

  /** With args null the command is a shell command line (exec:); otherwise a program and its arguments. */
  constructor(
    private readonly command: string,
    private readonly args: string[] | null = null,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async start(onLine: (line: string) => void, onExit: (why: string) => void): Promise<void> {
    this.stderr = '';
    const child = spawn(this.command, this.args ?? [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: this.env, shell: this.args === null });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', onLine);
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_KEEP);
    });
    child.stdin!.on('error', () => {}); // a dead peer is reported through 'exit'
    child.on('error', (e) => onExit(e.message));
    child.on('exit', (code, sig) => {
      if (this.child === child) onExit(sig ? `killed by ${sig}` : `exit status ${code}`);
    });
  }

  send(line: string): void {
    this.child?.stdin?.write(`${line}\n`);
  }

  /** The running program's pid (tests use it to play a crash). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  diagnostics(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin?.end();
    const grace = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
    await exited;
    clearTimeout(grace);
  }
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, sig);
  } catch {
    child.kill(sig);
  }
}

export function execImplementation(command: string, timeoutMs?: number): RpcImplementation {
  return new RpcImplementation(new ProcessTransport(command), `exec:${command}`, timeoutMs);
}
