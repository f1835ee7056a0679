// The report as one self-contained HTML page: inline CSS and script, no request leaves it.
// Everything shown comes from the data handed in; every text is escaped.
import type { LoadedScenario } from '../spec/tables.ts';
import { percent, type DocCoverage, type Ratio } from './coverage.ts';
import { STATUSES, type Status } from './inputs.ts';
import { countsOf, type Column, type Matrix, type Outcome } from './matrix.ts';
import { NORMATIVE_TERMS } from './sentences.ts';
import { REPORT_CSS, REPORT_JS } from './assets.ts';

export interface ReportData {
  generated: Date;
  matrix: Matrix;
  /** The scenario tables' rows (spec/tables and --tables). */
  rows: LoadedScenario[];
  /** Rows the fuzzer kept, and the folders they came from. */
  fuzzRows: LoadedScenario[];
  fuzzDirs: string[];
  /** Null when coverage was left out. */
  coverage: DocCoverage[] | null;
  docsLabel?: string;
  tables: string[];
}

const esc = (s: unknown) => String(s ?? '').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const STATUS_LABEL: Record<Status, string> = { passed: 'passed', failed: 'failed', flaky: 'flaky', 'known-divergence': 'known divergence', skipped: 'skipped' };
const STATUS_SHORT: Record<Status, string> = { passed: 'ok', failed: 'FAIL', flaky: 'flaky', 'known-divergence': 'kdiv', skipped: 'skip' };
const short = (s: string, n = 200) => {
  const line = s.split('\n')[0]!;
  return line.length > n ? `${line.slice(0, n).replace(/\s+\S*$/, '')} …` : line;
};
const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
const sid = (id: string) => `s-${slug(id)}`;
const cellId = (m: string, c: Column) => `cell-${slug(m)}-${c.key}`;

const badge = (st: Status, text: string = STATUS_SHORT[st], title = STATUS_LABEL[st]) => `<span class="b ${st}" title="${esc(title)}">${esc(text)}</span>`;

function diffBlock(diff: string): string {
  const lines = diff.split('\n').map((l) => {
    const cls = l.startsWith('+++') || l.startsWith('---') ? 'hd' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '';
    return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l);
  });
  return `<pre class="diff">${lines.join('\n')}</pre>`;
}

function rowsLinks(ids: string[], known: Set<string>, max = 8): string {
  if (!ids.length) return '<span class="none">none</span>';
  const link = (id: string) => (known.has(id) ? `<a href="#${esc(sid(id))}">${esc(id)}</a>` : esc(id));
  if (ids.length <= max) return ids.map(link).join(', ');
  return `<details class="many"><summary>${ids.length} rows</summary>${ids.map(link).join(', ')}</details>`;
}

function bar(r: Ratio): string {
  const p = percent(r);
  return `<span class="bar" title="${r.covered}/${r.total}"><span style="width:${p}%"></span></span> ${r.covered}/${r.total} (${p}%)`;
}

function kernelsOf(s: LoadedScenario): string {
  return s.kernels === '*' ? 'all' : s.kernels;
}

