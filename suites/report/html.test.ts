// The report's page from made-up columns: counts per cell, fuzz-found rows, escaping.
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../tools/report/html.ts';
import { buildMatrix, countsOf, runColumns } from '../../tools/report/matrix.ts';
import { loadScenarios } from '../../tools/spec/tables.ts';
import { EXAMPLE } from '../helpers.ts';

describe('the report page', () => {
  const rows = loadScenarios().filter((r) => r.mechanism === EXAMPLE);
  const first = rows[0]!;
  const fuzzRow = { ...first, id: `${EXAMPLE}.fuzz.made-up`, title: 'Fuzz: <b>bold</b> & more', level: 'quirk' as const, evidence: ['seen once'] };
  const report = (status: 'passed' | 'failed') => ({
    implementation: { name: 'impl', version: '1', mechanisms: [EXAMPLE], layers: ['abi' as const], kernel: null },
    kernel: '6.18',
    scenarios: [
      { id: first.id, mechanism: EXAMPLE, status, diff: status === 'failed' ? '--- expected\n+++ observed\n-  "x": 1\n+  "x": 2' : undefined },
      { id: fuzzRow.id, mechanism: EXAMPLE, status: 'skipped' as const, reason: 'kernel 6.18 is outside >=6.1 <6.2' },
      { id: 'other.thing', mechanism: 'other', status: 'passed' as const },
    ],
  });
  const columns = runColumns([{ file: 'a.json', report: report('passed') }, { file: 'b.json', report: report('failed') }]);
  const matrix = buildMatrix(columns, rows);
  const html = renderReport({ generated: new Date(0), matrix, rows, fuzzRows: [fuzzRow], fuzzDirs: [`fixtures/divergences/${EXAMPLE}`], coverage: null, tables: ['spec/tables'] });

  it('has a row per mechanism, from the tables and the columns alike, and counts each cell', () => {
    expect(matrix.mechanisms).toEqual([EXAMPLE, 'other'].sort());
    expect(columns.map((c) => c.label)).toEqual(['impl as 6.18', 'impl as 6.18 (b.json)']);
    expect(countsOf(columns[1]!, EXAMPLE)).toEqual({ passed: 0, failed: 1, flaky: 0, 'known-divergence': 0, skipped: 1 });
    expect(html).toMatch(new RegExp(`<td class="cell failed" data-column="r1" data-passed="0" data-failed="1" data-flaky="0" data-known-divergence="0" data-skipped="1"><a href="#cell-${EXAMPLE}-r1">`));
    expect(html).toContain('<tr data-mechanism="other">');
  });

  it('lists the fuzz-found rows with their evidence, escaped', () => {
    const fuzz = /<section id="fuzz">[\s\S]*?<\/section>/.exec(html)![0];
    expect(fuzz).toContain(`from fixtures/divergences/${EXAMPLE}`);
    expect(fuzz).toContain('Fuzz: &#60;b&#62;bold&#60;/b&#62; &#38; more');
    expect(fuzz).toContain('<li>seen once</li>');
    expect(html).not.toContain('<b>bold</b>');
  });

  it('opens a failing scenario with its diff; a scenario no table knows is still shown', () => {
    expect(html).toMatch(new RegExp(`<details class="scenario failing" id="s-${first.id.replace(/\./g, '\\.')}" open>`));
    expect(html).toContain('<span class="del">-  &#34;x&#34;: 1</span>');
    expect(html).toContain('not in the tables given to the report');
    expect(html).not.toContain('id="coverage"');
  });
});
