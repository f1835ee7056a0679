// Serves an implementation over the line protocol on a pair of streams (mmspec serve).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { check, ERROR_CODES, PARAMS_SCHEMA } from './protocol.ts';
import { ImplError, type Implementation } from './types.ts';

export async function serve(impl: Implementation, input: Readable, output: Writable): Promise<void> {
  const reply = (msg: object) => output.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  const error = (id: unknown, code: number, kind: string, message: string) =>
    reply({ id: typeof id === 'number' ? id : null, error: { code, message, data: { kind } } });

  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let req: { id?: unknown; method?: string; params?: Record<string, unknown> };
    try {
      req = JSON.parse(line);
    } catch {
      error(null, -32700, 'invalid', 'parse error: not a JSON line');
      continue;
    }
    const problems = check('Request', req);
    if (problems.length) {
      error(req.id, -32600, 'invalid', `invalid request: ${problems.join('; ')}`);
      continue;
    }
    const method = req.method!;
    const params = req.params!;
    const bad = check(PARAMS_SCHEMA[method]!, params);
    if (bad.length) {
      error(req.id, ERROR_CODES.invalid, 'invalid', `invalid params for ${method}: ${bad.join('; ')}`);
      continue;
    }
    try {
      reply({ id: req.id, result: await dispatch(impl, method, params) });
    } catch (e) {
      if (e instanceof ImplError) error(req.id, ERROR_CODES[e.kind], e.kind, e.message);
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
      const results = impl.steps ? await impl.steps(p.session, p.steps) : await sequential(impl, p.session, p.steps);
      return { results };
    }
    case 'observe':
      return { observation: await impl.observe(p.session) };
    default:
      await impl.close(p.session);
      return {};
  }
}

async function sequential(impl: Implementation, session: string, steps: never[]) {
  const out = [];
  for (const s of steps) out.push(await impl.step(session, s));
  return out;
}
