// Compares one step's result with what the scenario expects: only the named fields,
// with deltas taken from the scenario's start and expressions evaluated on the result.
import { createRequire } from 'node:module';
import { evaluate, isExpr } from '../core/expr.ts';
import type { Observation, StepResult } from '../impl/types.ts';
import type { Step } from '../spec/tables.ts';

type Expect = NonNullable<Step['expect']>;

// The diff library's patch maker, loaded on the first diff: a run where every step matches
// does without it (and the module alone loads in a third of the whole library's time).
const require = createRequire(import.meta.url);
let diffLib: Pick<typeof import('diff'), 'createTwoFilesPatch'> | undefined;
const diffLibrary = () => (diffLib ??= require('diff/lib/patch/create.js') as Pick<typeof import('diff'), 'createTwoFilesPatch'>);

export interface Comparison {
  ok: boolean;
  expected: Record<string, unknown>;
  observed: Record<string, unknown>;
}

export function compareStep(expect: Expect | undefined, result: StepResult, start: Observation): Comparison {
  const expected: Record<string, unknown> = {};
  const observed: Record<string, unknown> = {};
  let ok = true;
  const field = (name: string, want: unknown, got: unknown) => {
    expected[name] = want;
    observed[name] = got === undefined ? '(absent)' : got;
    if (want !== got) ok = false;
  };

  const e = expect ?? {};
  const ret = e.ret ?? (e.errno ? 'errno' : e.signal ? 'signal' : 'ok');
  if (ret !== 'any') field('ret', ret, result.ret);
  if (e.errno !== undefined) field('errno', e.errno, result.errno);
  else if (result.ret === 'errno' && ret !== 'any') field('errno', '(none)', result.errno);
  if (e.signal !== undefined) field('signal', e.signal, result.signal);
  else if (result.ret === 'signal' && ret !== 'any') field('signal', '(none)', result.signal);
  if (e.si_code !== undefined) field('si_code', e.si_code, result.si_code);
  if (e.value !== undefined) field('value', e.value, result.value);

  const obs = result.observation;
  for (const [name, want] of Object.entries(e.observe ?? {})) {
    const got = obs[name];
    if (want !== null && typeof want === 'object' && 'delta' in want) {
      const base = start[name];
      const delta = typeof got === 'number' && typeof base === 'number' ? got - base : undefined;
      field(`${name} (delta)`, want.delta, delta);
    } else if (isExpr(want)) {
      field(name, evaluate(want.expr, { ...obs, start }), got);
    } else {
      field(name, want, got);
    }
  }
  return { ok, expected, observed };
}

/** A unified diff of expected vs observed, the named fields only. */
export function diffText(c: Comparison, header: string): string {
  const fmt = (o: Record<string, unknown>) => `${JSON.stringify(o, null, 2)}\n`;
  return diffLibrary().createTwoFilesPatch('expected', 'observed', fmt(c.expected), fmt(c.observed), header, '', { context: 20 })
    .split('\n')
    .slice(1) // drop the "Index:"/"=====" banner
    .filter((l) => !/^=+$/.test(l))
    .join('\n')
    .trimEnd();
}
