// mmspec check-impl: checks an implementation's side of the line protocol before any scenario
// runs, and says what to fix. It speaks the protocol itself, line by line, so that it can see
// what the runner would only see as a broken scenario: the envelope, the ids, the shape of every
// result, the error kinds, the optional methods.
//
// exec: programs are started and talked to over their stdin/stdout. Every other implementation
// (oracle, module:, real kernels) is served in this process over the same protocol (serve.ts),
// so that one set of checks covers them all.
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { DEFAULT_MODEL_KERNEL } from '../../oracle/core/kernel.ts';
import { concreteStep } from '../core/expr.ts';
import { skipReason } from '../runner/run.ts';
import { ajv } from '../spec/ajv.ts';
import { hasObservationField, mechanisms, type MechanismSpec } from '../spec/mechanisms.ts';
import type { LoadedScenario } from '../spec/tables.ts';
import { ProcessTransport } from './exec.ts';
import { check, ERROR_CODES, stepResultProblems } from './protocol.ts';
import type { LineTransport } from './rpc.ts';
import { serve } from './serve.ts';
import type { Implementation, ImplementationInfo, Observation, StepRequest, StepResult } from './types.ts';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Finding {
  verdict: Verdict;
  /** What was checked: hello, ids, open <mechanism>, steps, … */
  check: string;
  message: string;
  /** What to change, for warn and fail. */
  fix?: string;
}

export interface CheckTarget {
  /** How the implementation is reached: a program's command line (exec:), or one in this process. */
  command?: string;
  impl?: Implementation;
  /** For the messages: exec:…, module:…, oracle. */
  label: string;
}

export interface CheckOptions {
  /** The scenarios whose first config (and steps) of each mechanism are used. */
  scenarios: LoadedScenario[];
  /** Only these mechanisms (default: every one the implementation claims that has scenarios). */
  mechanisms?: string[];
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** The kernel a model is asked to behave as (default: the runner's). */
  kernel?: string;
}

/** Names no mechanism has: an op, a method, an argument, a session. */
const NO_OP = 'mmspec_check_no_such_op';
const NO_METHOD = 'mmspec_check_no_such_method';
const NO_ARG = 'mmspec_check_no_such_argument';
const NO_SESSION = 'mmspec-check-no-such-session';
const PROTOCOL_MD = 'spec/protocol.md';
/** How long hello may take, the program's start-up included. */
const STARTUP_MS = 30_000;
/** A peer that takes longer than this to exit once its stdin closes is killed by the runner. */
const EXIT_GRACE_MS = 2000;

type Reply =
  | { kind: 'reply'; line: string; msg: Record<string, unknown> }
  | { kind: 'garbage'; line: string }
  | { kind: 'timeout' }
  | { kind: 'exited'; why: string };

/** A peer (re)started on demand, its lines queued as they come. */
class Wire {
  private queue: string[] = [];
  private waiting?: () => void;
  private exitedWhy?: string;

  constructor(
    private readonly transport: LineTransport,
    private readonly timeoutMs: number,
  ) {}

  async start(): Promise<void> {
    this.queue = [];
    this.exitedWhy = undefined;
    await this.transport.start(
      (line) => {
        if (!line.trim()) return;
        this.queue.push(line);
        this.waiting?.();
      },
      (why) => {
        this.exitedWhy = why;
        this.waiting?.();
      },
    );
  }

  send(line: string): void {
    this.transport.send(line);
  }

  /** The next line the peer writes, or why none came. */
  async next(timeoutMs = this.timeoutMs): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.queue.shift();
      if (line !== undefined) {
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          return { kind: 'garbage', line };
        }
        if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { kind: 'garbage', line };
        return { kind: 'reply', line, msg: msg as Record<string, unknown> };
      }
      if (this.exitedWhy !== undefined) return { kind: 'exited', why: this.exitedWhy };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  /** Lines written that no request asked for (read after a short pause). */
  async unsolicited(): Promise<string[]> {
    await new Promise((r) => setTimeout(r, 50));
    return this.queue.splice(0);
  }

  diagnostics(): string {
    return this.transport.diagnostics();
  }

