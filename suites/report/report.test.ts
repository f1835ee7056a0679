// The HTML report in a real browser: Debian's chromium, headless. The report is made from the
// real recordings plus two run reports made here: the oracle on a few scenarios of each
// mechanism, and a faulty implementation (a missing range check) on the worked example, so
// that a diff exists. The DOM must hold the matrix (a row per mechanism, a column per kernel
// and run), the diff and the coverage; the screenshot must be a real picture of the page.
// Without chromium (and not root, so it cannot be installed) the test skips, saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findDocs } from '../../tools/cite/docs.ts';
import { loadRecordings } from '../../tools/record/recording.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { cli, EXAMPLE, ROOT, tempDir } from '../helpers.ts';
import { colourCount, decodePng, isPng, pixel } from './png.ts';

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;
const isRoot = process.getuid?.() === 0;
let chromium = which('chromium');
const SKIP = chromium || isRoot ? null : 'chromium is not installed and this is not root: run tools/bin/install-chromium.sh as root (apt-get install chromium) to render the report';
if (SKIP) console.warn(`report browser test skipped: ${SKIP}`);

/** Where the screenshot is kept (gitignored). */
export const SHOT = join(ROOT, 'test-output', 'report.png');

const docs = findDocs();
const work = tempDir('mmspec-report-');
const html = join(work, 'report.html');
let dom = '';
let source = '';

