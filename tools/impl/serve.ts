// Serves an implementation over the line protocol on a pair of streams (mmspec serve).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { check, ERROR_CODES, PARAMS_SCHEMA } from './protocol.ts';
import { ImplError, stepByStep, type Implementation } from './types.ts';

const METHODS = Object.keys(PARAMS_SCHEMA);

/**
 * Answers each request line with one response line. Every request is checked before it reaches
 * the implementation: a line that is not JSON is -32700, a message that is no JSON-RPC 2.0
 * request -32600, an unknown method -32601, params of the wrong shape -32602 (all kind
 * invalid). The implementation checks the rest (the oracle: config and step arguments against
 * the mechanism's schema); what it throws is answered with its kind and code, and its detail
 * (a failed batch: {step, results}) goes along in error.data.detail.
 */
export async function serve(impl: Implementation, input: Readable, output: Writable): Promise<void> {
  const reply = (msg: object) => output.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  const error = (id: unknown, code: number, kind: string, message: string, detail?: unknown) =>
    reply({ id: Number.isInteger(id) ? id : null, error: { code, message, data: detail === undefined ? { kind } : { kind, detail } } });

  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let req: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    try {
      req = JSON.parse(line);
    } catch {
      error(null, -32700, 'invalid', 'parse error: not a JSON line');
      continue;
    }
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      error(null, -32600, 'invalid', 'invalid request: not a JSON-RPC 2.0 request object');
      continue;
    }
    if (typeof req.method === 'string' && !METHODS.includes(req.method) && Number.isInteger(req.id)) {
      error(req.id, -32601, 'invalid', `method not found: '${req.method}' (methods: ${METHODS.join(', ')})`);
      continue;
    }
    const problems = check('Request', req);
    if (problems.length) {
      error(req.id, -32600, 'invalid', `invalid request: ${problems.join('; ')}`);
      continue;
    }
    const method = req.method as string;
    const params = req.params!;
    const bad = check(PARAMS_SCHEMA[method]!, params);
    if (bad.length) {
      error(req.id, ERROR_CODES.invalid, 'invalid', `invalid params for ${method}: ${bad.map((b) => `/params${b.replace(/^\/(?=:)/, '')}`).join('; ')}`);
      continue;
    }
    try {
      reply({ id: req.id, result: await dispatch(impl, method, params) });
    } catch (e) {
      if (e instanceof ImplError) error(req.id, ERROR_CODES[e.kind], e.kind, e.message, e.detail);
      else error(req.id, ERROR_CODES.internal, 'internal', (e as Error).message);
    }
  }
}

async function dispatch(impl: Implementation, method: string, p: Record<string, any>): Promise<unknown> {
  switch (method) {
    case 'hello':
      return { protocol: 1, implementation: await impl.describe() };
    case 'open':
      return impl.open(p as never);
    case 'step':
      return impl.step(p.session, p.step);
    case 'steps': {
      const results = impl.steps ? await impl.steps(p.session, p.steps) : await stepByStep(p.steps, (s) => impl.step(p.session, s), true);
      return { results };
    }
    case 'observe':
      return { observation: await impl.observe(p.session) };
    default:
      await impl.close(p.session);
      return {};
  }
}