  async stop(): Promise<number> {
    const t0 = Date.now();
    await this.transport.stop();
    return Date.now() - t0;
  }
}

/** An implementation in this process, served over the line protocol (as `mmspec serve` serves the oracle). */
class ServedTransport implements LineTransport {
  private input?: PassThrough;

  constructor(private readonly impl: Implementation) {}

  async start(onLine: (line: string) => void, onExit: (why: string) => void): Promise<void> {
    const input = new PassThrough();
    const output = new PassThrough();
    this.input = input;
    createInterface({ input: output, crlfDelay: Infinity }).on('line', onLine);
    serve(this.impl, input, output).then(
      () => output.end(),
      (e: unknown) => onExit(`serving it failed: ${(e as Error).message}`),
    );
  }

  send(line: string): void {
    this.input?.write(`${line}\n`);
  }

  diagnostics(): string {
    return '';
  }

  async stop(): Promise<void> {
    this.input?.end();
    this.input = undefined;
  }
}

interface Answer {
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: { kind?: unknown; detail?: unknown } };
  /** No usable answer: the reason (timeout, exit, not JSON, not a response). */
  broken?: string;
}

const json = (v: unknown) => JSON.stringify(v);
const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);
const list = (xs: string[], n = 3) => xs.slice(0, n).join('; ') + (xs.length > n ? ` (and ${xs.length - n} more)` : '');

/** Checks the implementation; the findings in the order checked. */
export async function checkImplementation(target: CheckTarget, opts: CheckOptions): Promise<Finding[]> {
  const checker = new Checker(target, opts);
  try {
    await checker.run();
  } finally {
    await checker.dispose();
  }
  return checker.findings;
}

class Checker {
  readonly findings: Finding[] = [];
  private readonly wire: Wire;
  private readonly timeoutMs: number;
  private id = 0;
  private idStep = 0;
  private replies = 0;
  private readonly envelopeProblems: string[] = [];
  private readonly idProblems: string[] = [];
  private readonly codeProblems: string[] = [];
  private info?: ImplementationInfo;
  private alive = false;
  /** 'steps' answered -32601 (said once). */
  private stepsMissing = false;

  constructor(
    private readonly target: CheckTarget,
    private readonly opts: CheckOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const transport = target.command !== undefined ? new ProcessTransport(target.command) : new ServedTransport(target.impl!);
    this.wire = new Wire(transport, this.timeoutMs);
  }

  private add(verdict: Verdict, check: string, message: string, fix?: string): void {
    this.findings.push({ verdict, check, message, ...(fix && verdict !== 'ok' ? { fix } : {}) });
  }

  /** Ids 1, 2, 4, 7, 11, …: a peer answering with a counter of its own is caught at once. */
  private nextId(): number {
    this.id += ++this.idStep;
    return this.id;
  }

  /**
   * Sends one request and reads one line as its answer, checking the envelope and the id. A
   * peer that hangs, exits or writes garbage is started afresh (with a hello) for the next check.
   */
  private async call(method: string, params: unknown): Promise<Answer> {
    return this.exchange(json({ jsonrpc: '2.0', id: this.nextId(), method, params }), method, this.id);
  }

