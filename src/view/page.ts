/**
 * The viewer's one-page app: HTML shell and stylesheet, served by server.ts with the client's
 * ES modules (client/*.ts, compiled by the build). Nothing is loaded from elsewhere.
 *
 * Model output is untrusted: the client builds every node with createElement and textContent
 * and never assigns markup. The only markup it inserts is chart SVG from our own server (built
 * from numbers and scenario names, escaped by vega), parsed as XML and stripped of scripts and
 * event attributes on the way in.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ATP viewer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" type="module"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/">ATP viewer</a>
  <span class="tagline">Alignment Tipping Process testbed</span>
  <span class="spacer"></span>
  <span id="db" class="db"></span>
  <span id="live" class="live" hidden>live</span>
</header>
<main id="app"><p class="muted">Loading…</p></main>
</body>
</html>
`;

export const PAGE_CSS = `
:root {
  --bg: #f4f5f7; --card: #ffffff; --border: #dfe3e8; --line: #eceff3; --text: #1d2733; --muted: #66717f;
  --accent: #2f5d8a; --accent-soft: #e8eff7; --head: #1e2b3a;
  --dev: #c2412d; --dev-bg: #fbe9e5; --ali: #2d7a56; --ali-bg: #e4f3eb; --unp: #7b828c; --unp-bg: #eceef1;
  --warn-bg: #fff6e0; --warn: #8a5a00;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
code, td .mono, .small.mono, span.mono { font-size: 12.5px; }
h1 { font-size: 22px; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 16px; margin: 0; font-weight: 650; }
h3 { font-size: 14px; margin: 18px 0 8px; font-weight: 650; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.spacer { flex: 1; }
header.top { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 14px; padding: 10px 28px; background: var(--head); color: #fff; }
header.top .brand { color: #fff; font-weight: 700; font-size: 15px; letter-spacing: 0.01em; }
header.top .tagline { color: #aab6c3; font-size: 13px; }
header.top .db { color: #cfd8e2; font-size: 12.5px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.live { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: #b9f0cf; }
.live[hidden] { display: none; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #3ddc84; animation: pulse 1.6s infinite; }
@keyframes pulse { 0%, 100% { opacity: 1; } 50% { opacity: 0.3; } }
main { max-width: 1440px; margin: 0 auto; padding: 20px 28px 60px; }
.crumbs { font-size: 13px; color: var(--muted); margin-bottom: 8px; }
.crumbs a + span::before, .crumbs span + span::before, .crumbs a + a::before { content: "/"; margin: 0 7px; color: #b0b7c0; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 18px 20px; margin-bottom: 18px; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
.card-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.note { background: var(--warn-bg); color: var(--warn); border-radius: 8px; padding: 8px 12px; margin-bottom: 14px; font-size: 13px; }
.error { background: var(--dev-bg); color: var(--dev); border-radius: 8px; padding: 10px 14px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; line-height: 20px; white-space: nowrap; background: var(--unp-bg); color: var(--unp); }
.badge.done { background: var(--ali-bg); color: var(--ali); }
.badge.running { background: var(--accent-soft); color: var(--accent); }
.badge.failed { background: var(--dev-bg); color: var(--dev); }
.badge.interrupted, .badge.pending { background: var(--warn-bg); color: var(--warn); }
.chip { display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px; border-radius: 6px; font-size: 12.5px; font-weight: 600; line-height: 21px; white-space: nowrap; }
.chip.deviant { background: var(--dev-bg); color: var(--dev); }
.chip.aligned { background: var(--ali-bg); color: var(--ali); }
.chip.unparseable { background: var(--unp-bg); color: var(--unp); }
.chip.plain { background: #f0f2f5; color: var(--text); font-weight: 500; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; background: #fafbfc; border-bottom: 1px solid var(--border); }
td.num, th.num { text-align: right; }
tbody tr.link { cursor: pointer; }
tbody tr.link:hover { background: #f5f8fc; }
.table-wrap { overflow-x: auto; }
.ci { display: block; color: var(--muted); font-size: 11.5px; }
.progress { display: flex; align-items: center; gap: 8px; min-width: 140px; }
.bar { position: relative; flex: 1; height: 7px; border-radius: 4px; background: #e7eaee; overflow: hidden; min-width: 70px; }
.bar > span { position: absolute; top: 0; bottom: 0; left: 0; background: var(--accent); }
.bar > span.failed { background: var(--dev); }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px 24px; margin: 0; }
dl.meta div { min-width: 0; }
dl.meta dt { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
dl.meta dd { margin: 1px 0 0; overflow-wrap: anywhere; }
.grid2 { display: grid; grid-template-columns: minmax(0, 3fr) minmax(220px, 1fr); gap: 20px; align-items: start; }
.halves { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; align-items: start; }
.caption { font-size: 12px; color: var(--muted); margin: 0 0 6px; }
.diff-up { color: var(--dev); font-weight: 600; }
.diff-down { color: var(--ali); font-weight: 600; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 10px; }
.stat .value { font-size: 26px; font-weight: 650; letter-spacing: -0.02em; }
.stat .label { font-size: 12px; color: var(--muted); }
figure.chart { margin: 0 0 8px; min-height: 60px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.chart-loading, .chart-error { color: var(--muted); font-size: 13px; padding: 20px 0; }
.chart-error { color: var(--dev); }
.heat td.num { min-width: 62px; }
.filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: end; margin-bottom: 12px; }
.filters label { display: flex; flex-direction: column; gap: 3px; font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
select, button { font: inherit; font-size: 13px; }
select { padding: 5px 8px; border: 1px solid var(--border); border-radius: 6px; background: #fff; color: var(--text); min-width: 120px; }
button { padding: 6px 14px; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; font-weight: 600; }
button.secondary { background: #fff; color: var(--accent); }
button:disabled { opacity: 0.45; cursor: default; }
.pager { display: flex; gap: 10px; align-items: center; justify-content: flex-end; margin-top: 10px; font-size: 13px; }
.pills { display: flex; gap: 3px; flex-wrap: wrap; }
.pill { display: inline-flex; align-items: center; justify-content: center; min-width: 24px; height: 22px; padding: 0 5px; border-radius: 5px; font-size: 11.5px; font-weight: 700; color: #fff; }
.pill.deviant { background: var(--dev); }
.pill.aligned { background: var(--ali); }
.pill.unparseable { background: #a3a9b1; }
.pill.game { color: var(--text); border: 1px solid #d6dae0; }
.pill.game.success { border-color: var(--text); }
.pill.tool { color: var(--text); border: 1px solid #cfe3d8; min-width: 34px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12.5px; color: var(--muted); margin: 4px 0 10px; }
.headline-list { margin: 0; padding: 0; list-style: none; }
.headline-list li { white-space: nowrap; }
.headline-list .t { display: inline-block; min-width: 42px; color: var(--muted); }
.rounds { display: flex; flex-direction: column; gap: 14px; }
.round { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 14px 18px; }
.round-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-bottom: 10px; }
.round-head h3 { margin: 0; font-size: 15px; }
.msg { border-radius: 10px; padding: 10px 14px; margin: 8px 0; max-width: 920px; }
.msg .who { font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); margin-bottom: 3px; font-weight: 600; }
.msg.system { background: #f3f1fb; border: 1px solid #e3def5; }
.msg.user { background: #f3f6f9; border: 1px solid #e3e8ee; }
.msg.feedback { background: #fff; border: 1px dashed #d5dbe2; }
.msg.assistant { background: #fff; border: 1px solid #cfdbe8; border-left: 3px solid var(--accent); margin-left: 28px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.text .show-all { margin-top: 6px; font-size: 12.5px; }
details.think { margin: 4px 0 8px; border: 1px solid #e6e1f5; background: #faf9fe; border-radius: 8px; padding: 6px 10px; }
details.think > summary { cursor: pointer; color: #6b5ca5; font-size: 12.5px; font-weight: 600; }
details.think[open] > summary { margin-bottom: 6px; }
details.think .text { color: #4d4866; font-size: 13px; }
details.fold > summary { cursor: pointer; color: var(--muted); font-size: 12.5px; }
details.fold[open] > summary { margin-bottom: 4px; }
.decision { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin: 8px 0 0 28px; font-size: 13px; }
.decision .kv { color: var(--muted); }
.decision .kv b { color: var(--text); font-weight: 600; }
.outcome { margin-top: 8px; font-size: 12.5px; color: var(--muted); }
.agents { display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: 12px; }
.agent { border: 1px solid var(--border); border-radius: 9px; padding: 10px 12px; background: #fff; min-width: 0; }
.agent.deviant { border-top: 3px solid var(--dev); }
.agent.aligned { border-top: 3px solid var(--ali); }
.agent.unparseable { border-top: 3px solid #a3a9b1; }
.agent-head { display: flex; align-items: center; gap: 8px; margin-bottom: 6px; }
.agent-head b { font-size: 13.5px; }
.agent .answer { font-size: 13px; }
.agent .decision { margin-left: 0; font-size: 12.5px; }
.compare { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; }
.compare-pick { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; }
.empty { color: var(--muted); padding: 10px 0; }
@media (max-width: 900px) { .grid2, .halves, .compare { grid-template-columns: 1fr; } main { padding: 14px; } }
`;
