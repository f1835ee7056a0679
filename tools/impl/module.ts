// module:PATH — a JS/TS module whose default export is an Implementation, a class of one,
// or a function returning one (a named export `createImplementation` works too).
//
// The module runs in this process, so it is held to the same contract as a program over the
// line protocol: what it throws (other than ImplError) or answers in the wrong shape fails the
// scenario in progress, with the step that led there, and the run goes on.
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { UserError } from '../cli/errors.ts';
import { importFile } from '../../oracle/core/import-file.ts';
import { projectRoot } from '../paths.ts';
import { check, stepResultProblems } from './protocol.ts';
import {
  ImplError, ImplFailure, stepByStep, type Implementation, type ImplementationInfo, type Observation, type OpenOutcome,
  type OpenParams, type StepRequest, type StepResult,
} from './types.ts';

const METHODS = ['describe', 'open', 'step', 'observe', 'close'] as const;
const LOADABLE = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

export async function loadModuleImplementation(path: string): Promise<Implementation> {
  if (!path.trim()) throw new UserError('module: needs a path to a JS or TS module, e.g. --impl module:./my-impl.ts');
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError(`module implementation not found: ${file}`);
  if (!statSync(file).isFile()) throw new UserError(`module implementation ${file} is not a file`);
  if (!LOADABLE.includes(extname(file))) throw new UserError(`module implementation ${path} is not a JS or TS module (${LOADABLE.join(', ')})`);
  let mod: Record<string, unknown>;
  try {
    mod = (await importFile(file)) as Record<string, unknown>;
  } catch (e) {
    // A transform (syntax) error says where on its following lines; keep those, not a stack.
    const text = e instanceof Error && e.name === 'TransformError' ? e.message.split('\n').filter((l) => l.trim()).slice(0, 4).join('\n  ') : firstLine(e);
    throw new UserError(`cannot load module implementation ${path}: ${text}`);
  }
  const exported = mod.createImplementation ?? mod.default;
  let impl: unknown = exported;
  try {
    if (typeof exported === 'function') {
      const isClass = /^class[\s{]/.test(Function.prototype.toString.call(exported));
      impl = isClass ? new (exported as new () => unknown)() : await (exported as () => unknown)();
    }
  } catch (e) {
    throw new UserError(`module implementation ${path}: making the implementation threw: ${firstLine(e)}`);
  }
  const missing = METHODS.filter((m) => typeof (impl as Record<string, unknown> | null)?.[m] !== 'function');
  if (missing.length) {
    throw new UserError(`${path} does not export an implementation: missing ${missing.join(', ')} (see README, "Plugging in an implementation")`);
  }
  return new CheckedModule(impl as Implementation, path);
}

const firstLine = (e: unknown) => (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)).split('\n')[0]!;

/** A module implementation held to the protocol's contract. */
class CheckedModule implements Implementation {
  constructor(
    private readonly impl: Implementation,
    private readonly label: string,
  ) {}

  /** Calls a method: an ImplError passes, anything else thrown is the module's failure. */
  private async call<T>(method: string, f: () => Promise<T> | T): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof ImplError) throw e;
      // An ImplError made by another copy of the class (the module bundles its own) still counts.
      const k = (e as { kind?: unknown; name?: unknown })?.kind;
      if ((e as { name?: unknown })?.name === 'ImplError' && (k === 'unsupported' || k === 'invalid' || k === 'internal')) {
        throw new ImplError(k, (e as Error).message);
      }
      throw new ImplFailure(`${this.label}: ${method}() threw ${firstLine(e)}`, e instanceof Error ? moduleFrames(e.stack ?? '') : '');
    }
  }

  private bad(method: string, problems: string[]): never {
    throw new ImplFailure(`${this.label}: ${method}() answered in the wrong shape: ${problems.join('; ')}`);
  }

  async describe(): Promise<ImplementationInfo> {
    const info = await this.call('describe', () => this.impl.describe());
    const problems = check('ImplementationInfo', info);
    if (problems.length) throw new UserError(`${this.label}: describe() answered in the wrong shape: ${problems.join('; ')}`);
    return info;
  }

  async open(p: OpenParams): Promise<OpenOutcome> {
    const r = await this.call('open', () => this.impl.open(p));
    const problems = check('OpenResult', r);
    if (problems.length) this.bad('open', problems);
    return r;
  }

  async step(session: string, step: StepRequest): Promise<StepResult> {
    const r = await this.call('step', () => this.impl.step(session, step));
    const problems = check('StepResult', r);
    if (!problems.length) problems.push(...stepResultProblems(r));
    if (problems.length) this.bad('step', problems);
    return r;
  }

  /** Step by step, so that a step that fails is named, with what the steps before it answered. */
  async steps(session: string, steps: StepRequest[]): Promise<StepResult[]> {
    return stepByStep(steps, (s) => this.step(session, s));
  }

  async observe(session: string): Promise<Observation> {
    const r = await this.call('observe', () => this.impl.observe(session));
    const problems = check('Observation', r);
    if (problems.length) this.bad('observe', problems);
    return r;
  }

  async close(session: string): Promise<void> {
    await this.call('close', () => this.impl.close(session));
  }

  async dispose(): Promise<void> {
    await this.call('dispose', () => this.impl.dispose?.());
  }

  async switchesUsed(session: string): Promise<string[]> {
    return this.impl.switchesUsed ? this.call('switchesUsed', () => this.impl.switchesUsed!(session)) : [];
  }
}

/** A stack as the module's author needs it: its frames up to where the runner called it. */
function moduleFrames(stack: string): string {
  const lines = stack.split('\n');
  const runner = lines.findIndex((l) => /^\s+at /.test(l) && RUNNER_FRAME.test(l));
  return (runner < 0 ? lines : lines.slice(0, runner)).join('\n');
}

/** A frame of this project's runner (sources or compiled), not of the module under test. */
const RUNNER_FRAME = new RegExp(`${projectRoot().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(dist/)?tools/`);