  private async exchange(line: string, what: string, id: number | null): Promise<Answer> {
    if (!this.alive) return { broken: 'it is not running' };
    this.wire.send(line);
    // hello waits for the program to start too (an interpreter, a JIT): at least STARTUP_MS.
    const timeoutMs = what === 'hello' ? Math.max(this.timeoutMs, STARTUP_MS) : this.timeoutMs;
    const r = await this.wire.next(timeoutMs);
    if (r.kind === 'timeout') return this.broke(`no answer to '${what}' within ${timeoutMs / 1000} s`);
    if (r.kind === 'exited') return this.broke(`it exited at '${what}' (${r.why})`);
    if (r.kind === 'garbage') {
      this.envelopeProblems.push(`answered '${what}' with a line that is not a JSON object: ${short(r.line)}`);
      return this.broke(`answered '${what}' with a line that is not a JSON object`);
    }
    this.replies++;
    const msg = r.msg;
    const problems = check('Response', msg);
    if (problems.length) this.envelopeProblems.push(`'${what}': ${problems.join('; ')}: ${short(r.line)}`);
    if (msg.id !== id) {
      this.idProblems.push(`request id ${id === null ? 'null' : id} ('${what}') was answered with id ${json(msg.id)}`);
    }
    const error = msg.error as Answer['error'];
    if (error && typeof error === 'object') {
      const kind = error.data?.kind;
      const expected = typeof kind === 'string' ? ERROR_CODES[kind as keyof typeof ERROR_CODES] : undefined;
      const protocolCode = [-32700, -32600, -32601].includes(error.code as number);
      if (expected !== undefined && error.code !== expected && !protocolCode) {
        this.codeProblems.push(`'${what}' answered kind '${String(kind)}' with code ${json(error.code)} (${kind} is ${expected})`);
      }
      return { error };
    }
    if (!('result' in msg)) return { broken: `answered '${what}' with neither result nor error` };
    return { result: msg.result };
  }

  private async broke(why: string): Promise<Answer> {
    this.alive = false;
    const tail = this.wire.diagnostics().trim().split('\n').slice(-5).join(' | ');
    await this.wire.stop();
    return { broken: `${why}${tail ? ` (its stderr: ${short(tail, 300)})` : ''}` };
  }

  /** Starts the peer and says hello; false when the checks cannot go on. */
  private async startAndHello(first: boolean): Promise<boolean> {
    try {
      await this.wire.start();
    } catch (e) {
      this.add('fail', 'start', `cannot start ${this.target.label}: ${(e as Error).message}`, 'check the command runs on its own');
      return false;
    }
    this.alive = true;
    const a = await this.call('hello', { protocol: 1 });
    if (!first) return !a.broken && !a.error;
    return this.judgeHello(a);
  }

  private judgeHello(a: Answer): boolean {
    const fix = 'answer hello with {"protocol": 1, "implementation": {"name": "...", "version": "...", "mechanisms": [...], "layers": ["abi"|"internal", ...], "kernel": null or "uname -r"}} (spec/protocol.md, hello)';
    if (a.broken) return this.add('fail', 'hello', a.broken, fix), false;
    if (a.error) return this.add('fail', 'hello', `answered an error: ${json(a.error)}`, fix), false;
    const problems = check('HelloResult', a.result);
    const impl = (a.result as { implementation?: Partial<ImplementationInfo> } | undefined)?.implementation;
    if (problems.length) {
      this.add('fail', 'hello', `the result is not a HelloResult: ${list(problems, 6)}`, fix);
      const usable = impl && Array.isArray(impl.mechanisms) && impl.mechanisms.every((m) => typeof m === 'string') && Array.isArray(impl.layers);
      if (!usable) {
        this.add('fail', 'checks', 'stopped: the other checks need to know the mechanisms and layers hello claims', 'fix hello first');
        return false;
      }
    }
    const info = { name: String(impl!.name || '?'), version: String(impl!.version ?? '?'), mechanisms: impl!.mechanisms!, layers: impl!.layers!, kernel: impl!.kernel ?? null } as ImplementationInfo;
    this.info = info;
    if (!problems.length) {
      this.add('ok', 'hello', `protocol 1, ${info.name} ${info.version}: mechanisms ${info.mechanisms.join(', ') || 'none'}; layers ${info.layers.join(', ') || 'none'}; ${info.kernel ? `kernel ${info.kernel}` : 'a model (kernel null)'}`);
    }
    if (!info.mechanisms.length) this.add('fail', 'hello', 'claims no mechanism: the runner skips every scenario', 'list the mechanisms you implement in implementation.mechanisms');
    if (!info.layers.length) this.add('fail', 'hello', 'claims no layer: the runner skips every scenario', "list 'abi' and/or 'internal' in implementation.layers");
    const known = mechanisms();
    const unknown = info.mechanisms.filter((m) => !known.has(m));
    if (unknown.length) {
      this.add('warn', 'hello', `claims ${unknown.map((m) => `'${m}'`).join(', ')}, which mmspec has no schema for (known: ${[...known.keys()].join(', ')})`, 'name mechanisms as spec/mechanisms/<name>/ does');
    }
    return true;
  }

