// mmspec report's inputs and output file, and cite --coverage: a wrong input is one clear
// message naming it (exit 2, no stack trace, nothing written); the default file lands in the cwd.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDocs } from '../../tools/cite/docs.ts';
import { loadRecordings } from '../../tools/record/recording.ts';
import { runReportProblem } from '../../tools/report/inputs.ts';
import { cli, MMSPEC, ROOT, tempDir } from '../helpers.ts';

const docs = findDocs();
const dir = tempDir('mmspec-report-cli-');
const out = join(dir, 'out.html');

/** The one-line message of a refused report, checked for its shape. */
function refused(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = cli(['report', '--out', out, ...args], { env });
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^mmspec: /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(existsSync(out)).toBe(false);
  return lines[0]!;
}

describe('mmspec report refuses bad inputs', () => {
  it('a results file that does not exist', () => {
    const f = join(dir, 'missing.json');
    expect(refused(['--results', f])).toBe(`mmspec: --results ${f}: no such file`);
  });

  it('a results file that is not JSON', () => {
    const f = join(dir, 'junit.xml');
    writeFileSync(f, '<?xml version="1.0"?><testsuites/>');
    expect(refused(['--results', f])).toMatch(new RegExp(`^mmspec: --results ${f}: not valid JSON \\(`));
  });

  it('JSON that is not a run report: an empty object, a recording, a bad status', () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{}');
    expect(refused(['--results', empty])).toBe(`mmspec: --results ${empty}: not a run report from 'mmspec run --reporter json': no 'implementation' with a name`);
    const [rec] = loadRecordings();
    if (rec) expect(refused(['--results', join(ROOT, rec.file)])).toContain(`${rec.file}: not a run report from 'mmspec run --reporter json': scenarios[0] has no id or mechanism`);
    const bad = join(dir, 'bad-status.json');
    writeFileSync(bad, JSON.stringify({ implementation: { name: 'x' }, kernel: '6.1', scenarios: [{ id: 'a.b', mechanism: 'a', status: 'great' }] }));
    expect(refused(['--results', bad])).toContain('scenarios[0] (a.b) has status "great", not one of passed, failed, flaky, known-divergence, skipped');
  });

  it('the second of two results files, named', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ implementation: { name: 'x', version: '1' }, kernel: '6.1', scenarios: [] }));
    expect(refused(['--results', good, join(dir, 'nope.json')])).toBe(`mmspec: --results ${join(dir, 'nope.json')}: no such file`);
  });

  it('an --out that cannot be written', () => {
    const r = cli(['report', '--no-coverage', '--out', join(dir, 'no', 'such', 'r.html')]);
    expect(r).toMatchObject({ code: 2, stderr: `mmspec: --out ${join(dir, 'no', 'such', 'r.html')}: cannot write the report (its folder does not exist)\n` });
    mkdirSync(join(dir, 'a-folder'), { recursive: true });
    expect(cli(['report', '--no-coverage', '--out', join(dir, 'a-folder')])).toMatchObject({ code: 2, stderr: `mmspec: --out ${join(dir, 'a-folder')}: cannot write the report (it is a folder)\n` });
  });

  it('a Documentation tree that is not there', () => {
    const empty = tempDir('mmspec-nodocs-');
    expect(refused(['--docs', empty])).toBe(`mmspec: --docs ${empty}: no Documentation/ folder there`);
    expect(refused([], { MMSPEC_DOCS: empty })).toBe(`mmspec: MMSPEC_DOCS=${empty}: no Documentation/ folder there`);
  });

  it('no tables at all', () => {
    expect(refused(['--no-spec-tables', '--no-coverage'])).toBe('mmspec: no tables: --no-spec-tables needs --tables DIR');
  });

  it('knows a run report when it sees one', () => {
    expect(runReportProblem({ implementation: { name: 'x' }, kernel: '6.1', scenarios: [{ id: 'a.b', mechanism: 'a', status: 'passed', diff: 'x' }] })).toBeNull();
    expect(runReportProblem([])).toBe('the top level is not an object');
    expect(runReportProblem({ implementation: { name: 'x' }, kernel: '6.1', scenarios: [{ id: 'a.b', mechanism: 'a', status: 'failed', diff: 3 }] })).toBe("scenarios[0] (a.b): 'diff' is not text");
  });
});

describe('mmspec report writes', () => {
  it('mmspec-report.html in the current folder by default, and prints its path', () => {
    const cwd = tempDir('mmspec-report-cwd-');
    const r = spawnSync(process.execPath, [MMSPEC, 'report', '--no-coverage'], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(cwd, 'mmspec-report.html'));
    const html = readFileSync(join(cwd, 'mmspec-report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<table id="matrix" class="matrix">');
    expect(html).not.toContain('id="coverage"');
    // Self-contained: nothing is loaded from anywhere.
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc\s*=|@import|url\(/i);
    expect(html.match(/href="([^"]*)"/g)!.every((h) => h.startsWith('href="#'))).toBe(true);
  });
});

describe.skipIf(!docs)('mmspec cite --coverage', () => {
  it('prints each document\'s coverage, uncited sentences by their first words, and exits by the check', () => {
    const plain = cli(['cite']);
    const r = cli(['cite', '--coverage']);
    expect(r.code).toBe(plain.code);
    expect(r.stdout.startsWith(plain.stdout)).toBe(true);
    const added = r.stdout.slice(plain.stdout.length).trim().split('\n');
    const docLines = added.filter((l) => /^Documentation\//.test(l));
    expect(docLines.length).toBeGreaterThan(0);
    for (const l of docLines) expect(l).toMatch(/: (sections covered \d+\/\d+ \(\d+(\.\d)?%\), normative sentences cited \d+\/\d+ \(\d+(\.\d)?%\), \d+ rows|not found in the Documentation tree)$/);
    // Never long document prose: a quoted sentence is eight words at most, then an ellipsis.
    for (const l of added.filter((x) => /^ {4}/.test(x))) {
      const quoted = /"(.*)" \[/.exec(l)?.[1] ?? '';
      expect(quoted.replace(/ …$/, '').split(' ').length, l).toBeLessThanOrEqual(8);
    }
    expect(added.at(-1)).toMatch(/^normative terms: must, /);
  });
});
