// The oracle as an implementation under test, like any other.
import { MECHANISMS } from '../../oracle/index.ts';
import type { MechanismModel, MechanismOracle } from '../../oracle/core/model.ts';
import { DEFAULT_MODEL_KERNEL, inRange, parseVersion } from '../../oracle/core/kernel.ts';
import { DOCUMENTED, forcedUnknown } from '../../oracle/core/switches.ts';
import { describeErrors } from '../spec/ajv.ts';
import { mechanisms } from '../spec/mechanisms.ts';
import { ImplError, type Implementation, type ImplementationInfo, type OpenOutcome, type OpenParams, type StepRequest, type StepResult } from './types.ts';

export interface OracleOptions {
  /** A name other than mmspec-oracle (a mutant's). */
  name?: string;
  /** Kernel behaviour switches forced on or off, whatever the release (mutants, experiments). */
  force?: Record<string, boolean>;
  /** Models made otherwise than the registry makes them, by mechanism (mutants: a model with one rule changed). */
  models?: Record<string, MechanismOracle['create']>;
}

export class OracleImplementation implements Implementation {
  private sessions = new Map<string, MechanismModel>();
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
    return [...(this.model(session).behaviour?.used ?? [])];
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
    this.sessions.set(session, create(p.config, { kernel, force: this.options.force }));
    return { session };
  }

  async step(session: string, step: StepRequest): Promise<StepResult> {
    const model = this.model(session);
    return { ...model.step(step), observation: model.observe() };
  }

  async steps(session: string, steps: StepRequest[]): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const s of steps) results.push(await this.step(session, s));
    return results;
  }

  async observe(session: string) {
    return this.model(session).observe();
  }

  async close(session: string): Promise<void> {
    this.sessions.delete(session);
  }

  private model(session: string): MechanismModel {
    const m = this.sessions.get(session);
    if (!m) throw new ImplError('invalid', `no session '${session}'`);
    return m;
  }
}