  async run(): Promise<void> {
    if (!(await this.startAndHello(true))) return;
    const info = this.info!;
    const known = mechanisms();
    let chosen = info.mechanisms.filter((m) => known.has(m));
    if (this.opts.mechanisms?.length) {
      for (const m of this.opts.mechanisms) {
        if (!info.mechanisms.includes(m)) this.add('fail', 'hello', `does not claim ${m}, which was asked for`, `add '${m}' to implementation.mechanisms, or check another mechanism`);
      }
      chosen = chosen.filter((m) => this.opts.mechanisms!.includes(m));
    }
    for (const m of chosen) {
      if (!(await this.ensureAlive())) break;
      await this.checkMechanism(known.get(m)!);
    }
    if (await this.ensureAlive()) await this.checkSessionErrors();
    if (await this.ensureAlive()) await this.checkUnknownMethod();
    if (await this.ensureAlive()) await this.checkParseError();
    this.summarizeWire();
    if (this.alive && this.target.command !== undefined) {
      const extra = await this.wire.unsolicited();
      if (extra.length) this.add('fail', 'envelope', `wrote ${extra.length} line(s) no request asked for: ${short(extra[0]!)}`, 'write exactly one line per request; logs go to stderr');
      const ms = await this.wire.stop();
      this.alive = false;
      if (ms >= EXIT_GRACE_MS) this.add('warn', 'exit', `did not exit within ${EXIT_GRACE_MS / 1000} s of its stdin closing: the runner kills it`, 'exit when stdin reaches end of file');
      else this.add('ok', 'exit', 'exits when its stdin closes');
    }
  }

  private async ensureAlive(): Promise<boolean> {
    if (this.alive) return true;
    if (await this.startAndHello(false)) return true;
    this.add('fail', 'checks', 'stopped: the implementation could not be started again for the remaining checks');
    return false;
  }

  async dispose(): Promise<void> {
    if (this.alive) await this.wire.stop();
    this.alive = false;
  }

  /** The first scenarios of m the implementation would run (layers, kernel), with distinct configs. */
  private candidates(m: string): LoadedScenario[] {
    const info = this.info!;
    const kernel = info.kernel ?? this.opts.kernel ?? DEFAULT_MODEL_KERNEL;
    const seen = new Set<string>();
    return this.opts.scenarios
      .filter((s) => s.mechanism === m && !skipReason(info, kernel, s))
      .filter((s) => !seen.has(json(s.config ?? {})) && !!seen.add(json(s.config ?? {})))
      .slice(0, 5);
  }

  private openParams(s: LoadedScenario) {
    const kernel = this.info!.kernel ?? this.opts.kernel ?? DEFAULT_MODEL_KERNEL;
    return { mechanism: s.mechanism, config: s.config ?? {}, kernel, scenario: s.id };
  }

  /** Opens a session for s: its id, or null (with a finding when the answer is wrong). */
  private async open(s: LoadedScenario, label: string, report: boolean): Promise<string | null | { skip: string }> {
    const a = await this.call('open', this.openParams(s));
    const fix = 'answer open with {"session": "<id>"}, or {"skip": "<why>"} for a config you cannot set up';
    if (a.broken) return this.add('fail', label, a.broken, fix), null;
    if (a.error) {
      const kind = a.error.data?.kind;
      if (kind === 'unsupported') return { skip: String(a.error.message) };
      return this.add('fail', label, `a valid config (${s.id}: ${json(s.config ?? {})}) answered error ${json(a.error)}`, fix), null;
    }
    const problems = check('OpenResult', a.result);
    if (problems.length) return this.add('fail', label, `answered ${short(json(a.result))}: ${list(problems)}`, fix), null;
    const r = a.result as { session?: string; skip?: string };
    if (r.skip !== undefined) return { skip: r.skip };
    if (report) this.add('ok', label, `a valid config (from ${s.id}) opens session ${json(r.session)}`);
    return r.session!;
  }

