// Every user mistake gets one clear message naming what is wrong and where, the right exit
// code (2 for usage and input errors, 1 when an implementation fails or nothing ran) and no
// stack trace. One row per mistake; the tables' own mistakes are in suites/spec/tables.test.ts.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliAsync, EXAMPLE, exampleFile, smallTable, tempDir, tempTables } from '../helpers.ts';

const dir = tempDir('mmspec-bad-');
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const syntax = file('syntax.ts', 'export default {\n');
const throwsAtImport = file('throws.ts', 'throw new Error("boom at import");\nexport default {};\n');
const notAnImpl = file('not-impl.ts', 'export default { describe() { return {}; } };\n');
const notJson = file('not.json', '{');
const notReport = file('not-report.json', '{"x": 1}');
const emptyTables = join(dir, 'empty');
mkdirSync(emptyTables);
const row = smallTable().scenarios[0]!;
const tables = (t: unknown) => tempTables({ [exampleFile()]: t });

interface Case {
  why: string;
  args: string[];
  code: number;
  /** What the message must say (regex over stderr). */
  says: RegExp;
  env?: NodeJS.ProcessEnv;
}

const CASES: Case[] = [
  // implementations
  { why: 'module: with nothing after it', args: ['run', '--impl', 'module:'], code: 2, says: /module: needs a path/ },
  { why: 'a module that is not JS or TS', args: ['run', '--impl', 'module:./README.md'], code: 2, says: /README\.md is not a JS or TS module/ },
  { why: 'a module that does not exist', args: ['run', '--impl', 'module:./no-such-impl.ts'], code: 2, says: /module implementation not found: .*no-such-impl\.ts/ },
  { why: 'a module with a syntax error', args: ['run', '--impl', `module:${syntax}`], code: 2, says: /syntax\.ts:2:0: ERROR/ },
  { why: 'a module that throws at import', args: ['run', '--impl', `module:${throwsAtImport}`], code: 2, says: /cannot load module implementation .*throws\.ts: boom at import/ },
  { why: 'a module exporting no implementation', args: ['run', '--impl', `module:${notAnImpl}`], code: 2, says: /does not export an implementation: missing open, step/ },
  { why: 'exec: with no command', args: ['run', '--impl', 'exec:'], code: 2, says: /exec: needs a command/ },
  { why: 'exec: of a missing program', args: ['run', '--impl', 'exec:no-such-program-xyz'], code: 1, says: /exited: exit status 127[\s\S]*no-such-program-xyz: not found/ },
  { why: 'an unknown implementation', args: ['run', '--impl', 'bogus'], code: 2, says: /unknown implementation 'bogus': use one of oracle, .*qemu:debian-sid/ },
  { why: 'a QEMU kernel that is neither known nor a file', args: ['run', '--impl', 'qemu:nosuch'], code: 2, says: /kernel nosuch: no such file/ },
  { why: 'the host without the opt-in', args: ['run', '--impl', 'linux'], code: 2, says: /--allow-host-changes|needs root/, env: { MMSPEC_ALLOW_HOST_CHANGES: '' } },
  { why: 'recording a model', args: ['record', '--impl', 'oracle'], code: 2, says: /is a model, not a kernel/ },
  // run flags
  { why: 'a --kernel that is no release', args: ['run', '--kernel', 'abc'], code: 2, says: /--kernel 'abc' is not a kernel release/ },
  { why: 'a --kernel no scenario applies to: nothing ran', args: ['run', '--kernel', '2.6', '--no-spec-tables', '--tables', tables(smallTable({ kernels: '>=5.0' }))], code: 1, says: /nothing ran: 1 scenario skipped/ },
  { why: 'an unknown mechanism', args: ['run', '--mechanism', 'nosuchmech'], code: 2, says: /unknown mechanism 'nosuchmech' \(known: / },
  { why: 'a filter matching nothing', args: ['run', '--filter', 'nomatch.*'], code: 2, says: /no scenario matches --filter nomatch\.\*/ },
  { why: 'an unknown reporter', args: ['run', '--reporter', 'xml'], code: 2, says: /argument 'xml' is invalid/ },
  { why: '--output into a missing folder', args: ['run', '--reporter', 'json', '--output', '/nonexistent-dir/x.json'], code: 2, says: /the folder \/nonexistent-dir does not exist/ },
  { why: '--output with the pretty reporter', args: ['run', '--output', join(dir, 'x.txt')], code: 2, says: /--output writes a json, junit or tap report/ },
  { why: '--output onto a folder', args: ['run', '--reporter', 'json', '--output', dir], code: 2, says: /cannot write there/ },
  { why: 'a --timeout that is no number', args: ['run', '--timeout', 'abc'], code: 2, says: /--timeout must be a positive number of seconds, not 'abc'/ },
  { why: '--max-failures 0', args: ['run', '--max-failures', '0'], code: 2, says: /--max-failures must be a whole number of at least 1/ },
  { why: '--rerun-failed of a missing report', args: ['run', '--rerun-failed', join(dir, 'none.json')], code: 2, says: /none\.json: no such file/ },
  { why: '--rerun-failed of a file that is not JSON', args: ['run', '--rerun-failed', notJson], code: 2, says: /not\.json: not JSON/ },
  { why: '--rerun-failed of JSON that is not a report', args: ['run', '--rerun-failed', notReport], code: 2, says: /not a report of mmspec run --reporter json/ },
  { why: 'an unknown option', args: ['run', '--frob'], code: 2, says: /unknown option '--frob'/ },
  { why: 'an unknown command', args: ['frobnicate'], code: 2, says: /unknown command 'frobnicate'/ },
  // tables given by the user
  { why: '--tables that do not exist', args: ['run', '--tables', '/nonexistent-tables'], code: 2, says: /\/nonexistent-tables: no such folder/ },
  { why: '--tables with no table in them', args: ['run', '--tables', emptyTables, '--no-spec-tables'], code: 2, says: /empty: no scenario tables/ },
  { why: 'a table that is not JSON', args: ['run', '--no-spec-tables', '--tables', tables('{"mechanism": ')], code: 2, says: /a\.json: not valid JSON/ },
  { why: 'a row without a level: one message', args: ['list', '--no-spec-tables', '--tables', tables(smallTable({ level: undefined }))], code: 2, says: /\(1 problem\):\n.*\/level: is required but missing\n$/ },
  { why: 'a row with a bad kernel range', args: ['list', '--no-spec-tables', '--tables', tables(smallTable({ kernels: 'six' }))], code: 2, says: /\/kernels: "six" is not of the expected form: a kernel range/ },
  { why: 'a row with an unknown op', args: ['list', '--no-spec-tables', '--tables', tables(smallTable({ steps: [{ ...row.steps[0], op: 'no_such_op' }] }))], code: 2, says: /step 0: \/op: unknown .* op 'no_such_op'/ },
  { why: 'a table of an unknown mechanism', args: ['list', '--no-spec-tables', '--tables', tables({ ...smallTable(), mechanism: 'nosuch' })], code: 2, says: /\/mechanism: unknown mechanism 'nosuch'/ },
  // list, explain, cite
  { why: 'list of an unknown mechanism', args: ['list', '--mechanism', 'nosuchmech'], code: 2, says: /unknown mechanism 'nosuchmech'/ },
  { why: 'list of an unknown level', args: ['list', '--level', 'bogus'], code: 2, says: /argument 'bogus' is invalid/ },
  { why: 'explain of an unknown scenario', args: ['explain', 'no.such.scenario'], code: 2, says: /no scenario 'no\.such\.scenario'/ },
  { why: 'explain as a kernel that is no release', args: ['explain', row.id, '--kernel', 'abc'], code: 2, says: /--kernel 'abc' is not a kernel release/ },
  { why: 'cite with a --docs folder that does not exist', args: ['cite', '--docs', '/nonexistent-docs'], code: 2, says: /--docs \/nonexistent-docs: no Documentation\/ folder there/ },
  // fuzz and kernels
  { why: 'fuzz --report into a missing folder', args: ['fuzz', '--report', '/nonexistent-dir/f.json'], code: 2, says: /--report \/nonexistent-dir\/f\.json: the folder \/nonexistent-dir does not exist/ },
  { why: 'fuzz of an unknown mechanism', args: ['fuzz', '--mechanism', 'nosuchmech'], code: 2, says: /unknown mechanism 'nosuchmech'/ },
  { why: 'fuzz --count 0', args: ['fuzz', '--mechanism', EXAMPLE, '--count', '0'], code: 2, says: /--count must be an integer of at least 1, not '0'/ },
  { why: 'fuzz --length backwards', args: ['fuzz', '--mechanism', EXAMPLE, '--length', '5-2'], code: 2, says: /--length 5-2: the range must go from small to large/ },
  { why: 'fuzz --seed -1', args: ['fuzz', '--mechanism', EXAMPLE, '--seed', '-1'], code: 2, says: /--seed must be an integer of at least 0, not '-1'/ },
  { why: 'fuzz --kernel abc', args: ['fuzz', '--mechanism', EXAMPLE, '--kernel', 'abc'], code: 2, says: /--kernel 'abc' is not a kernel release/ },
  { why: 'fetching an unknown kernel', args: ['kernel', 'fetch', 'debian-5'], code: 2, says: /unknown kernel 'debian-5': use one of debian-6\.1, debian-6\.12, debian-sid/ },
];

describe('bad inputs', () => {
  it('are at least 40', () => expect(CASES.length).toBeGreaterThanOrEqual(40));

  for (const c of CASES) {
    it.concurrent(`${c.why}: exit ${c.code}, one clear message, no stack trace`, async () => {
      const r = await cliAsync(c.args, { env: c.env });
      expect(r.stderr).toMatch(c.says);
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
      expect(r.stderr).not.toMatch(/node:internal|Node\.js v\d/);
    });
  }

  it('a machine-readable report is written even when the implementation fails at start', async () => {
    const out = join(dir, 'start.json');
    const r = await cliAsync(['run', '--impl', 'exec:no-such-program-xyz', '--reporter', 'json', '--output', out]);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ passed: 0, failed: 0, error: expect.stringMatching(/failed at start: .*exit status 127/) });
  });
});
