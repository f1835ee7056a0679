// The runner's ergonomics, as a user meets them: TAP output, stopping at the first failure,
// rerunning what failed, a summary after Ctrl-C. The worked example's table and a faulty
// module implementation (fixtures/impls/faulty) make the failures.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, EXAMPLE, EXAMPLE_ROOT, exampleFile, MMSPEC, ROOT, tempDir, tempTables } from '../helpers.ts';

const FAULTY = `module:${join(ROOT, 'fixtures/impls/faulty/faulty.ts')}`;
const wrong = { MMSPEC_FAULT: 'no-range-check' };

describe('mmspec run', () => {
  it('writes TAP: a plan, ok / not ok per scenario with its diff, SKIP directives, the summary', () => {
    const r = cli(['run', '--mechanism', EXAMPLE, '--impl', FAULTY, '--reporter', 'tap'], { env: wrong });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('TAP version 13');
    expect(lines[1]).toMatch(/^1\.\.\d+$/);
    expect(r.stdout).toMatch(new RegExp(`^not ok \\d+ - ${EXAMPLE}\\.scale\\.out-of-range-refused$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}diff: \|$/m);
    expect(r.stdout).toMatch(new RegExp(`^ok \\d+ - ${EXAMPLE}\\.scale\\.set-and-read-back$`, 'm'));
    expect(lines.at(-1)).toMatch(/^# \d+ passed, 1 failed, 0 flaky, 0 known divergences, \d+ skipped$/);
  });

  it('--bail stops at the first failure and says the summary covers what ran', () => {
    // The example's table with its failing row first.
    const table = JSON.parse(readFileSync(join(EXAMPLE_ROOT, 'spec/tables', EXAMPLE, 'scale.json'), 'utf8'));
    table.scenarios.sort((a: { id: string }) => (a.id.endsWith('out-of-range-refused') ? -1 : 1));
    const dir = tempTables({ [exampleFile()]: table });
    const run = (...more: string[]) => cli(['run', '--no-spec-tables', '--tables', dir, '--impl', FAULTY, ...more], { env: wrong });
    expect(run().stdout).toMatch(/^\d+ passed, 1 failed/m);
    const bail = run('--bail');
    expect(bail.stdout).toMatch(/stopped early/);
    expect(bail.stdout).toMatch(/^0 passed, 1 failed, 0 flaky, 0 known divergences, 0 skipped$/m);
    expect(bail.code).toBe(1);
  });

  it('--rerun-failed runs exactly what a previous JSON report marks failed', () => {
    const report = join(tempDir('mmspec-rerun-'), 'r.json');
    expect(cli(['run', '--mechanism', EXAMPLE, '--impl', FAULTY, '--reporter', 'json', '--output', report], { env: wrong }).code).toBe(1);
    const failed = (JSON.parse(readFileSync(report, 'utf8')).scenarios as { id: string; status: string }[]).filter((s) => s.status === 'failed').map((s) => s.id);
    expect(failed).toEqual([`${EXAMPLE}.scale.out-of-range-refused`]);
    const again = cli(['run', '--rerun-failed', report]);
    expect(again.stdout).toMatch(/^mmspec: 1 scenario against/m);
    expect(again.stdout).toMatch(new RegExp(`^ok {3}${EXAMPLE}\\.scale\\.out-of-range-refused$`, 'm'));
    expect(again.code).toBe(0);
  });

  it('on Ctrl-C finishes the scenario in progress, prints the summary so far and exits 130', async () => {
    const child = spawn(process.execPath, [MMSPEC, 'run', '--mechanism', EXAMPLE, '--impl', FAULTY], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', MMSPEC_FAULT: 'slow' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (/^ok /m.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toMatch(/stopping after this scenario/);
    expect(stdout).toMatch(/stopped early: the summary covers the scenarios that ran/);
    expect(stdout).toMatch(/^[12] passed, 0 failed, 0 flaky, 0 known divergences, 0 skipped$/m);
    expect(code).toBe(130);
  });
});
