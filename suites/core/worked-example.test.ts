// The worked example of README "Adding a mechanism": a mechanism that lives entirely in its own
// root (schema, table, model, generator, probe ops and knob) joins every part of mmspec through
// MMSPEC_MECHANISMS alone, and runs end to end on the oracle, the fuzzer and (opt-in) the host.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, EXAMPLE, EXAMPLE_ROOT, ROOT } from '../helpers.ts';

const without = { MMSPEC_MECHANISMS: '' };
const hostOptIn = process.getuid?.() === 0 && process.env.MMSPEC_ALLOW_HOST_CHANGES === '1';
const scaleFactor = () => readFileSync('/proc/sys/vm/watermark_scale_factor', 'utf8').trim();

describe('the worked example', () => {
  it('is only its own folders: every file of it lies under its root', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', EXAMPLE_ROOT], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    const parts = ['spec/mechanisms/', 'spec/tables/', 'oracle/', 'tools/probe/'].map((p) => files.some((f) => f.includes(`/${p}${EXAMPLE}/`)));
    expect(parts).toEqual([true, true, true, true]);
  });

  it('is unknown without its root and known with it', () => {
    expect(cli(['list', '--mechanism', EXAMPLE], { env: without })).toMatchObject({ code: 2, stderr: expect.stringContaining(`unknown mechanism '${EXAMPLE}'`) });
    const listed = cli(['list', '--mechanism', EXAMPLE, '--json']);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { id: string; mechanism: string }[];
    expect(rows.map((r) => r.id)).toContain(`${EXAMPLE}.scale.set-and-read-back`);
    expect(rows.every((r) => r.mechanism === EXAMPLE)).toBe(true);
  });

  it('passes its table on the oracle', () => {
    const r = cli(['run', '--mechanism', EXAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^3 passed, 0 failed, 0 flaky, 0 known divergences, 0 skipped$/m);
  });

  it('cites its document in words the document has', () => {
    const r = cli(['cite', '--mechanism', EXAMPLE]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('is fuzzed: the oracle against itself finds nothing', () => {
    const r = cli(['fuzz', '--mechanism', EXAMPLE, '--seed', '7', '--count', '200', '--no-write']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/200 sequences.*0 divergences/s);
  });

  it.runIf(hostOptIn)('runs on the host kernel and its fuzzer agrees with the oracle; the knob is put back', () => {
    const before = scaleFactor();
    const run = cli(['run', '--impl', 'linux', '--allow-host-changes', '--mechanism', EXAMPLE]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^2 passed, 0 failed, 0 flaky, 0 known divergences, 1 skipped$/m);
    const fuzz = cli(['fuzz', '--impl', 'linux', '--allow-host-changes', '--mechanism', EXAMPLE, '--seed', '7', '--count', '20', '--no-write']);
    expect(fuzz.code, fuzz.stdout + fuzz.stderr).toBe(0);
    expect(fuzz.stdout).toMatch(/20 sequences.*0 divergences/s);
    expect(scaleFactor()).toBe(before);
  });

  it('builds into the probe only when its root is given', () => {
    const source = (env: NodeJS.ProcessEnv) => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      "import { registrySource } from './tools/probe/registry.ts'; process.stdout.write(registrySource());"], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(source({})).toContain(`${EXAMPLE}_mechanism`);
    expect(source(without)).not.toContain(`${EXAMPLE}_mechanism`);
    expect(readFileSync(join(EXAMPLE_ROOT, 'tools/probe', EXAMPLE, 'mechanism.json'), 'utf8')).toContain('watermark_scale_factor');
  });
});
