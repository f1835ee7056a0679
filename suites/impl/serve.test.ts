// mmspec serve checks every request before the oracle acts on it: the JSON-RPC envelope, the
// method, the params' shape, the config and each step's op and arguments against the
// mechanism's schema. Bad input is an error of kind invalid naming the JSON path, never a crash.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OracleImplementation } from '../../tools/impl/oracle.ts';
import { ImplError } from '../../tools/impl/types.ts';
import { EXAMPLE, MMSPEC, ROOT } from '../helpers.ts';

type Reply = { id: number | null; result?: Record<string, unknown>; error?: { code: number; message: string; data: { kind: string; detail?: { step: number; results: unknown[] } } } };

/** Sends lines to `mmspec serve` and returns its replies, one per line. */
function serve(lines: (string | object)[]): Reply[] {
  const input = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify({ jsonrpc: '2.0', ...l }))).join('\n');
  const r = spawnSync(process.execPath, [MMSPEC, 'serve'], { input: `${input}\n`, encoding: 'utf8', cwd: ROOT });
  expect(r.stderr).toBe('');
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Reply);
}

const open = { id: 1, method: 'open', params: { mechanism: EXAMPLE, config: {} } };
const step = (id: number, args: Record<string, unknown>, op = 'set_scale') => ({ id, method: 'step', params: { session: 's1', step: { op, args } } });

describe('mmspec serve checks step arguments against the mechanism schema', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a string for a number', { value: 'lots' }, /\/args\/value: must be integer/],
    ['a negative number where the schema wants >= 0', { value: -5 }, /\/args\/value: must be >= 0/],
    ['a fraction for an integer', { value: 1.5 }, /\/args\/value: must be integer/],
    ['a required argument missing', {}, /\/args\/value: is required but missing|\/args: must have required property 'value'/],
    ['an argument the op does not take', { value: 5, pages: 3 }, /\/args: unknown property 'pages'/],
    ['an expression the runner should have evaluated', { value: { expr: '1 + 1' } }, /\/args\/value: an expression/],
  ];
  const replies = serve([open, ...bad.map(([, args], i) => step(10 + i, args)), step(20, { value: 0 }), step(21, { value: 200 })]);

  for (const [i, [what, , message]] of bad.entries()) {
    it(`${what}: error kind invalid, code -32602, naming the path`, () => {
      const r = replies[1 + i]!;
      expect(r.id).toBe(10 + i);
      expect(r.result).toBeUndefined();
      expect(r.error?.code).toBe(-32602);
      expect(r.error?.data.kind).toBe('invalid');
      expect(r.error?.message).toMatch(message);
    });
  }

  it('a well-formed step the kernel refuses is a result (errno), not an error; a good one is ok', () => {
    expect(replies[1 + bad.length]).toMatchObject({ id: 20, result: { ret: 'errno', errno: 'EINVAL' } });
    expect(replies[2 + bad.length]).toMatchObject({ id: 21, result: { ret: 'ok', observation: { watermark_scale_factor: 200 } } });
  });

  it('refuses bad requests to the oracle in-process too (module: and explain use it so)', async () => {
    const oracle = new OracleImplementation();
    const opened = await oracle.open({ mechanism: EXAMPLE, config: {} });
    if (!('session' in opened)) throw new Error('the oracle skipped its own mechanism');
    const err = await oracle.step(opened.session, { op: 'set_scale', args: { value: 'lots' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImplError);
    expect((err as ImplError).kind).toBe('invalid');
    expect((err as ImplError).message).toContain('/args/value');
    expect((await oracle.step(opened.session, { op: 'set_scale', args: { value: 7 } })).observation).toEqual({ watermark_scale_factor: 7 });
  });
});

describe('mmspec serve answers malformed requests properly', () => {
  const replies = serve([
    'this is not json',
    '[1, 2]',
    { id: 2, method: 'launch', params: {} },
    { id: 3, method: 'step', params: { session: 's1' } },
    { id: 4, method: 'step', params: { session: 's1', step: { op: 'set_scale', args: {} }, extra: true } },
    { id: 5, method: 'step', params: { session: 'nope', step: { op: 'set_scale', args: { value: 5 } } } },
    open,
    step(6, {}, 'no_such_op'),
    { id: 7, method: 'steps', params: { session: 's1', steps: [{ op: 'set_scale', args: { value: 9 } }, { op: 'set_scale', args: { value: 'x' } }] } },
    { id: 8, method: 'observe', params: { session: 's1' } },
  ]);
  const [notJson, notObject, unknownMethod, missingStep, extraParam, noSession, opened, unknownOp, batch, observed] = replies;

  it('a line that is not JSON: -32700 with id null; not a request object: -32600', () => {
    expect(notJson).toMatchObject({ id: null, error: { code: -32700, data: { kind: 'invalid' } } });
    expect(notObject).toMatchObject({ id: null, error: { code: -32600, data: { kind: 'invalid' } } });
  });

  it('an unknown method: -32601 "method not found", with its id', () => {
    expect(unknownMethod).toMatchObject({ id: 2, error: { code: -32601, data: { kind: 'invalid' } } });
    expect(unknownMethod!.error!.message).toMatch(/method not found: 'launch'/);
  });

  it('params of the wrong shape: -32602 naming the path under /params', () => {
    expect(missingStep).toMatchObject({ id: 3, error: { code: -32602, data: { kind: 'invalid' } } });
    expect(missingStep!.error!.message).toMatch(/\/params\/?.*step/);
    expect(extraParam!.error!.message).toMatch(/\/params: unknown property 'extra'/);
  });

  it('an unknown session and an unknown op: invalid', () => {
    expect(noSession).toMatchObject({ id: 5, error: { code: -32602, data: { kind: 'invalid' } } });
    expect(opened).toMatchObject({ id: 1, result: { session: 's1' } });
    expect(unknownOp).toMatchObject({ id: 6, error: { code: -32602, data: { kind: 'invalid' } } });
    expect(unknownOp!.error!.message).toMatch(/\/op: 'no_such_op' is not an op of/);
  });

  it('a batch with a bad step fails whole, naming the step and the results before it', () => {
    expect(batch).toMatchObject({ id: 7, error: { code: -32602, data: { kind: 'invalid', detail: { step: 1 } } } });
    expect(batch!.error!.data.detail!.results).toEqual([{ ret: 'ok', observation: { watermark_scale_factor: 9 } }]);
    expect(batch!.error!.message).toMatch(/step 1 \(set_scale\).*\/args\/value/);
    // The steps before the bad one have run.
    expect(observed).toMatchObject({ id: 8, result: { observation: { watermark_scale_factor: 9 } } });
  });
});