  private async checkMechanism(spec: MechanismSpec): Promise<void> {
    const m = spec.name;
    const scenarios = this.candidates(m);
    if (!scenarios.length) {
      this.add('warn', `open ${m}`, `no scenario of ${m} fits the layers (${this.info!.layers.join(', ')}) and kernel claimed: nothing would run`, 'check implementation.layers and kernel');
      return;
    }
    // The first scenario whose config the implementation takes.
    let scenario: LoadedScenario | undefined;
    let session: string | undefined;
    const skips: string[] = [];
    for (const s of scenarios) {
      const r = await this.open(s, `open ${m}`, true);
      if (r === null) return;
      if (typeof r === 'object') {
        skips.push(`${s.id}: ${r.skip}`);
        continue;
      }
      scenario = s;
      session = r;
      break;
    }
    if (!scenario || !session) {
      this.add('warn', `open ${m}`, `skipped every config tried (${list(skips, 2)}): no step could be checked`, 'open the configs your implementation can set up');
      return;
    }
    if (skips.length) this.add('warn', `open ${m}`, `skipped ${skips.length} config(s) before one opened (${list(skips, 1)})`, 'skip only what you cannot set up');

    // One by one: observe, every step of the scenario, observe, close.
    const start = await this.observe(spec, session, `observe ${m}`);
    if (!start) return;
    const requests: StepRequest[] = [];
    const singles: StepResult[] = [];
    let last = start;
    let stepsOk = true;
    for (const st of scenario.steps) {
      let req: StepRequest;
      try {
        req = concreteStep(st, () => ({ ...last, start }));
      } catch (e) {
        this.add('warn', `step ${m}`, `cannot evaluate the arguments of ${scenario.id}'s ${st.op} step from the observation: ${(e as Error).message}`, 'report every observation field of the mechanism');
        break;
      }
      const r = await this.step(spec, session, req, `step ${m}`);
      if (r === 'stop') {
        stepsOk = false;
        break;
      }
      if (r === 'unsupported') break;
      requests.push(req);
      singles.push(r);
      last = r.observation;
    }
    if (stepsOk && singles.length) {
      this.add('ok', `step ${m}`, `${singles.length} step(s) of ${scenario.id} (${[...new Set(requests.map((r) => r.op))].join(', ')}) answered valid StepResults`);
    }
    if (!this.alive) return;
    const after = await this.observe(spec, session, `observe ${m}`, singles.length ? singles[singles.length - 1]!.observation : start);
    if (!after) return;
    const closed = await this.close(session, `close ${m}`);
    if (!this.alive) return;

    // The same steps as one batch, in a session of its own, then requests it must refuse.
    const second = await this.open(scenario, `open ${m}`, false);
    if (typeof second !== 'string') return;
    if (requests.length) await this.checkBatch(spec, second, requests, singles);
    if (!this.alive) return;
    await this.checkRefused(spec, second, requests[0] ?? { op: firstOp(spec), args: {} });
    if (!this.alive) return;
    await this.close(second, `close ${m}`, false);
    if (closed && this.alive) {
      const a = await this.call('step', { session, step: requests[0] ?? { op: firstOp(spec), args: {} } });
      this.judgeRefusal(a, `closed session ${m}`, `a step on session ${json(session)} after its close`, ['invalid'], 'forget a session at close; answer requests naming it with kind invalid');
    }
  }

