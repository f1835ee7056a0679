import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../tools/paths.ts';

export const ROOT = projectRoot();
export const MMSPEC = join(ROOT, 'tools/bin/mmspec.js');

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

/** Writes tables into a fresh folder (mechanism/name.json → content) and returns the folder. */
export function tempTables(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmspec-tables-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** A small valid overcommit table; tests break one thing at a time. */
export function smallTable(overrides: Record<string, unknown> = {}) {
  return {
    mechanism: 'overcommit',
    doc: 'Documentation/mm/overcommit-accounting.rst',
    scenarios: [
      {
        id: 'overcommit.test.private-rw',
        title: 'anonymous private writable mapping is charged its size',
        level: 'must',
        layer: 'abi',
        kernels: '*',
        cites: [{ section: 'How It Works', quote: 'PRIVATE WRITABLE - size of mapping per instance' }],
        // 16384 pages of 4 KiB = 65536 kB charged; munmap gives it back.
        steps: [
          { op: 'mmap', args: { as: 'a', pages: 16384 }, expect: { observe: { Committed_AS: { delta: 65536 } } } },
          { op: 'munmap', args: { map: 'a' }, expect: { observe: { Committed_AS: { delta: 0 } } } },
        ],
        ...overrides,
      },
    ],
  };
}
