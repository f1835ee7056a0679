// The probe's generic hooks for a mechanism's own fields of each session process
// (proc_observe) and for undoing what a session left in the kernel (end), on a made-up
// mechanism in a root of its own: the relay adds every live process's fields to each
// observation, forked children's included, and calls end once the processes are gone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { buildProbe } from '../../tools/probe/build.ts';
import { which } from '../../tools/core/host.ts';
import { tempDir } from '../helpers.ts';

const OPS = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "probe.h"

static char text[256];
static int frob_open(const jval *cfg, sbuf *res, rpc_err *e) {
  (void)cfg;
  if (relay_spawn("{}", e)) return -1;
  return relay_open_session(res);
}
static void frob_observe(sbuf *b, int *first) { obs_put(b, "frob_total", 7, first); }
static int frob_op(const char *op, const jval *args, step_res *r) {
  (void)args, (void)r;
  return !strcmp(op, "noop");
}
static const char *frob_proc_observe(const char *proc, size_t *len) {
  int n = snprintf(text, sizeof text, "\\"%s.frob_maps\\":%d,\\"%s.frob_name\\":\\"%s\\"", proc, (int)strlen(proc), proc, proc);
  *len = (size_t)n;
  return text;
}
static void frob_end(void) {
  const char *f = getenv("FROB_END_FILE");
  int fd = f ? open(f, O_WRONLY | O_CREAT | O_APPEND, 0600) : -1;
  if (fd >= 0) {
    write(fd, "end\\n", 4);
    close(fd);
  }
}
const probe_mechanism frob_mechanism = {.name = "frob", .open = frob_open, .observe = frob_observe, .op = frob_op,
                                        .end = frob_end, .proc_observe = frob_proc_observe};
`;

describe('probe hooks of a mechanism', () => {
  it.skipIf(!which('cc') && !which('gcc'))('report each live process\'s own fields, and end the session through the mechanism', async () => {
    const root = tempDir('mmspec-frob-');
    mkdirSync(join(root, 'tools/probe/frob'), { recursive: true });
    writeFileSync(join(root, 'tools/probe/frob/ops.c'), OPS);
    writeFileSync(join(root, 'tools/probe/frob/mechanism.json'), JSON.stringify({ mechanism: 'frob', uses: [], knobs: [], mounts: [], kernel_config: [] }));
    const prev = process.env.MMSPEC_MECHANISMS;
    process.env.MMSPEC_MECHANISMS = [prev, root].filter(Boolean).join(':');
    let probe: string;
    try {
      probe = await buildProbe();
    } finally {
      if (prev === undefined) delete process.env.MMSPEC_MECHANISMS;
      else process.env.MMSPEC_MECHANISMS = prev;
    }
    const endFile = join(root, 'ended');
    const child = spawn(probe, [], { env: { ...process.env, FROB_END_FILE: endFile }, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    let id = 0;
    const call = async (method: string, params: object) => {
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params })}\n`);
      const reply = JSON.parse((await lines.next()).value as string) as { result?: Record<string, unknown>; error?: unknown };
      expect(reply.error).toBeUndefined();
      return reply.result!;
    };
    try {
      const { session } = (await call('open', { mechanism: 'frob', config: {} })) as { session: string };
      const obs = (r: Record<string, unknown>) => r.observation as Record<string, unknown>;
      expect(obs(await call('observe', { session }))).toEqual({ frob_total: 7, 'main.frob_maps': 4, 'main.frob_name': 'main' });
      await call('step', { session, step: { op: 'fork', args: { as: 'kid' } } });
      const both = obs(await call('step', { session, step: { op: 'noop', args: {} } }));
      expect(both).toEqual({ frob_total: 7, 'main.frob_maps': 4, 'main.frob_name': 'main', 'kid.frob_maps': 3, 'kid.frob_name': 'kid' });
      await call('step', { session, step: { op: 'exit', args: {}, proc: 'kid' } });
      expect(Object.keys(obs(await call('observe', { session })))).toEqual(['frob_total', 'main.frob_maps', 'main.frob_name']);
      expect(existsSync(endFile)).toBe(false);
      await call('close', { session });
      expect(readFileSync(endFile, 'utf8')).toBe('end\n');
    } finally {
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    }
    // Closed once, ended once: the end of input after close owes nothing more.
    expect(readFileSync(endFile, 'utf8')).toBe('end\n');
  });
});
