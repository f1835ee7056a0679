// mmspec serve refuses malformed overcommit steps (mmap's arguments, from the real schema) with
// an error of kind invalid naming the JSON path, before the model sees them.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MMSPEC, ROOT } from '../helpers.ts';

type Reply = { id: number | null; result?: { ret?: string }; error?: { code: number; message: string; data: { kind: string } } };

describe('mmspec serve: bad mmap arguments', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['pages: "lots"', { as: 'a', pages: 'lots' }, /\/args\/pages: must be integer/],
    ['pages: -5', { as: 'a', pages: -5 }, /\/args\/pages: must be >= 0/],
    ['pages: 1.5', { as: 'a', pages: 1.5 }, /\/args\/pages: must be integer/],
    ['missing as', { pages: 16 }, /\/args\/as: is required but missing|\/args: must have required property 'as'/],
    ['prot: "rwx!"', { as: 'a', pages: 16, prot: 'rwx!' }, /\/args\/prot: must be one of \["rw","r","none"\]/],
    ['an unknown argument', { as: 'a', pages: 16, huge: true }, /\/args: unknown property 'huge'/],
  ];
  const lines = [
    { id: 1, method: 'open', params: { mechanism: 'overcommit', config: { overcommit_memory: 2 } } },
    ...cases.map(([, args], i) => ({ id: 10 + i, method: 'step', params: { session: 's1', step: { op: 'mmap', args } } })),
    { id: 20, method: 'step', params: { session: 's1', step: { op: 'mmap', args: { as: 'a', pages: 16 } } } },
  ].map((l) => JSON.stringify({ jsonrpc: '2.0', ...l }));
  const r = spawnSync(process.execPath, [MMSPEC, 'serve'], { input: `${lines.join('\n')}\n`, encoding: 'utf8', cwd: ROOT });
  const replies = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Reply);

  it('opens the session and answers every line', () => {
    expect(r.stderr).toBe('');
    expect(replies).toHaveLength(lines.length);
    expect(replies[0]).toMatchObject({ id: 1, result: { session: 's1' } });
  });

  for (const [i, [what, , message]] of cases.entries()) {
    it(`${what}: invalid (-32602), naming the path`, () => {
      const reply = replies[1 + i]!;
      expect(reply.id).toBe(10 + i);
      expect(reply.error).toMatchObject({ code: -32602, data: { kind: 'invalid' } });
      expect(reply.error!.message).toMatch(message);
    });
  }

  it('the refused requests changed nothing: a good mmap then succeeds and is charged', () => {
    expect(replies[1 + cases.length]).toMatchObject({ id: 20, result: { ret: 'ok', observation: { Committed_AS: 64 } } });
  });
});