  private async observe(spec: MechanismSpec, session: string, label: string, expected?: Observation): Promise<Observation | null> {
    const a = await this.call('observe', { session });
    const fix = 'answer observe with {"observation": {...}}: every field of the mechanism\'s observation you can read';
    if (a.broken) return this.add('fail', label, a.broken, fix), null;
    if (a.error) return this.add('fail', label, `answered error ${json(a.error)}`, fix), null;
    const problems = check('ObserveResult', a.result);
    if (problems.length) return this.add('fail', label, `answered ${short(json(a.result))}: ${list(problems)}`, fix), null;
    const obs = (a.result as { observation: Observation }).observation;
    const bad = observationProblems(spec, obs);
    if (bad.length) return this.add('fail', label, `the observation breaks ${spec.name}'s schema: ${list(bad)}`, `report only ${spec.name}'s observation fields (${[...spec.observationFields].join(', ')}), with the types its schema gives`), obs;
    if (expected && !this.info!.kernel && json(sorted(obs)) !== json(sorted(expected))) {
      this.add('fail', label, `differs from the last step's observation: ${short(json(obs))} against ${short(json(expected))}`, 'observe must report the state as the last step left it');
      return obs;
    }
    if (!expected) {
      const missing = [...spec.observationFields].filter((f) => obs[f] === undefined && !internalOnly(spec, f, this.info!));
      if (missing.length) this.add('warn', label, `leaves out ${missing.join(', ')}: scenarios checking them fail`, 'report every field of the observation schema you can read');
      else this.add('ok', label, `reports ${Object.values(obs).filter((v) => v !== undefined).length} field(s) of ${spec.name}'s observation`);
    }
    return obs;
  }

  /** A step: its result, 'unsupported' (a known gap), or 'stop' (a finding was made). */
  private async step(spec: MechanismSpec, session: string, req: StepRequest, label: string): Promise<StepResult | 'unsupported' | 'stop'> {
    const a = await this.call('step', { session, step: req });
    const what = `${req.op} ${json(req.args)}`;
    const fix = 'answer step with a StepResult: {"ret": "ok"|"errno"|"signal", "errno"?: "E…", "signal"?: "SIG…", "si_code"?, "value"?, "observation": {...}}';
    if (a.broken) return this.add('fail', label, `${what}: ${a.broken}`, fix), 'stop';
    if (a.error) {
      if (a.error.data?.kind === 'unsupported') {
        this.add('warn', label, `${what} answered unsupported (${String(a.error.message)}): scenarios with this step are skipped`, 'implement the op to cover those scenarios');
        return 'unsupported';
      }
      return this.add('fail', label, `a valid step, ${what}, answered error ${short(json(a.error))}`, 'serve every op of the mechanism schema; answer unsupported for a known gap'), 'stop';
    }
    const problems = resultProblems(spec, a.result);
    if (problems.length) return this.add('fail', label, `${what} answered ${short(json(a.result))}: ${list(problems)}`, fix), 'stop';
    return a.result as StepResult;
  }

  private async checkBatch(spec: MechanismSpec, session: string, requests: StepRequest[], singles: StepResult[]): Promise<void> {
    const a = await this.call('steps', { session, steps: requests });
    const label = `steps ${spec.name}`;
    if (a.error?.code === -32601) {
      if (this.stepsMissing) return;
      this.stepsMissing = true;
      this.add('warn', 'steps', 'steps is missing: the runner falls back to step, which is slower', `implement 'steps' (a batch answered with {"results": [...]}, ${PROTOCOL_MD}), or keep -32601 and accept one request per step`);
      return;
    }
    const fix = 'answer steps with {"results": [StepResult, ...]}, one per step, in order, exactly as the steps one by one would';
    if (a.broken) return this.add('fail', label, a.broken, fix);
    if (a.error) return this.add('fail', label, `a batch of ${requests.length} valid step(s) answered error ${short(json(a.error))}`, fix);
    const bad = check('StepsResult', a.result);
    if (bad.length) return this.add('fail', label, `answered ${short(json(a.result))}: ${list(bad)}`, fix);
    const results = (a.result as { results: StepResult[] }).results;
    if (results.length !== requests.length) return this.add('fail', label, `answered ${results.length} results to a batch of ${requests.length} steps`, fix);
    const differ: string[] = [];
    for (const [i, r] of results.entries()) {
      const p = resultProblems(spec, r);
      if (p.length) differ.push(`result ${i}: ${list(p, 2)}`);
      else {
        const a1 = this.comparable(spec, singles[i]!);
        const b1 = this.comparable(spec, r);
        if (json(a1) !== json(b1)) differ.push(`step ${i} (${requests[i]!.op}): ${short(json(b1), 120)} in the batch, ${short(json(a1), 120)} one by one`);
      }
    }
    if (differ.length) return this.add('fail', label, `the batch differs from the same steps one by one: ${list(differ, 2)}`, fix);
    this.add('ok', label, `a batch of ${requests.length} step(s) answers as the steps one by one`);
  }

