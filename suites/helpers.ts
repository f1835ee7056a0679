import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../tools/paths.ts';
import { afterAll } from 'vitest';

export const ROOT = projectRoot();
export const MMSPEC = join(ROOT, 'tools/bin/mmspec.js');
/**
 * The worked example of a mechanism (README, Adding a mechanism), the generic suites'
 * mechanism: its root and its name, which other suites do not spell (a mechanism is named only
 * in its own folders, suites/core/mechanism-names.test.ts).
 */
export const EXAMPLE_ROOT = join(ROOT, 'fixtures/toy');
export const EXAMPLE = 'toy';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the mmspec command as a user would. */
export function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [MMSPEC, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input,
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the mmspec command without blocking (for tests that run many at once). */
export function cliAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MMSPEC, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const temps: string[] = [];
const removeTemps = () => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
};
// After the test file's tests: a test worker may be stopped without an exit event.
afterAll(removeTemps);
process.once('exit', removeTemps);

/** A fresh folder under the temp dir, removed when the test file's tests are done. */
export function tempDir(prefix = 'mmspec-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Writes tables into a fresh folder (mechanism/name.json → content) and returns the folder. */
export function tempTables(files: Record<string, unknown>): string {
  const dir = tempDir('mmspec-tables-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** Where a table of the worked example goes in tempTables: "<mechanism>/<name>.json". */
export const exampleFile = (name = 'a') => `${EXAMPLE}/${name}.json`;

/**
 * A small valid table of the worked example (EXAMPLE); tests break one thing at a time. Its one
 * row starts the factor at 10, writes 200 (taken: +190) and then 3001 (refused with EINVAL,
 * nothing written: still +190), as the sysctl's range is 1 to 3000.
 */
export function smallTable(overrides: Record<string, unknown> = {}) {
  return {
    mechanism: EXAMPLE,
    doc: 'Documentation/mm/physical_memory.rst',
    scenarios: [
      {
        id: `${EXAMPLE}.test.set-then-refuse`,
        title: 'a scale factor in range is taken, one out of range refused',
        level: 'must',
        layer: 'abi',
        kernels: '*',
        cites: [{ section: 'General', quote: 'taking ``vm.watermark_scale_factor`` sysctl into account' }],
        config: { watermark_scale_factor: 10 },
        steps: [
          { op: 'set_scale', args: { value: 200 }, expect: { observe: { watermark_scale_factor: { delta: 190 } } } },
          { op: 'set_scale', args: { value: 3001 }, expect: { errno: 'EINVAL', observe: { watermark_scale_factor: { delta: 190 } } } },
        ] as { op: string; args: Record<string, unknown>; expect?: { errno?: string; observe?: Record<string, unknown> } }[],
        ...overrides,
      },
    ],
  };
}
