// Small arithmetic expressions over an observation, used in expected values and step
// arguments whose numbers depend on the machine: "floor((CommitLimit - Committed_AS)/4) + 1".
// Grammar: sum := product (('+'|'-') product)*; product := unary (('*'|'/') unary)*;
// unary := '-' unary | atom; atom := number | name ('.' name)* | fn '(' sum (',' sum)* ')' | '(' sum ')'.

import type { StepRequest } from '../../spec/types/protocol.ts';

export type Scope = Record<string, unknown>;

/** A value given as an expression: {"expr": "..."} (a step's argument, an expected value). */
export const isExpr = (v: unknown): v is { expr: string } => v !== null && typeof v === 'object' && 'expr' in v;

/**
 * A step as an implementation gets it: expressions evaluated, no table-only fields. The scope
 * (the latest observation, and the start) is made only for a step that reads it.
 */
export function concreteStep(st: { op: string; args?: Record<string, unknown>; proc?: string }, scope: () => Scope): StepRequest {
  const args: Record<string, unknown> = {};
  let values: Scope | undefined;
  for (const [k, v] of Object.entries(st.args ?? {})) args[k] = isExpr(v) ? evaluate(String(v.expr), (values ??= scope())) : v;
  return st.proc ? { op: st.op, args, proc: st.proc } : { op: st.op, args };
}

const FUNCTIONS: Record<string, (...xs: number[]) => number> = {
  floor: Math.floor,
  ceil: Math.ceil,
  min: Math.min,
  max: Math.max,
};

export class ExprError extends Error {}

type Token = { kind: 'num'; value: number } | { kind: 'name'; value: string } | { kind: 'sym'; value: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|([-+*/(),]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new ExprError(`unexpected '${src.slice(pos).trim()[0]}' at column ${pos + 1} in '${src}'`);
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', value: m[2] });
    else tokens.push({ kind: 'sym', value: m[3]! });
    pos = re.lastIndex;
  }
  return tokens;
}

/** Evaluates an expression; names are looked up in scope (dotted names walk nested objects). */
export function evaluate(src: string, scope: Scope): number {
  return run(src, scope, null);
}

/** Parses an expression without values and returns the names it reads (for validating tables). */
export function namesIn(src: string): string[] {
  const names: string[] = [];
  run(src, {}, names);
  return names;
}

function run(src: string, scope: Scope, collect: string[] | null): number {
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i];
  const take = (sym?: string): Token => {
    const t = tokens[i];
    if (!t || (sym !== undefined && (t.kind !== 'sym' || t.value !== sym)))
      throw new ExprError(`expected ${sym ? `'${sym}'` : 'more'} in '${src}'`);
    i++;
    return t;
  };
  const isSym = (s: string) => peek()?.kind === 'sym' && peek()!.value === s;

  function lookup(name: string): number {
    if (collect) {
      collect.push(name);
      return 1;
    }
    let v: unknown = scope;
    for (const part of name.split('.')) v = v !== null && typeof v === 'object' ? (v as Scope)[part] : undefined;
    if (typeof v !== 'number') {
      const known = Object.keys(scope).filter((k) => typeof scope[k] === 'number').join(', ');
      throw new ExprError(`unknown name '${name}' in '${src}' (known: ${known || 'none'})`);
    }
    return v;
  }
  function atom(): number {
    const t = take();
    if (t.kind === 'num') return t.value;
    if (t.kind === 'name') {
      if (isSym('(')) {
        const fn = FUNCTIONS[t.value];
        if (!fn) throw new ExprError(`unknown function '${t.value}' in '${src}'`);
        take('(');
        const args = [sum()];
        while (isSym(',')) {
          take(',');
          args.push(sum());
        }
        take(')');
        return fn(...args);
      }
      return lookup(t.value);
    }
    if (t.value === '(') {
      const v = sum();
      take(')');
      return v;
    }
    throw new ExprError(`unexpected '${t.value}' in '${src}'`);
  }
  function unary(): number {
    if (isSym('-')) {
      take('-');
      return -unary();
    }
    return atom();
  }
  function product(): number {
    let v = unary();
    while (isSym('*') || isSym('/')) {
      const op = take().value;
      const r = unary();
      if (op === '/' && r === 0) throw new ExprError(`division by zero in '${src}'`);
      v = op === '*' ? v * r : v / r;
    }
    return v;
  }
  function sum(): number {
    let v = product();
    while (isSym('+') || isSym('-')) {
      const op = take().value;
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  }
  const value = sum();
  if (i < tokens.length) throw new ExprError(`unexpected '${String(tokens[i]!.value)}' in '${src}'`);
  return value;
}