function citations(s: LoadedScenario): string {
  return `<ul class="cites">${s.cites.map((c) => `<li><span class="doc">${esc((c.doc ?? s.doc).replace(/^Documentation\//, ''))}</span> § ${esc(c.section)}: <q>${esc(c.quote)}</q></li>`).join('')}</ul>`;
}

function outcomeBody(o: Outcome): string {
  const parts: string[] = [];
  if (o.reason) parts.push(`<div class="reason">${esc(o.reason)}</div>`);
  if (o.divergence) parts.push(`<div class="reason">known divergence on ${esc(o.divergence.kernels)}: ${esc(o.divergence.summary)}</div>`);
  if (o.note) parts.push(`<div class="note">note: ${esc(o.note)}</div>`);
  if (o.stale) parts.push('<div class="note">recorded against an earlier version of this row: record again</div>');
  if (o.switches?.length) parts.push(`<div class="note">kernel behaviour switches: ${esc(o.switches.join(', '))}</div>`);
  if (o.diff) parts.push(diffBlock(o.diff));
  for (const [i, a] of (o.attempts ?? []).entries()) {
    parts.push(`<div class="attempt">run ${i + 1}: ${badge(a.status as Status)} ${esc(a.reason ?? '')}</div>`);
    if (a.diff) parts.push(diffBlock(a.diff));
  }
  return parts.join('');
}

interface Listed {
  id: string;
  mechanism: string;
  row?: LoadedScenario;
  fuzz: boolean;
}

/** Every scenario of a mechanism: the tables' rows in order, then fuzz rows and ids only the columns know. */
function listed(d: ReportData, mechanism: string): Listed[] {
  const out: Listed[] = d.rows.filter((r) => r.mechanism === mechanism).map((row) => ({ id: row.id, mechanism, row, fuzz: false }));
  const seen = new Set(out.map((x) => x.id));
  const fuzz = new Map(d.fuzzRows.map((r) => [r.id, r]));
  const extra = new Set<string>();
  for (const c of d.matrix.columns) for (const o of c.outcomes.values()) if (o.mechanism === mechanism && !seen.has(o.id)) extra.add(o.id);
  for (const id of [...extra].sort()) out.push({ id, mechanism, row: fuzz.get(id), fuzz: fuzz.has(id) });
  return out;
}

function matrixTable(d: ReportData): string {
  const { columns, mechanisms } = d.matrix;
  const head = columns
    .map((c) => `<th class="col ${c.kind}" data-column="${c.key}" title="${esc(c.sources.map((x) => x.text).join('\n'))}">${esc(c.label)}<div class="kind">${c.kind === 'kernel' ? 'recorded kernel' : 'run report'}</div></th>`)
    .join('');
  const body = mechanisms
    .map((m) => {
      const total = listed(d, m).length;
      const cells = columns
        .map((c) => {
          const n = countsOf(c, m);
          const any = STATUSES.some((s) => n[s]);
          const data = STATUSES.map((s) => `data-${s}="${n[s]}"`).join(' ');
          if (!any) return `<td class="cell empty" data-column="${c.key}" ${data}>—</td>`;
          const badges = STATUSES.filter((s) => n[s]).map((s) => badge(s, `${n[s]} ${STATUS_SHORT[s]}`, `${n[s]} ${STATUS_LABEL[s]}`)).join(' ');
          const worst = n.failed ? 'failed' : n.flaky ? 'flaky' : n['known-divergence'] ? 'known-divergence' : 'passed';
          return `<td class="cell ${worst}" data-column="${c.key}" ${data}><a href="#${cellId(m, c)}">${badges}</a></td>`;
        })
        .join('');
      return `<tr data-mechanism="${esc(m)}"><th class="mech"><a href="#mech-${esc(slug(m))}">${esc(m)}</a><div class="kind">${total} scenarios</div></th>${cells}</tr>`;
    })
    .join('\n');
  return `<table id="matrix" class="matrix"><thead><tr><th>mechanism</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function cellDetails(d: ReportData, m: string): string {
  return d.matrix.columns
    .map((c) => {
      const outs = [...c.outcomes.values()].filter((o) => o.mechanism === m);
      if (!outs.length) return '';
      const n = countsOf(c, m);
      const notable = outs.filter((o) => o.status !== 'passed');
      const items = notable
        .map((o) => `<li>${badge(o.status)} <a href="#${esc(sid(o.id))}">${esc(o.id)}</a>${o.stale ? '<sup>*</sup>' : ''}${o.reason ? ` — ${esc(short(o.reason))}` : ''}</li>`)
        .join('');
      const stale = outs.filter((o) => o.stale).length;
      const src = c.sources.filter((x) => !x.mechanism || x.mechanism === m).map((x) => esc(x.text)).join('<br>');
      return `<section class="cell-detail" id="${cellId(m, c)}"><h4>${esc(m)} · ${esc(c.label)}</h4><p class="counts">${STATUSES.map((s) => `${n[s]} ${STATUS_LABEL[s]}`).join(', ')}</p><p class="src">${src}</p>${stale ? `<p class="note">${stale} of ${outs.length} recorded against an earlier version of their rows (marked *): record again</p>` : ''}${items ? `<ul>${items}</ul>` : '<p>every scenario passed</p>'}</section>`;
    })
    .join('\n');
}

function scenarioTable(d: ReportData, m: string, items: Listed[]): string {
  const cols = d.matrix.columns;
  const head = `<tr><th>scenario</th><th>level</th><th>layer</th><th>kernels</th>${cols.map((c) => `<th class="col" data-column="${c.key}">${esc(c.label)}</th>`).join('')}</tr>`;
  const body = items
    .map(({ id, row, fuzz }) => {
      const sts = cols.map((c) => c.outcomes.get(id));
      const bad = sts.some((o) => o && o.status !== 'passed');
      const cells = sts.map((o, i) => `<td data-column="${cols[i]!.key}">${o ? `<a href="#${esc(sid(id))}">${badge(o.status, STATUS_SHORT[o.status], `${STATUS_LABEL[o.status]}${o.reason ? `: ${short(o.reason)}` : ''}`)}</a>${o.stale ? '<sup title="stale recording">*</sup>' : ''}` : '<span class="none" title="not run">·</span>'}</td>`).join('');
      return `<tr data-id="${esc(id)}" class="${bad ? 'notable' : ''}"><td><a href="#${esc(sid(id))}">${esc(id)}</a>${fuzz ? ' <span class="tag">fuzz</span>' : ''}</td><td>${esc(row?.level ?? sts.find((o) => o?.level)?.level ?? '')}</td><td>${esc(row?.layer ?? sts.find((o) => o?.layer)?.layer ?? '')}</td><td>${esc(row ? kernelsOf(row) : '')}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<div class="tools"><input type="search" placeholder="filter scenario ids" data-filter="tbl-${esc(slug(m))}"> <label><input type="checkbox" data-notable="tbl-${esc(slug(m))}"> only scenarios not passed everywhere</label></div>
<table class="scenarios" id="tbl-${esc(slug(m))}"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

function scenarioDetail(d: ReportData, { id, row, fuzz }: Listed): string {
  const cols = d.matrix.columns;
  const outs = cols.map((c) => [c, c.outcomes.get(id)] as const).filter((x): x is readonly [Column, Outcome] => !!x[1]);
  const failing = outs.some(([, o]) => o.status === 'failed' || o.status === 'flaky');
  const meta = row
    ? `<dl class="meta"><dt>title</dt><dd>${esc(row.title)}</dd><dt>level</dt><dd>${esc(row.level)}</dd><dt>layer</dt><dd>${esc(row.layer)}</dd><dt>kernels</dt><dd>${esc(kernelsOf(row))}</dd><dt>table</dt><dd>${esc(row.file)}</dd></dl>${citations(row)}`
    : '<p class="note">not in the tables given to the report: only its results are known</p>';
  const results = outs
    .map(([c, o]) => `<div class="outcome ${o.status}" data-column="${c.key}"><div class="oh">${badge(o.status, STATUS_LABEL[o.status])} <b>${esc(c.label)}</b></div>${outcomeBody(o)}</div>`)
    .join('');
  const summaryBadges = outs.map(([c, o]) => badge(o.status, STATUS_SHORT[o.status], `${c.label}: ${STATUS_LABEL[o.status]}`)).join(' ');
  return `<details class="scenario${failing ? ' failing' : ''}" id="${esc(sid(id))}"${failing ? ' open' : ''}><summary><code>${esc(id)}</code>${fuzz ? ' <span class="tag">fuzz</span>' : ''} ${row ? `— ${esc(row.title)}` : ''} <span class="sb">${summaryBadges}</span></summary>${meta}${results || '<p class="none">no column ran it</p>'}</details>`;
}

function errata(d: ReportData): string {
  const rows = d.rows.filter((r) => r.level === 'erratum' || r.erratum);
  if (!rows.length) return '<p>No row records an erratum.</p>';
  return `<table class="list errata"><thead><tr><th>scenario</th><th>the document states</th><th>kernels do</th><th>evidence</th></tr></thead><tbody>${rows
    .map((r) => `<tr><td><a href="#${esc(sid(r.id))}">${esc(r.id)}</a><div class="kind">${esc(r.level)} · ${esc(r.mechanism)}</div></td><td>${esc(r.erratum?.document ?? '')}${citations(r)}</td><td>${esc(r.erratum?.kernel ?? '')}${r.erratum?.fix ? `<div class="note">fix: ${esc(r.erratum.fix)}</div>` : ''}</td><td><ul>${[...(r.erratum?.evidence ?? []), ...(r.evidence ?? [])].map((e) => `<li>${esc(e)}</li>`).join('')}</ul></td></tr>`)
    .join('')}</tbody></table>`;
}

function divergences(d: ReportData): string {
  const items = d.rows.flatMap((r) => (r.divergences ?? []).map((v) => ({ r, v })));
  if (!items.length) return '<p>No row records a known divergence.</p>';
  return `<table class="list divergences"><thead><tr><th>scenario</th><th>kernels</th><th>summary</th><th>evidence</th><th>outcomes</th></tr></thead><tbody>${items
    .map(({ r, v }) => {
      const seen = d.matrix.columns.flatMap((c) => {
        const o = c.outcomes.get(r.id);
        return o ? [`<li>${badge(o.status, STATUS_SHORT[o.status], `${STATUS_LABEL[o.status]}${o.note ? `: ${o.note}` : ''}`)} ${esc(c.label)}</li>`] : [];
      });
      return `<tr><td><a href="#${esc(sid(r.id))}">${esc(r.id)}</a><div class="kind">${esc(r.mechanism)}</div></td><td>${esc(v.kernels)}</td><td>${esc(v.summary)}${v.fix ? `<div class="note">fix: ${esc(v.fix)}</div>` : ''}</td><td><ul>${v.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul></td><td>${seen.length ? `<ul class="plain">${seen.join('')}</ul>` : '<span class="none">no column ran it</span>'}</td></tr>`;
    })
    .join('')}</tbody></table>`;
}

function fuzzFound(d: ReportData): string {
  if (!d.fuzzRows.length) return '<p>No fuzz-found divergences: <code>fixtures/divergences/&lt;mechanism&gt;/</code> holds no rows (<code>mmspec fuzz</code> writes them there).</p>';
  return `<p class="src">from ${d.fuzzDirs.map(esc).join(', ')}</p><table class="list fuzz"><thead><tr><th>row</th><th>kernels</th><th>what differs</th><th>steps</th><th>evidence</th></tr></thead><tbody>${d.fuzzRows
    .map((r) => `<tr><td><a href="#${esc(sid(r.id))}">${esc(r.id)}</a><div class="kind">${esc(r.mechanism)} · ${esc(r.file)}</div></td><td>${esc(kernelsOf(r))}</td><td>${esc(r.title)}</td><td>${r.steps.length}</td><td><ul>${(r.evidence ?? []).map((e) => `<li>${esc(e)}</li>`).join('')}</ul></td></tr>`)
    .join('')}</tbody></table>`;
}

function coverageSection(d: ReportData & { coverage: DocCoverage[] }): string {
  const known = new Set([...d.rows, ...d.fuzzRows].map((r) => r.id));
  const summary = `<table class="list cov-summary"><thead><tr><th>document</th><th>sections covered</th><th>normative sentences cited</th><th>all sentences cited</th><th>rows</th></tr></thead><tbody>${d.coverage
    .map((c) => `<tr data-doc="${esc(c.doc)}"><td><a href="#doc-${esc(slug(c.doc))}">${esc(c.doc)}</a></td>${c.found ? `<td>${bar(c.totals.sections)}</td><td>${bar(c.totals.normative)}</td><td>${bar(c.totals.sentences)}</td>` : '<td colspan="3" class="none">not found in the Documentation tree</td>'}<td>${c.rows}</td></tr>`)
    .join('')}</tbody></table>`;
  const docs = d.coverage
    .filter((c) => c.found)
    .map((c) => {
      const secs = `<table class="list sections"><thead><tr><th>section</th><th>sentences</th><th>normative</th><th>cited by</th></tr></thead><tbody>${c.sections
        .map((s) => `<tr class="${s.citedBy.length ? 'cited' : s.counted ? 'uncited' : 'nocount'}"><td style="padding-left:${0.4 + s.level * 1.2}em">${esc(s.title)}${s.counted ? '' : ' <span class="kind">(no prose of its own: not counted)</span>'}</td><td>${s.sentences}</td><td>${s.normative}</td><td>${rowsLinks(s.citedBy, known)}</td></tr>`)
        .join('')}</tbody></table>`;
      const sents = `<div class="tools"><label><input type="checkbox" data-uncited="norm-${esc(slug(c.doc))}"> only uncited</label></div><table class="list normative" id="norm-${esc(slug(c.doc))}"><thead><tr><th>section</th><th>normative sentence</th><th>terms</th><th>cited by</th></tr></thead><tbody>${c.normative
        .map((s) => `<tr class="${s.citedBy.length ? 'cited' : 'uncited'}"><td>${esc(s.section)}</td><td>${esc(s.text)}</td><td>${esc(s.terms.join(', '))}</td><td>${rowsLinks(s.citedBy, known)}</td></tr>`)
        .join('')}</tbody></table>`;
      const unplaced = c.unplaced ? `<p class="note">${c.unplaced} citations could not be placed in the section they name (see <code>mmspec cite</code>).</p>` : '';
      return `<section class="doc" id="doc-${esc(slug(c.doc))}"><h3>${esc(c.doc)}</h3><p>sections ${bar(c.totals.sections)} · normative sentences ${bar(c.totals.normative)}</p>${unplaced}<h4>Sections</h4>${secs}<h4>Normative sentences</h4>${sents}</section>`;
    })
    .join('\n');
  return `<p class="src">documents: ${esc(d.docsLabel ?? '')}. A row cites a sentence when one of its quotes, found in the section it names, lies within the sentence or overlaps it (whitespace-insensitively). Normative: a sentence using ${NORMATIVE_TERMS.map((t) => `<i>${esc(t)}</i>`).join(', ')}.</p>${summary}${docs}`;
}

export function renderReport(d: ReportData): string {
  const mechSections = d.matrix.mechanisms
    .map((m) => {
      const items = listed(d, m);
      return `<section class="mechanism" id="mech-${esc(slug(m))}"><h2>${esc(m)}</h2><h3>Cells</h3><div class="cells">${cellDetails(d, m)}</div><h3>Scenarios</h3>${scenarioTable(d, m, items)}<h3>Details</h3>${items.map((x) => scenarioDetail(d, x)).join('\n')}</section>`;
    })
    .join('\n');
  const sources = [
    ...d.matrix.columns.map((c) => `<li><b>${esc(c.label)}</b> (${c.kind === 'kernel' ? 'recorded kernel' : 'run report'}): ${c.sources.map((x) => esc(x.text)).join('; ')}</li>`),
    `<li>tables: ${d.tables.map(esc).join(', ') || 'none'}</li>`,
  ].join('');
  const covNav = d.coverage ? '<a href="#coverage">document coverage</a>' : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mmspec report">
<title>mmspec report</title>
<style>${REPORT_CSS}</style></head>
<body>
<header><h1>mmspec conformance report</h1><p class="src">generated ${esc(d.generated.toISOString())} · ${d.rows.length} scenarios in the tables · ${d.matrix.columns.length} columns</p>
<nav><a href="#matrix-section">matrix</a> ${d.matrix.mechanisms.map((m) => `<a href="#mech-${esc(slug(m))}">${esc(m)}</a>`).join(' ')} <a href="#errata">errata</a> <a href="#divergences">known divergences</a> <a href="#fuzz">fuzz-found</a> ${covNav}</nav></header>
<main>
<section id="matrix-section"><h2>Conformance matrix</h2><p class="legend">${STATUSES.map((s) => badge(s, STATUS_LABEL[s])).join(' ')} · a cell counts one mechanism's scenarios in one column; “—” means the column has none.</p>
${matrixTable(d)}
<details class="sources"><summary>sources</summary><ul>${sources}</ul></details></section>
${mechSections}
<section id="errata"><h2>Errata</h2><p>Rows where the document is wrong: the row follows the kernel and carries the evidence.</p>${errata(d)}</section>
<section id="divergences"><h2>Known divergences</h2><p>Kernel releases that get the documented behaviour wrong, as the rows pin them.</p>${divergences(d)}</section>
<section id="fuzz"><h2>Fuzz-found divergences</h2>${fuzzFound(d)}</section>
${d.coverage ? `<section id="coverage"><h2>Document coverage</h2>${coverageSection({ ...d, coverage: d.coverage })}</section>` : ''}
</main>
<script>${REPORT_JS}</script>
</body></html>
`;
}
