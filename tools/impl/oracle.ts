// The oracle as an implementation under test, like any other.
import { MECHANISMS } from '../../oracle/index.ts';
import type { MechanismModel, MechanismOracle } from '../../oracle/core/model.ts';
import { DEFAULT_MODEL_KERNEL, inRange, parseVersion } from '../../oracle/core/kernel.ts';
import { DOCUMENTED, forcedUnknown } from '../../oracle/core/switches.ts';
import { isExpr } from '../core/expr.ts';
import { describeErrors, type ErrorObject } from '../spec/ajv.ts';
import { mechanisms, type MechanismSpec } from '../spec/mechanisms.ts';
import { ImplError, stepByStep, type Implementation, type ImplementationInfo, type OpenOutcome, type OpenParams, type StepRequest, type StepResult } from './types.ts';

export interface OracleOptions {
  /** A name other than mmspec-oracle (a mutant's). */
  name?: string;
  /** Kernel behaviour switches forced on or off, whatever the release (mutants, experiments). */
  force?: Record<string, boolean>;
  /** Models made otherwise than the registry makes them, by mechanism (mutants: a model with one rule changed). */
  models?: Record<string, MechanismOracle['create']>;
}

export class OracleImplementation implements Implementation {
  private sessions = new Map<string, { model: MechanismModel; spec: MechanismSpec }>();
  private nextId = 1;

  constructor(private readonly options: OracleOptions = {}) {
    const unknown = forcedUnknown(options.force, Object.values(MECHANISMS).flatMap((m) => m.switches ?? []));
    if (unknown.length) throw new Error(`no kernel behaviour switch named ${unknown.map((n) => `'${n}'`).join(', ')}`);
  }

  async describe(): Promise<ImplementationInfo> {
    return { name: this.options.name ?? 'mmspec-oracle', version: '0.1.0', mechanisms: Object.keys(MECHANISMS), layers: ['abi', 'internal'], kernel: null };
  }

  /** The kernel behaviour switches that shaped the session's results so far. */
  async switchesUsed(session: string): Promise<string[]> {
    return [...(this.session(session).model.behaviour?.used ?? [])];
  }

  async open(p: OpenParams): Promise<OpenOutcome> {
    const oracle = MECHANISMS[p.mechanism];
    const spec = mechanisms().get(p.mechanism);
    if (!oracle || !spec) throw new ImplError('unsupported', `the oracle has no model of '${p.mechanism}'`);
    if (!spec.validateConfig(p.config)) {
      throw new ImplError('invalid', `bad ${p.mechanism} config: ${describeErrors(spec.validateConfig.errors, '/config').join('; ')}`);
    }
    const kernel = p.kernel ?? DEFAULT_MODEL_KERNEL;
    if (kernel !== DOCUMENTED && !parseVersion(kernel)) throw new ImplError('invalid', `'${kernel}' is not a kernel release (e.g. 6.18, 6.12.117) nor '${DOCUMENTED}'`);
    if (!inRange(kernel, oracle.kernels)) return { skip: `the oracle models ${p.mechanism} for kernels ${oracle.kernels}, not ${kernel}` };
    const session = `s${this.nextId++}`;
    const create = this.options.models?.[p.mechanism] ?? oracle.create;
    this.sessions.set(session, { model: create(p.config, { kernel, force: this.options.force }), spec });
    return { session };
  }

  /** Checks the request against the mechanism's schema (concrete values: the runner has evaluated expressions), then steps. */
  async step(session: string, step: StepRequest): Promise<StepResult> {
    const { model, spec } = this.session(session);
    const problems = stepProblems(spec, step);
    if (problems.length) throw new ImplError('invalid', `bad ${spec.name} step: ${problems.join('; ')}`);
    return { ...model.step(step), observation: model.observe() };
  }

  /** In order; a step that cannot be served fails the batch, naming it and what the steps before it answered. */
  async steps(session: string, steps: StepRequest[]): Promise<StepResult[]> {
    return stepByStep(steps, (s) => this.step(session, s), true);
  }

  async observe(session: string) {
    return this.session(session).model.observe();
  }

  async close(session: string): Promise<void> {
    this.sessions.delete(session);
  }

  private session(session: string): { model: MechanismModel; spec: MechanismSpec } {
    const m = this.sessions.get(session);
    if (!m) throw new ImplError('invalid', `no session '${session}'`);
    return m;
  }
}

/**
 * What is wrong with a step request for a mechanism, as "JSON/PATH: problem" lines ([] when it
 * is well formed): an op the mechanism's schema has, and arguments its argument schema takes as
 * concrete values. Expressions ({"expr": ...}) are the tables' business: the runner evaluates
 * them before a step reaches an implementation, so here one is a mistake.
 */
export function stepProblems(spec: MechanismSpec, step: StepRequest): string[] {
  const op = spec.ops.get(step.op);
  if (!op) return [`/op: '${step.op}' is not an op of ${spec.name} (its ops: ${[...spec.ops.keys()].join(', ')})`];
  if (step.args === null || typeof step.args !== 'object' || Array.isArray(step.args)) return ['/args: must be an object'];
  const exprs: string[] = [];
  for (const [k, v] of Object.entries(step.args)) {
    if (isExpr(v)) exprs.push(`/args/${k}: an expression; the runner evaluates expressions and sends their values`);
  }
  if (exprs.length) return exprs;
  if (op.validateArgs(step.args)) return [];
  const errors = op.validateArgs.errors ?? [];
  const concrete = describeErrors(errors.filter((e) => !intoExpr(e)), '/args');
  return concrete.length ? concrete : describeErrors(errors, '/args');
}

/** An error from a schema's expression alternative (a value in a table may be {"expr": ...}): moot for concrete values. */
function intoExpr(e: ErrorObject): boolean {
  const parent = e.parentSchema as { required?: unknown } | undefined;
  return /\/Expr\//.test(e.schemaPath) || (Array.isArray(parent?.required) && parent.required.includes('expr'));
}
