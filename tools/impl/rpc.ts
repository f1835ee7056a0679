// An implementation reached over the line protocol: JSON-RPC 2.0, one JSON object per line.
// The transport moves lines; this class matches replies to requests, enforces the
// per-request timeout and checks every reply against the protocol schema.
import { check, RESULT_SCHEMA, stepResultProblems } from './protocol.ts';
import {
  ImplError, ImplFailure, stepByStep, type Implementation, type ImplementationInfo, type ImplErrorKind,
  type Observation, type OpenOutcome, type OpenParams, type StepRequest, type StepResult,
} from './types.ts';

export interface LineTransport {
  /** Starts the peer (again, after a failure) and calls onLine for each line it writes. */
  start(onLine: (line: string) => void, onExit: (why: string) => void): Promise<void>;
  send(line: string): void;
  /** Output the peer wrote besides the protocol (stderr, console), for failure reports. */
  diagnostics(): string;
  stop(): Promise<void>;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** The peer answered 'steps' with JSON-RPC "method not found" (-32601): it has no batches. */
class StepsMissing extends Error {}

/** JSON-RPC's code for a method the peer does not have. */
export const METHOD_NOT_FOUND = -32601;

export class RpcImplementation implements Implementation {
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private running = false;
  private info?: ImplementationInfo;
  /**
   * 'steps' is optional in the protocol. A peer that answered it with -32601 once is sent
   * 'step' requests one by one from then on (remembered for this implementation, across restarts).
   */
  private stepsMissing = false;

  constructor(
    private readonly transport: LineTransport,
    private readonly label: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async describe(): Promise<ImplementationInfo> {
    await this.ensureRunning();
    return this.info!;
  }

  async open(params: OpenParams): Promise<OpenOutcome> {
    await this.ensureRunning();
    return (await this.call('open', params)) as OpenOutcome;
  }

  async step(session: string, step: StepRequest): Promise<StepResult> {
    return (await this.call('step', { session, step })) as StepResult;
  }

  async steps(session: string, steps: StepRequest[]): Promise<StepResult[]> {
    if (!this.stepsMissing) {
      try {
        const { results } = (await this.call('steps', { session, steps })) as { results: StepResult[] };
        if (results.length !== steps.length) {
          const why = `answered ${results.length} results to a batch of ${steps.length} steps`;
          await this.fail(why);
          throw new ImplFailure(`${this.label} ${why}`, this.transport.diagnostics());
        }
        return results;
      } catch (e) {
        if (!(e instanceof StepsMissing)) throw e;
        this.stepsMissing = true;
      }
    }
    return stepByStep(steps, (s) => this.step(session, s));
  }

  /** Whether this implementation answered 'steps' with "method not found" and is driven step by step. */
  get batchesFallBack(): boolean {
    return this.stepsMissing;
  }

  async observe(session: string): Promise<Observation> {
    return ((await this.call('observe', { session })) as { observation: Observation }).observation;
  }

  async close(session: string): Promise<void> {
    if (this.running) await this.call('close', { session });
  }

  async dispose(): Promise<void> {
    this.running = false;
    await this.transport.stop();
  }

  private async ensureRunning(): Promise<void> {
    if (this.running) return;
    await this.transport.start(
      (line) => this.onLine(line),
      (why) => this.abort(`${this.label} exited: ${why}`),
    );
    this.running = true;
    let hello: { implementation: ImplementationInfo };
    try {
      hello = (await this.call('hello', { protocol: 1 })) as { implementation: ImplementationInfo };
    } catch (e) {
      // Without a hello nothing can run: the implementation failed, whatever kind it answered.
      if (!(e instanceof ImplError)) throw e;
      const diag = this.transport.diagnostics();
      await this.restart();
      throw new ImplFailure(`${this.label} answered hello with an error (${e.kind}): ${e.message}`, diag);
    }
    this.info = hello.implementation;
  }

  private call(method: string, params: unknown): Promise<unknown> {
    if (!this.running) return Promise.reject(new ImplFailure(`${this.label} is not running`, this.transport.diagnostics()));
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        void this.fail(`no reply to '${method}' within ${this.timeoutMs / 1000} s`);
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
    });
    this.transport.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return result;
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let msg: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: string; data?: { kind?: ImplErrorKind; detail?: unknown } } };
    try {
      msg = JSON.parse(line);
    } catch {
      void this.fail(`wrote a line that is not JSON: ${truncate(line)}`);
      return;
    }
    // "Method not found" to 'steps' (with or without data.kind, as JSON-RPC libraries write it):
    // the peer has no batches; steps() goes step by step.
    const waiting = typeof msg?.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (waiting?.method === 'steps' && msg.error?.code === METHOD_NOT_FOUND) {
      this.pending.delete(msg.id as number);
      clearTimeout(waiting.timer);
      waiting.reject(new StepsMissing());
      return;
    }
    const problems = check('Response', msg);
    if (problems.length) return void this.fail(`wrote a malformed response (${problems.join('; ')}): ${truncate(line)}`);
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return void this.fail(`answered id ${JSON.stringify(msg.id)}, which no request is waiting for: ${truncate(line)}`);
    this.pending.delete(msg.id as number);
    clearTimeout(p.timer);
    if (msg.error) {
      p.reject(new ImplError(msg.error.data?.kind ?? 'internal', msg.error.message ?? 'error', msg.error.data?.detail));
      return;
    }
    const bad = check(RESULT_SCHEMA[p.method]!, msg.result);
    if (!bad.length && p.method === 'step') bad.push(...stepResultProblems(msg.result as StepResult));
    if (!bad.length && p.method === 'steps') bad.push(...(msg.result as { results: StepResult[] }).results.flatMap(stepResultProblems));
    if (bad.length) {
      p.reject(new ImplFailure(`${this.label}: reply to '${p.method}' breaks the protocol: ${bad.join('; ')}`, this.transport.diagnostics()));
      void this.restart();
      return;
    }
    p.resolve(msg.result);
  }

  /** The peer broke: fail what is waiting, stop it; the next open starts a fresh one. */
  private async fail(why: string): Promise<void> {
    this.abort(`${this.label} ${why}`);
    await this.restart();
  }

  private abort(message: string): void {
    this.running = false;
    const diag = this.transport.diagnostics();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ImplFailure(message, diag));
      this.pending.delete(id);
    }
  }

  /** Stops the peer; the next request starts it again (a guest: a fresh boot). */
  protected async restart(): Promise<void> {
    this.running = false;
    await this.transport.stop();
  }
}

function truncate(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
