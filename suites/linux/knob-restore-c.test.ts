// The probe's own restore of the knobs (tools/probe/kutil.c knobs_restore, run when a session
// ends, from a signal handler too) on stand-in knob files: the same order as the host guard's —
// a knob's `first` value before its group is put back and its saved value last, the pairs that
// zero each other with the non-zero one last, a knob missing on this kernel left alone.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { which } from '../../tools/core/host.ts';
import { PROBE_SOURCE_DIR } from '../../tools/probe/build.ts';
import { tempDir } from '../helpers.ts';

const cc = which('cc') ?? which('gcc');

/** Knobs: [name, first, optional, group, zeroes]. */
const KNOBS: [string, string, number, number, string | null][] = [
  ['frob_run', '2', 1, 0, null],
  ['frob_limit', '', 1, 0, null],
  ['frob_gone', '', 1, 0, null],
  ['quux_ratio', '', 0, 1, 'quux_bytes'],
  ['quux_bytes', '', 0, 1, 'quux_ratio'],
];

const HARNESS = `
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "probe.h"
ssize_t __real_write(int fd, const void *buf, size_t n);
/* Every write the restore makes, logged as name=value in order. */
ssize_t __wrap_write(int fd, const void *buf, size_t n) {
  char link[64], path[512];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t k = readlink(link, path, sizeof path - 1);
  path[k > 0 ? k : 0] = 0;
  const char *base = strrchr(path, '/');
  fprintf(stderr, "%s=%.*s\\n", base ? base + 1 : path, (int)n, (const char *)buf);
  return __real_write(fd, buf, n);
}
int main(int argc, char **argv) {
  static char saved[MAX_KNOBS][KNOB_LEN];
  for (int i = 1; i < argc && i <= MAX_KNOBS; i++) snprintf(saved[i - 1], KNOB_LEN, "%s", argv[i]);
  knobs_restore(saved);
  return 0;
}
`;

describe("the probe's restore of the knobs", () => {
  it.skipIf(!cc)('writes a `first` value before its group, its own value last, and leaves a missing knob alone', () => {
    const dir = tempDir('mmspec-knobrestore-');
    const reg = [
      '#include "probe.h"',
      'const probe_mechanism *const probe_mechanisms[] = {NULL};',
      `const knob probe_knobs[] = {${KNOBS.map(([n, , , , z]) => `{"${n}", "${join(dir, n)}", ${z ? `"${z}"` : 'NULL'}}`).join(', ')}, {NULL, NULL, NULL}};`,
      `const knob_more probe_knob_more[] = {${KNOBS.map(([, f, o, g]) => `{"${f}", ${o}, ${g}}`).join(', ')}, {"", 0, -1}};`,
      'const char *const probe_fstypes[] = {NULL};',
      'const char *const probe_kconfig[] = {NULL};',
    ].join('\n');
    writeFileSync(join(dir, 'reg.c'), reg);
    writeFileSync(join(dir, 'main.c'), HARNESS);
    const bin = join(dir, 'restore');
    const build = spawnSync(cc!, ['-O2', '-std=gnu11', `-I${PROBE_SOURCE_DIR}`, '-Wl,--wrap=write', '-o', bin, join(dir, 'main.c'), join(dir, 'reg.c'), join(PROBE_SOURCE_DIR, 'kutil.c'), join(PROBE_SOURCE_DIR, 'json.c')], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const files = (values: Record<string, string>) => {
      for (const [k, v] of Object.entries(values)) writeFileSync(join(dir, k), `${v}\n`);
    };
    const restore = (saved: string[]) => {
      const r = spawnSync(bin, saved, { encoding: 'utf8' });
      expect(r.status).toBe(0);
      return r.stderr.split('\n').filter(Boolean);
    };
    const read = (k: string) => readFileSync(join(dir, k), 'utf8').trim();

    // Saved: run 0, limit 256; frob_gone absent on this kernel (saved as ""); quux_ratio 50, quux_bytes 0.
    const saved = ['0', '256', '', '50', '0'];
    files({ frob_run: '0', frob_limit: '256', quux_ratio: '50', quux_bytes: '0' });
    expect(restore(saved)).toEqual([]); // nothing differs: nothing written, not even run=2

    files({ frob_run: '1', frob_limit: '512' });
    expect(restore(saved)).toEqual(['frob_run=2', 'frob_limit=256', 'frob_run=0']);
    expect([read('frob_run'), read('frob_limit')]).toEqual(['0', '256']);

    // Another group's change does not write frob's `first` value; the non-zero one of a pair goes last.
    files({ quux_ratio: '0', quux_bytes: '4096' });
    expect(restore(saved)).toEqual(['quux_bytes=0', 'quux_ratio=50']);
  });
});