  /** What of a result must be the same in a batch as one by one: all of it for a model; a real kernel's machine-wide counters move. */
  private comparable(spec: MechanismSpec, r: StepResult): unknown {
    if (!this.info!.kernel) return sorted(r);
    const { observation, ...outcome } = r;
    const steady = Object.fromEntries(Object.entries(observation).filter(([k]) => !spec.machineWide.has(k) && !spec.machineDependent.has(k)));
    return sorted({ ...outcome, observation: steady });
  }

  /** Requests the implementation must refuse: an op its mechanism does not have, an argument its op does not take. */
  private async checkRefused(spec: MechanismSpec, session: string, valid: StepRequest): Promise<void> {
    const unknownOp = await this.call('step', { session, step: { op: NO_OP, args: {} } });
    this.judgeRefusal(unknownOp, `unknown op ${spec.name}`, `op '${NO_OP}' (no op of ${spec.name})`, ['invalid', 'unsupported'], "answer an op the mechanism's schema does not have with error kind 'invalid' (code -32602)");
    if (!this.alive) return;
    const badArg = await this.call('step', { session, step: { ...valid, args: { ...valid.args, [NO_ARG]: 1 } } });
    this.judgeRefusal(badArg, `bad arguments ${spec.name}`, `${valid.op} with an argument its schema does not have ('${NO_ARG}')`, ['invalid'], "check step arguments against the op's argument schema; answer kind 'invalid' naming the argument (/args/…)", 'warn');
  }

  /** An error answer of one of the kinds wanted. A result is a failure (or warn), another kind a warning. */
  private judgeRefusal(a: Answer, label: string, what: string, kinds: string[], fix: string, okVerdict: Verdict = 'fail'): void {
    if (a.broken) return this.add('fail', label, `${what}: ${a.broken}`, fix);
    if (!a.error) return this.add(okVerdict, label, `${what} answered a result, not an error: ${short(json(a.result))}`, fix);
    const kind = String(a.error.data?.kind);
    if (!kinds.includes(kind)) return this.add('warn', label, `${what} answered error kind '${kind}', not ${kinds.map((k) => `'${k}'`).join(' or ')}`, fix);
    this.add('ok', label, `${what} answered ${kind} (${short(String(a.error.message), 100)})`);
  }

  private async close(session: string, label: string, report = true): Promise<boolean> {
    const a = await this.call('close', { session });
    const fix = 'answer close with {} and forget the session';
    if (a.broken) return this.add('fail', label, a.broken, fix), false;
    if (a.error) return this.add('fail', label, `answered error ${json(a.error)}`, fix), false;
    const bad = check('CloseResult', a.result);
    if (bad.length) return this.add('fail', label, `answered ${short(json(a.result))}: ${list(bad)}`, fix), false;
    if (report) this.add('ok', label, 'answers {}');
    return true;
  }

  private async checkSessionErrors(): Promise<void> {
    const a = await this.call('observe', { session: NO_SESSION });
    this.judgeRefusal(a, 'unknown session', `observe of a session never opened (${json(NO_SESSION)})`, ['invalid'], "answer requests naming a session you do not have with error kind 'invalid' (code -32602)");
  }

  private async checkUnknownMethod(): Promise<void> {
    const a = await this.call(NO_METHOD, {});
    const fix = 'answer a method you do not have with code -32601 ("method not found"), kind invalid, and carry on';
    if (a.broken) return this.add('fail', 'unknown method', `'${NO_METHOD}': ${a.broken}`, fix);
    if (!a.error) return this.add('fail', 'unknown method', `'${NO_METHOD}' answered a result: ${short(json(a.result))}`, fix);
    if (a.error.code !== -32601) return this.add('warn', 'unknown method', `'${NO_METHOD}' answered code ${json(a.error.code)}, not -32601`, fix);
    this.add('ok', 'unknown method', `'${NO_METHOD}' answered -32601`);
  }

