// The report's inline style and script: nothing is fetched from anywhere.

export const REPORT_CSS = `
:root { --fg:#1d2329; --muted:#5d6b78; --line:#d5dbe1; --bg:#ffffff; --alt:#f5f7f9;
  --passed:#1f7a3a; --passed-bg:#dff3e4; --failed:#b3261e; --failed-bg:#fbe1df; --flaky:#8a5a00; --flaky-bg:#fdf0cf;
  --kdiv:#6b3fa0; --kdiv-bg:#eee3fa; --skipped:#55606b; --skipped-bg:#e8ecef; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; color:var(--fg); background:var(--bg); }
header { background:#22303c; color:#fff; padding:14px 24px; }
header h1 { margin:0 0 4px; font-size:22px; }
header .src { color:#c9d3dc; }
header nav a { color:#9fd0ff; margin-right:10px; }
main { padding:8px 24px 48px; }
h2 { border-bottom:2px solid var(--line); padding-bottom:4px; margin-top:32px; }
h3 { margin:20px 0 8px; }
a { color:#0b5cad; text-decoration:none; }
a:hover { text-decoration:underline; }
code, pre, .diff { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size:12.5px; }
table { border-collapse:collapse; margin:6px 0 12px; }
th, td { border:1px solid var(--line); padding:4px 8px; vertical-align:top; text-align:left; }
thead th { background:var(--alt); position:sticky; top:0; }
.matrix td.cell { min-width:150px; }
.matrix td.cell.failed { background:var(--failed-bg); }
.matrix td.cell.flaky { background:var(--flaky-bg); }
.matrix td.cell.passed { background:#f3fbf5; }
.matrix td.cell.known-divergence { background:#f8f3fd; }
.matrix td.empty { color:var(--muted); text-align:center; }
.kind { color:var(--muted); font-size:12px; font-weight:normal; }
.b { display:inline-block; border-radius:3px; padding:0 5px; font-size:12px; font-weight:600; white-space:nowrap; }
.b.passed { color:var(--passed); background:var(--passed-bg); }
.b.failed { color:var(--failed); background:var(--failed-bg); }
.b.flaky { color:var(--flaky); background:var(--flaky-bg); }
.b.known-divergence { color:var(--kdiv); background:var(--kdiv-bg); }
.b.skipped { color:var(--skipped); background:var(--skipped-bg); }
.cells { display:flex; flex-wrap:wrap; gap:10px; }
.cell-detail { border:1px solid var(--line); border-radius:4px; padding:6px 10px; flex:1 1 320px; max-width:640px; }
.cell-detail h4 { margin:0; }
.cell-detail ul { padding-left:18px; margin:4px 0; }
.src, .counts, .legend { color:var(--muted); }
.scenarios tr.notable td:first-child { border-left:3px solid var(--failed); }
.scenarios td { padding:2px 6px; }
.none { color:var(--muted); }
.tag { font-size:11px; background:#fff3c4; border-radius:3px; padding:0 4px; }
details.scenario { border:1px solid var(--line); border-radius:4px; margin:4px 0; padding:4px 10px; }
details.scenario.failing { border-color:var(--failed); }
details.scenario > summary { cursor:pointer; }
details.scenario .sb { float:right; }
dl.meta { display:grid; grid-template-columns:max-content 1fr; gap:0 12px; margin:8px 0; }
dl.meta dt { color:var(--muted); }
dl.meta dd { margin:0; }
ul.cites { margin:4px 0; padding-left:18px; }
ul.cites .doc { color:var(--muted); }
.outcome { border-left:3px solid var(--line); padding:2px 10px; margin:6px 0; }
.outcome.failed { border-color:var(--failed); }
.outcome.flaky { border-color:var(--flaky); }
.outcome.known-divergence { border-color:var(--kdiv); }
.reason { white-space:pre-wrap; }
.note { color:var(--flaky); }
pre.diff { background:#fbfbfb; border:1px solid var(--line); padding:6px 8px; overflow-x:auto; margin:4px 0; }
pre.diff .del { color:var(--failed); background:#fdeceb; display:inline-block; min-width:100%; }
pre.diff .add { color:var(--passed); background:#e9f7ed; display:inline-block; min-width:100%; }
pre.diff .hunk { color:var(--kdiv); }
pre.diff .hd { color:var(--muted); }
table.list ul { margin:0; padding-left:16px; }
ul.plain { list-style:none; padding-left:0 !important; white-space:nowrap; }
.bar { display:inline-block; width:110px; height:10px; background:var(--failed-bg); border-radius:5px; overflow:hidden; vertical-align:middle; }
.bar span { display:block; height:100%; background:var(--passed); }
tr.uncited td { background:#fff6f5; }
tr.nocount td { color:var(--muted); }
details.many summary { cursor:pointer; color:#0b5cad; }
.tools { margin:6px 0; }
.tools input[type=search] { padding:3px 6px; width:260px; }
.hidden { display:none; }
`;

/** Opens the details a link points into; filters scenario and sentence tables; marks the page ready. */
export const REPORT_JS = `
(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el) return;
    for (var e = el; e; e = e.parentElement) if (e.tagName === 'DETAILS') e.open = true;
    el.scrollIntoView();
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  function refresh(tableId) {
    var table = document.getElementById(tableId);
    if (!table) return;
    var text = document.querySelector('input[data-filter="' + tableId + '"]');
    var notable = document.querySelector('input[data-notable="' + tableId + '"]');
    var uncited = document.querySelector('input[data-uncited="' + tableId + '"]');
    var q = text ? text.value.trim().toLowerCase() : '';
    table.querySelectorAll('tbody tr').forEach(function (tr) {
      var hide = (q && (tr.getAttribute('data-id') || tr.textContent).toLowerCase().indexOf(q) < 0)
        || (notable && notable.checked && !tr.classList.contains('notable'))
        || (uncited && uncited.checked && !tr.classList.contains('uncited'));
      tr.classList.toggle('hidden', !!hide);
    });
  }
  document.querySelectorAll('input[data-filter], input[data-notable], input[data-uncited]').forEach(function (input) {
    var target = input.getAttribute('data-filter') || input.getAttribute('data-notable') || input.getAttribute('data-uncited');
    input.addEventListener('input', function () { refresh(target); });
    input.addEventListener('change', function () { refresh(target); });
  });
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;