function browser(args: string[]): string {
  const profile = join(work, `profile-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args, `file://${html}`], {
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`chromium ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

describe.skipIf(!!SKIP)('the HTML report in a headless browser', () => {
  // A few scenarios of each mechanism for the oracle: the first two of each, whatever they are.
  const rows = loadScenarios();
  const mechanisms = [...new Set(rows.map((r) => r.mechanism))];
  const few = mechanisms.flatMap((m) => rows.filter((r) => r.mechanism === m).slice(0, 2).map((r) => r.id));
  const recordings = loadRecordings();
  const kernels = [...new Set(recordings.map((r) => r.rec.kernel))];

  beforeAll(() => {
    if (!chromium) {
      // Root without chromium: install it, as CI does.
      execFileSync(join(ROOT, 'tools/bin/install-chromium.sh'), { stdio: 'inherit', timeout: 900_000 });
      chromium = which('chromium');
      if (!chromium) throw new Error('chromium could not be installed (tools/bin/install-chromium.sh)');
    }
    const oracle = cli(['run', '--filter', few.join(','), '--reporter', 'json', '--output', join(work, 'oracle.json')]);
    expect(oracle.code, oracle.stderr).toBe(0);
    const faulty = cli(['run', '--impl', 'module:fixtures/impls/faulty/faulty.ts', '--mechanism', EXAMPLE, '--reporter', 'json', '--output', join(work, 'faulty.json')], {
      env: { MMSPEC_FAULT: 'no-range-check' },
    });
    expect(faulty.code, faulty.stderr).toBe(1);
    const report = cli(['report', '--results', join(work, 'oracle.json'), join(work, 'faulty.json'), '--out', html, ...(docs ? [] : ['--no-coverage'])]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout.trim()).toBe(html);
    source = readFileSync(html, 'utf8');
    dom = browser(['--dump-dom', '--virtual-time-budget=3000']);
  }, 900_000);

  it('runs its inline script', () => {
    expect(dom).toMatch(/<html[^>]*data-ready="true"/);
  });

  it('renders the matrix: a row per mechanism, a column per recorded kernel and per run', () => {
    const matrix = /<table id="matrix"[\s\S]*?<\/table>/.exec(dom)?.[0] ?? '';
    expect(matrix).not.toBe('');
    for (const m of [...mechanisms, ...recordings.map((r) => r.rec.mechanism)]) expect(matrix).toContain(`<tr data-mechanism="${m}">`);
    const heads = [...matrix.matchAll(/<th class="col (kernel|run)"[^>]*>([^<]*)</g)].map((x) => [x[1], x[2]]);
    expect(heads.filter(([k]) => k === 'kernel').map(([, l]) => l).sort()).toEqual([...kernels].sort());
    expect(heads.filter(([k]) => k === 'run')).toHaveLength(2);
    // The worked example's cell in the faulty run counts its one failure and links to the details.
    const row = new RegExp(`<tr data-mechanism="${EXAMPLE}">[\\s\\S]*?</tr>`).exec(matrix)![0];
    expect(row).toMatch(/<td class="cell failed" data-column="r1" data-passed="2" data-failed="1"[^>]*><a href="#cell-[^"]+-r1">/);
  });

  it('renders the failing scenario with its diff and citation, open', () => {
    const failing = /<details class="scenario failing" id="(s-[^"]+)" open="">[\s\S]*?<\/details>/.exec(dom);
    expect(failing, 'a failing scenario open').not.toBeNull();
    const body = failing![0];
    expect(body).toContain(`<code>${EXAMPLE}.`);
    expect(body).toMatch(/<pre class="diff"><span class="hd">--- expected/);
    expect(body).toMatch(/<span class="del">-\s+"ret": "errno",<\/span>/);
    expect(body).toMatch(/<span class="add">\+\s+"ret": "ok",<\/span>/);
    expect(body).toMatch(/<ul class="cites"><li><span class="doc">mm\/[^<]+<\/span> § /);
    expect(body).toMatch(/<dt>level<\/dt><dd>\w+<\/dd><dt>layer<\/dt><dd>(abi|internal)<\/dd><dt>kernels<\/dt>/);
  });

  it('lists errata, known divergences and the fuzz-found ones (or says there are none)', () => {
    expect(dom).toContain('<section id="errata">');
    if (rows.some((r) => r.level === 'erratum')) expect(dom).toContain('<table class="list errata">');
    if (rows.some((r) => r.divergences?.length)) expect(dom).toMatch(/<table class="list divergences">[\s\S]*?<td>(&gt;|&lt;|\*)[^<]*<\/td><td>[^<]+/);
    expect(dom).toMatch(/<section id="fuzz"><h2>Fuzz-found divergences<\/h2>(<p>No fuzz-found divergences|<p class="src">from )/);
  });

  it.skipIf(!docs)('shows the document coverage, per document', () => {
    const cited = [...new Set(rows.flatMap((r) => r.cites.map((c) => c.doc ?? r.doc)))];
    const summary = /<table class="list cov-summary">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? '';
    for (const d of cited) expect(summary).toContain(`<tr data-doc="${d}">`);
    expect(summary).toMatch(/<span class="bar" title="\d+\/\d+"><span style="width: ?\d+(\.\d)?%;?"><\/span><\/span> \d+\/\d+ \(\d+(\.\d)?%\)/);
    expect(dom).toMatch(/<table class="list normative" id="norm-[^"]+">[\s\S]*?<tr class="(cited|uncited)">/);
  });

  it('is self-contained: nothing is fetched', () => {
    expect(source).not.toMatch(/<(link|img|iframe)\b|\bsrc\s*=|@import|url\(/i);
    expect(source.match(/href="([^"]*)"/g)!.every((h) => h.startsWith('href="#'))).toBe(true);
  });

  it('takes a screenshot: a PNG of the page, not one colour', () => {
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    rmSync(SHOT, { force: true });
    browser([`--screenshot=${SHOT}`, '--window-size=1280,2000', '--virtual-time-budget=3000']);
    console.log(`report screenshot: ${SHOT}`);
    expect(statSync(SHOT).size).toBeGreaterThan(10_000);
    const bytes = readFileSync(SHOT);
    expect(isPng(bytes)).toBe(true);
    const png = decodePng(bytes);
    expect([png.width, png.height]).toEqual([1280, 2000]);
    // The dark header band over a white page, with text and coloured badges in between.
    expect(pixel(png, 4, 4)).toBe('#22303c');
    expect(pixel(png, 1270, 1990)).toMatch(/^#(ffffff|f[0-9a-f]f[0-9a-f]f[0-9a-f])$/);
    expect(colourCount(png)).toBeGreaterThan(50);
  });
});