  private async checkParseError(): Promise<void> {
    const a = await this.exchange('this line is not JSON', 'a line that is not JSON', null);
    const fix = 'answer a line that is not JSON with {"id": null, "error": {"code": -32700, …, "data": {"kind": "invalid"}}} and carry on';
    if (a.broken) return this.add('warn', 'not JSON', a.broken, fix);
    if (!a.error || a.error.code !== -32700) return this.add('warn', 'not JSON', `answered ${short(json(a.error ?? a.result))}, not code -32700`, fix);
    this.add('ok', 'not JSON', 'a line that is not JSON answered -32700 with id null');
  }

  private summarizeWire(): void {
    const envFix = 'write one JSON-RPC 2.0 response per line: {"jsonrpc": "2.0", "id": <the request\'s>, "result": ...} or {..., "error": {"code", "message", "data": {"kind"}}}';
    if (this.envelopeProblems.length) this.add('fail', 'envelope', list(this.envelopeProblems, 2), envFix);
    else this.add('ok', 'envelope', `${this.replies} answers, every one a JSON-RPC 2.0 response`);
    if (this.idProblems.length) this.add('fail', 'ids', list(this.idProblems, 2), 'answer every request with the id it carries (ids are not consecutive)');
    else this.add('ok', 'ids', 'every answer carries its request\'s id');
    if (this.codeProblems.length) this.add('warn', 'error codes', list(this.codeProblems, 2), `use the codes of ${PROTOCOL_MD} (unsupported -32001, invalid -32602, internal -32603); the runner reads data.kind`);
  }
}

function firstOp(spec: MechanismSpec): string {
  return [...spec.ops.keys()][0] ?? NO_OP;
}

/** A StepResult's problems: the protocol's schema, errno/signal with their ret, the mechanism's observation. */
function resultProblems(spec: MechanismSpec, r: unknown): string[] {
  const p = check('StepResult', r);
  if (p.length) return p;
  const sr = r as StepResult;
  return [...stepResultProblems(sr), ...observationProblems(spec, sr.observation).map((x) => `observation${x}`)];
}

/** Fields the mechanism's observation schema does not have, and values of the wrong type. */
function observationProblems(spec: MechanismSpec, obs: Observation): string[] {
  const v = observationValidator(spec);
  if (v) {
    if (v(obs)) return [];
    return (v.errors ?? []).map((e) =>
      e.keyword === 'additionalProperties'
        ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}: not a field of ${spec.name}'s observation`
        : `${e.instancePath || '/'}: ${e.message}`,
    );
  }
  return Object.keys(obs).filter((k) => !hasObservationField(spec, k)).map((k) => `/${k}: not a field of ${spec.name}'s observation`);
}

const validators = new Map<string, ReturnType<typeof ajv.getSchema>>();
/** The mechanism schema's observation type, compiled (schemas are registered as mmspec:mechanisms/<name>). */
function observationValidator(spec: MechanismSpec) {
  if (!validators.has(spec.name)) {
    let v: ReturnType<typeof ajv.getSchema>;
    try {
      v = ajv.getSchema(`mmspec:mechanisms/${spec.name}#/properties/observation`);
    } catch {
      v = undefined;
    }
    validators.set(spec.name, v);
  }
  return validators.get(spec.name);
}

/** A field only the internal layer reads (its schema description says "Internal"): an abi-only implementation may leave it out. */
function internalOnly(spec: MechanismSpec, field: string, info: ImplementationInfo): boolean {
  if (info.layers.includes('internal')) return false;
  const v = observationValidator(spec);
  const schema = v?.schema as { $ref?: string } | undefined;
  let props: Record<string, { description?: string }> | undefined;
  try {
    const resolved = schema?.$ref ? ajv.getSchema(`mmspec:mechanisms/${spec.name}${schema.$ref}`)?.schema : schema;
    props = (resolved as { properties?: Record<string, { description?: string }> } | undefined)?.properties;
  } catch {
    props = undefined;
  }
  return /^internal\b/i.test(props?.[field]?.description ?? '');
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)]));
  return v;
}
