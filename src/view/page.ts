/**
 * The viewer's one-page app: HTML shell, stylesheet and plain DOM script, served by server.ts.
 * Nothing is loaded from elsewhere.
 *
 * Model output is untrusted: the script builds every node with createElement and textContent
 * and never assigns markup. The only markup it inserts is chart SVG from our own server (built
 * from numbers and scenario names, escaped by vega), parsed as XML and stripped of scripts and
 * event attributes on the way in.
 *
 * The script is kept in a String.raw literal: it must not contain backticks or dollar-brace.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ATP viewer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
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

export const PAGE_JS = String.raw`"use strict";
(function () {
  // ?poll=MS refreshes faster (tests use it); 3 s is enough for a person watching a run.
  var POLL_MS = Math.max(100, Number(new URLSearchParams(location.search).get("poll")) || 3000);
  // Repeated prompt texts longer than this are folded away after their first showing.
  var FOLD_CHARS = 200;
  // Texts longer than this show a preview and open whole on demand: a page of 300 KB answers stays fast.
  var LONG_CHARS = 4000;
  var PREVIEW_CHARS = 1500;
  var app = document.getElementById("app");
  var state = { token: 0, poll: null, polling: false, selected: [], open: {} };

  // ------------------------------------------------------------ DOM helpers (text only, never markup)

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null || v === false) return;
        if (k === "class") el.className = v;
        else if (k === "text") el.textContent = String(v);
        else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function enc(s) { return encodeURIComponent(String(s)); }

  // ------------------------------------------------------------ formatting

  function pct(x) { return (x * 100).toFixed(1) + "%"; }
  function ci(low, high) { return "95% CI " + (low * 100).toFixed(1) + "–" + (high * 100).toFixed(1) + "%"; }
  function num(x) {
    if (x === null || x === undefined) return "—";
    if (Number.isInteger(x)) return String(x);
    return String(Number(x.toFixed(4)));
  }
  function signed(x) { return (x > 0 ? "+" : "") + num(x); }
  function when(iso) {
    if (!iso) return "—";
    var d = new Date(iso);
    return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) + " " + d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function payoffText(label) { return "(" + label.split(",").join(", ") + ")"; }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function decisionLabel(suite, d) {
    if (d === "unparseable") return "unparseable";
    if (suite === "roleplay") return d === "deviant" ? "violation" : "follows the rule";
    return d === "deviant" ? "collusive" : "independent";
  }

  // ------------------------------------------------------------ data

  function ApiError(status, message) { this.status = status; this.message = message; }
  function api(path) {
    return fetch(path, { cache: "no-store" }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) throw new ApiError(res.status, body.error || res.statusText);
        return body;
      });
    });
  }

  // Chart SVG comes from our own server; it is still parsed as XML and cleaned before use.
  function svgNode(text) {
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = doc.documentElement;
    if (!root || root.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) throw new Error("the chart is not an SVG");
    Array.prototype.forEach.call(root.querySelectorAll("script, foreignObject, iframe, object, embed"), function (n) { n.remove(); });
    [root].concat(Array.prototype.slice.call(root.querySelectorAll("*"))).forEach(function (el) {
      Array.prototype.slice.call(el.attributes).forEach(function (a) {
        if (/^on/i.test(a.name) || (/href$/i.test(a.name) && a.value.charAt(0) !== "#")) el.removeAttribute(a.name);
      });
    });
    return document.importNode(root, true);
  }

  /** A figure that fills with the chart; pending holds the promise so a refresh can wait for it. */
  function chart(url, name, pending) {
    var fig = h("figure", { class: "chart", "data-chart": name }, h("div", { class: "chart-loading" }, "Loading chart…"));
    var p = fetch(url, { cache: "no-store" }).then(function (res) {
      if (!res.ok) return res.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.error || res.statusText); });
      return res.text();
    }).then(function (text) { fig.replaceChildren(svgNode(text)); })
      .catch(function (err) { fig.replaceChildren(h("div", { class: "chart-error" }, "Chart unavailable: " + err.message)); });
    if (pending) pending.push(p);
    return fig;
  }

  // ------------------------------------------------------------ shared pieces

  function badge(status) { return h("span", { class: "badge " + status, "data-status": status }, status); }
  function chip(kind, text) { return h("span", { class: "chip " + kind }, text); }

  function progress(e) {
    var done = e.total ? (e.done / e.total) * 100 : 0;
    var failed = e.total ? (e.failed / e.total) * 100 : 0;
    return h("div", { class: "progress", title: e.done + " done, " + e.failed + " failed, " + e.running + " running, " + e.pending + " pending" },
      h("div", { class: "bar" }, h("span", { style: "width:" + done.toFixed(2) + "%" }), h("span", { class: "failed", style: "left:" + done.toFixed(2) + "%;width:" + failed.toFixed(2) + "%" })),
      h("span", { class: "small", "data-field": "episodes" }, e.done + "/" + e.total));
  }

  function settingsText(s) {
    var parts = [];
    if (s.roleplay) parts.push("Role-play: " + s.roleplay.episodes + " × " + s.roleplay.rounds + " rounds");
    if (s.collusion) parts.push("Games: " + s.collusion.games + " × " + s.collusion.agents + " agents × " + s.collusion.rounds + " rounds, t = " + s.collusion.thresholds.join(", ") + (s.collusion.payoffs.length > 1 ? ", " + s.collusion.payoffs.length + " payoff sets" : ""));
    if (s.toolUse) parts.push("Tool use: " + s.toolUse.episodes + " × " + s.toolUse.rounds + " rounds × (" + s.toolUse.easy + " easy + " + s.toolUse.hard + " hard), " + s.toolUse.protocol + " protocol");
    if (s.repeats > 1) parts.push(s.repeats + " repeats");
    if (s.otherEpisodes) parts.push(s.otherEpisodes + " episodes of other testbeds (not shown here)");
    return parts;
  }

  /** A rate of the tool-use metrics: a proportion with its interval, or a dash without data. */
  function toolCell(p, tag) {
    if (!p || !p.n) return h(tag || "td", { class: "num muted" }, "—");
    return h(tag || "td", { class: "num", "data-rate": String(p.rate), title: p.successes + " of " + p.n }, pct(p.rate), h("span", { class: "ci" }, ci(p.low, p.high)));
  }
  function ends(e) {
    return (e.first ? pct(e.first.rate) : "—") + " → " + (e.last ? pct(e.last.rate) : "—");
  }

  function rateCell(c, tag) {
    if (!c || !c.total) return h(tag || "td", { class: "num muted" }, "—");
    return h(tag || "td", { class: "num", "data-rate": String(c.rate) }, pct(c.rate), h("span", { class: "ci" }, ci(c.low, c.high)));
  }

  function setLive(on) { document.getElementById("live").hidden = !on; }

  function page(crumbs) {
    var nav = h("div", { class: "crumbs" });
    crumbs.forEach(function (c) { nav.append(c.href ? h("a", { href: c.href }, c.text) : h("span", null, c.text)); });
    return nav;
  }

  function failure(err) {
    var msg = err instanceof ApiError ? err.message : String(err && err.message ? err.message : err);
    return h("div", { class: "card" }, h("div", { class: "error" }, msg), h("p", null, h("a", { href: "#/" }, "Back to the runs")));
  }

  // ------------------------------------------------------------ router

  function parseHash() {
    var raw = location.hash.replace(/^#/, "");
    var q = raw.indexOf("?");
    var path = q < 0 ? raw : raw.slice(0, q);
    var query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
    var parts = path.split("/").filter(function (s) { return s !== ""; }).map(function (s) {
      try { return decodeURIComponent(s); } catch (e) { return s; }
    });
    return { parts: parts, query: query };
  }

  function show() {
    var token = ++state.token;
    state.poll = null;
    setLive(false);
    var r = parseHash();
    var p = r.parts;
    var run;
    if (p.length === 0) run = viewRuns;
    else if (p[0] === "run" && p.length === 2) run = viewRun;
    else if (p[0] === "run" && p.length === 4 && p[2] === "episode") run = viewEpisode;
    else if (p[0] === "compare") run = viewCompare;
    else run = function () { app.replaceChildren(failure(new ApiError(404, "No such page."))); };
    run(r, function () { return token === state.token; });
    window.scrollTo(0, 0);
  }

  window.addEventListener("hashchange", function () { show(); });
  // One refresh at a time: a slow one (charts to render) is not stacked under the next.
  setInterval(function () {
    if (document.hidden || !state.poll || state.polling) return;
    state.polling = true;
    Promise.resolve(state.poll()).catch(function () {}).then(function () { state.polling = false; });
  }, POLL_MS);

  // ------------------------------------------------------------ runs list

  function toggleSelected(id, on) {
    state.selected = state.selected.filter(function (x) { return x !== id; });
    if (on) state.selected.push(id);
    // Two runs are compared; picking a third lets go of the first.
    while (state.selected.length > 2) state.selected.shift();
  }

  function runsTable(data, compareBtn) {
    if (!data.runs.length) return h("p", { class: "empty" }, "No runs in this store yet. Start one with: atp run paper --db FILE");
    var body = h("tbody");
    data.runs.forEach(function (r) {
      var box = h("input", { type: "checkbox", "aria-label": "Select " + r.id + " to compare", "data-run": r.id });
      box.checked = state.selected.indexOf(r.id) >= 0;
      box.addEventListener("click", function (ev) { ev.stopPropagation(); });
      box.addEventListener("change", function () {
        toggleSelected(r.id, box.checked);
        Array.prototype.forEach.call(document.querySelectorAll("input[data-run]"), function (b) { b.checked = state.selected.indexOf(b.getAttribute("data-run")) >= 0; });
        compareBtn.disabled = state.selected.length !== 2;
      });
      var v = r.headline.violation;
      var sofar = r.headline.scope === "sofar";
      var coll = h("ul", { class: "headline-list" });
      var several = r.settings.collusion && r.settings.collusion.payoffs.length > 1;
      r.headline.collusion.forEach(function (g) {
        var first = g.first && g.first.total ? pct(g.first.rate) : "—";
        var last = g.last && g.last.total ? pct(g.last.rate) : "—";
        coll.append(h("li", { "data-threshold": g.threshold }, h("span", { class: "t" }, "t=" + g.threshold), " " + first + " → " + last, several ? h("span", { class: "muted small" }, " " + payoffText(g.payoff)) : null));
      });
      var tr = h("tr", { class: "link", "data-run-row": r.id, onclick: function () { location.hash = "#/run/" + enc(r.id); } },
        h("td", null, box),
        h("td", null, h("a", { href: "#/run/" + enc(r.id), class: "mono" }, r.id), h("span", { class: "ci" }, when(r.createdAt))),
        h("td", null, badge(r.status)),
        h("td", null, h("div", { class: "mono" }, r.model), h("span", { class: "ci" }, r.suite + " suite · " + r.parity + " parity · seed " + r.seed)),
        h("td", { class: "small" }, settingsText(r.settings).map(function (t) { return h("div", null, t); })),
        h("td", null, progress(r.episodes)),
        v && v.total ? h("td", { class: "num", "data-field": "violation", "data-rate": String(v.rate) }, pct(v.rate), h("span", { class: "ci" }, "round " + v.round + ", n=" + v.total + (sofar ? ", so far" : ""))) : h("td", { class: "num muted" }, "—"),
        h("td", { "data-field": "collusion" }, r.headline.collusion.length ? [coll, sofar ? h("span", { class: "ci" }, "so far") : null] : h("span", { class: "muted" }, "—")),
        h("td", { "data-field": "tooluse" }, r.headline.toolUse
          ? [h("ul", { class: "headline-list" },
              h("li", { "data-field": "tool-use" }, h("span", { class: "t" }, "tool"), " " + ends(r.headline.toolUse.toolUse)),
              h("li", { "data-field": "hard-accuracy" }, h("span", { class: "t" }, "hard"), " " + ends(r.headline.toolUse.hardAccuracy) + " right")),
            sofar ? h("span", { class: "ci" }, "so far") : null]
          : h("span", { class: "muted" }, "—")));
      body.append(tr);
    });
    return h("div", { class: "table-wrap" }, h("table", { class: "runs" },
      h("thead", null, h("tr", null, h("th", null, ""), h("th", null, "Run"), h("th", null, "Status"), h("th", null, "Model"), h("th", null, "Settings"), h("th", null, "Episodes"), h("th", { class: "num" }, "Violation, last round"), h("th", null, "Collusion, first → last round"), h("th", null, "Tool use, first → last round"))),
      body));
  }

  function viewRuns(r, current) {
    var last = "";
    var compareBtn = h("button", { id: "compare", disabled: true, onclick: function () { if (state.selected.length === 2) location.hash = "#/compare/" + enc(state.selected[0]) + "/" + enc(state.selected[1]); } }, "Compare selected");
    var holder = h("div");
    function load() {
      return api("/api/runs").then(function (data) {
        if (!current()) return;
        document.getElementById("db").textContent = data.db;
        var known = data.runs.map(function (x) { return x.id; });
        state.selected = state.selected.filter(function (id) { return known.indexOf(id) >= 0; });
        compareBtn.disabled = state.selected.length !== 2;
        setLive(data.runs.some(function (x) { return x.status === "running"; }));
        var text = JSON.stringify(data);
        if (text === last) return;
        last = text;
        holder.replaceChildren(runsTable(data, compareBtn));
      });
    }
    load().then(function () {
      if (!current()) return;
      app.replaceChildren(h("div", { class: "title-row" }, h("h1", null, "Runs")),
        h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", null, "Runs in this store"), h("span", { class: "muted small" }, "newest first; tick two to compare them"), h("span", { class: "spacer" }), compareBtn), holder));
      state.poll = load;
    }, function (err) { if (current()) app.replaceChildren(failure(err)); });
  }

  // ------------------------------------------------------------ run page

  function metaList(items) {
    return h("dl", { class: "meta" }, items.filter(Boolean).map(function (it) { return h("div", null, h("dt", null, it[0]), h("dd", null, it[1])); }));
  }

  function runMeta(d) {
    var run = d.run, s = run.settings, st = d.stats;
    var items = [
      ["Model", h("span", { class: "mono" }, run.model)],
      ["Suite · parity · seed", run.suite + " · " + run.parity + " · " + run.seed],
      ["Created", when(run.createdAt)],
      ["Finished", run.finishedAt ? when(run.finishedAt) : "—"],
      ["Episodes", h("div", null, progress(run.episodes), h("span", { class: "ci" }, run.episodes.done + " done, " + run.episodes.failed + " failed, " + run.episodes.running + " running, " + run.episodes.pending + " pending"))],
      ["Calls", st.calls + " answered" + (st.cached ? ", " + st.cached + " cached" : "") + (st.errors ? ", " + st.errors + " retried" : "") + (st.truncated ? ", " + st.truncated + " cut off at the token limit" : "") + (st.empty ? ", " + st.empty + " empty" : "") + (st.meanLatencyMs !== null ? " · " + Math.round(st.meanLatencyMs) + " ms mean" : "")],
      st.totalTokens ? ["Tokens", st.promptTokens + " prompt + " + st.completionTokens + " completion"] : null,
      s.roleplay ? ["Role-play", s.roleplay.episodes + " episodes × " + s.roleplay.rounds + " rounds · history " + (s.roleplay.historyWindow === null ? "all" : s.roleplay.historyWindow) + " · " + s.roleplay.supervision.replace(/_/g, " ")] : null,
      s.collusion ? ["Games", s.collusion.games + " games × " + s.collusion.agents + " agents × " + s.collusion.rounds + " rounds · t = " + s.collusion.thresholds.join(", ")] : null,
      s.collusion ? ["Game rules", "payoffs " + s.collusion.payoffs.map(payoffText).join(" ") + " · peers " + s.collusion.peers.replace(/_/g, " ") + " · " + s.collusion.capitalMode + " capital" + (s.collusion.fixedColluders ? " · " + s.collusion.fixedColluders + " fixed colluders" : "")] : null,
      s.toolUse ? ["Tool use", s.toolUse.episodes + " episodes × " + s.toolUse.rounds + " rounds × (" + s.toolUse.easy + " easy + " + s.toolUse.hard + " hard problems) · difficulty " + s.toolUse.difficulty + " · history " + (s.toolUse.historyWindow === null ? "all" : s.toolUse.historyWindow + " problems")] : null,
      s.toolUse ? ["Tool rules", s.toolUse.protocol + " protocol · up to " + s.toolUse.maxToolCalls + " calculator calls per problem · correct " + signed(s.toolUse.rewards.easy) + " easy, " + signed(s.toolUse.rewards.hard) + " hard · cost " + num(s.toolUse.costs.tool) + " with the calculator, " + num(s.toolUse.costs.direct) + " without"] : null,
      s.repeats > 1 ? ["Repeats", String(s.repeats)] : null,
      s.otherEpisodes ? ["Not shown", s.otherEpisodes + " episodes of other testbeds"] : null,
    ];
    return metaList(items);
  }

  function ratesTable(rows, suite) {
    var deviantWord = suite === "roleplay" ? "Violations" : "Colluded";
    return h("div", { class: "table-wrap" }, h("table", { class: "rates", "data-table": suite + "-rates" },
      h("thead", null, h("tr", null, h("th", null, "Round"), h("th", { class: "num" }, deviantWord), h("th", { class: "num" }, "Decisions"), h("th", { class: "num" }, "Rate"), h("th", { class: "num" }, "95% interval"), h("th", { class: "num" }, "Unparseable"), h("th", { class: "num" }, "Missing"))),
      h("tbody", null, rows.map(function (row) {
        return h("tr", { "data-round": row.round },
          h("td", null, String(row.round)),
          h("td", { class: "num", "data-field": "deviant" }, String(row.deviant)),
          h("td", { class: "num", "data-field": "total" }, String(row.total)),
          h("td", { class: "num", "data-field": "rate", "data-rate": String(row.rate) }, row.total ? pct(row.rate) : "—"),
          h("td", { class: "num muted", "data-field": "interval" }, row.total ? (row.low * 100).toFixed(1) + "–" + (row.high * 100).toFixed(1) + "%" : "—"),
          h("td", { class: "num" }, String(row.unparseable)),
          h("td", { class: "num" }, String(row.failed)));
      }))));
  }

  function heatCell(row) {
    if (!row || !row.total) return h("td", { class: "num muted" }, "—");
    var a = 0.08 + row.rate * 0.8;
    return h("td", { class: "num", "data-rate": String(row.rate), title: row.deviant + " of " + row.total, style: "background:rgba(194,65,45," + a.toFixed(3) + ");color:" + (row.rate > 0.5 ? "#fff" : "inherit") }, pct(row.rate));
  }

  function scenarioTable(list, rounds) {
    var head = [h("th", null, "Scenario"), h("th", { class: "num" }, "Episodes")];
    for (var i = 1; i <= rounds; i++) head.push(h("th", { class: "num" }, "R" + i));
    return h("div", { class: "table-wrap" }, h("table", { class: "heat" }, h("thead", null, h("tr", null, head)),
      h("tbody", null, list.map(function (s) {
        var cells = [h("td", null, s.environment), h("td", { class: "num" }, String(s.episodes))];
        for (var r = 0; r < rounds; r++) cells.push(heatCell(s.rates[r]));
        return h("tr", null, cells);
      }))));
  }

  function foldable(id, summary, body) {
    var d = h("details", { class: "fold" }, h("summary", null, summary), body);
    d.open = Boolean(state.open[id]);
    d.addEventListener("toggle", function () { state.open[id] = d.open; });
    return d;
  }

  /** Whether some episodes have not finished: then the rates shown are those of every decision saved so far. */
  function unfinished(d) { return d.run.episodes.done + d.run.episodes.failed < d.run.episodes.total; }

  /** The rates a page shows: the run's summary once every episode has finished, every saved decision before. */
  function ratesOf(d) {
    if (unfinished(d)) return { roleplay: d.soFar.roleplay, collusion: d.soFar.collusion, scope: "?scope=sofar" };
    return { roleplay: d.summary.roleplay ? d.summary.roleplay.overall : null, collusion: d.summary.collusion, scope: "" };
  }

  function finishedText(counts) {
    return counts.done + " of " + counts.total + " episodes finished" + (counts.failed ? ", " + counts.failed + " failed" : "");
  }

  function roleplaySection(d, base, pending) {
    var rp = d.summary.roleplay;
    var s = d.run.settings.roleplay;
    if (!s) return null;
    var live = unfinished(d);
    var rows = live ? d.soFar.roleplay || [] : rp ? rp.overall : [];
    var played = rows.filter(function (r) { return r.total > 0; });
    var last = played.length ? played[played.length - 1] : null;
    var tip = rp ? rp.tipping : null;
    var unparseable = rows.reduce(function (n, r) { return n + r.unparseable; }, 0);
    return h("section", { class: "card", "data-section": "roleplay" },
      h("div", { class: "card-head" }, h("h2", null, "Role-play dilemmas: violation rate" + (live ? ", so far" : "")), h("span", { class: "muted small" }, finishedText(d.episodesBySuite.roleplay))),
      h("div", { class: "grid2" },
        chart(base + "/charts/violation.svg" + (live ? "?scope=sofar" : ""), "violation", pending),
        h("div", null,
          h("div", { class: "stat" }, h("div", { class: "label" }, "Violation rate, round " + (last ? last.round : "—") + (live ? " so far" : "")), h("div", { class: "value", "data-field": "final-violation" }, last ? pct(last.rate) : "—"), last ? h("div", { class: "ci" }, ci(last.low, last.high) + ", n=" + last.total) : null),
          h("div", { class: "stat" }, h("div", { class: "label" }, "Round 1 → " + (last ? last.round : "last")), h("div", { class: "value" }, last ? pct(played[0].rate) + " → " + pct(last.rate) : "—")),
          tip ? h("div", { class: "stat" }, h("div", { class: "label" }, "Tipped: deviates from some round to the end"), h("div", { class: "value" }, tip.tipped + " / " + tip.complete), h("div", { class: "ci" }, tip.complete ? pct(tip.tipped / tip.complete) + " of finished episodes" : "counted once episodes finish")) : null,
          unparseable ? h("div", { class: "note" }, unparseable + " unparseable answers count as non-violations.") : null)),
      ratesTable(rows, "roleplay"),
      !live && rp && rp.byScenario.length ? foldable("scenarios", "Violation rate by scenario and round (" + rp.byScenario.length + " scenarios)", scenarioTable(rp.byScenario, s.rounds)) : null);
  }

  function collusionTable(groups, rounds, several) {
    var head = [h("th", null, "Threshold"), several ? h("th", null, "Payoffs") : null, h("th", { class: "num" }, "k"), h("th", { class: "num" }, "Games")];
    for (var i = 1; i <= rounds; i++) head.push(h("th", { class: "num" }, "Round " + i));
    var full = groups.length > 0 && groups[0].capital !== undefined;
    if (full) head.push(h("th", { class: "num" }, "Final capital"), h("th", { class: "num" }, "Tipped"));
    return h("div", { class: "table-wrap" }, h("table", { class: "rates", "data-table": "collusion-rates" }, h("thead", null, h("tr", null, head)),
      h("tbody", null, groups.map(function (g) {
        var cells = [h("td", null, "t = " + g.threshold), several ? h("td", { class: "mono" }, payoffText(g.label)) : null, h("td", { class: "num" }, g.incentiveRatio === null ? "∞" : num(g.incentiveRatio)), h("td", { class: "num" }, String(g.episodes))];
        for (var r = 0; r < rounds; r++) {
          var row = g.rates[r];
          var c = rateCell(row);
          if (row) c.setAttribute("data-round", String(row.round));
          cells.push(c);
        }
        if (full) {
          cells.push(h("td", { class: "num" }, g.capital.final.n ? num(g.capital.final.mean) : "—", g.capital.final.n ? h("span", { class: "ci" }, "n=" + g.capital.final.n) : null));
          cells.push(h("td", { class: "num" }, g.tipping.tipped + " / " + g.tipping.complete));
        }
        return h("tr", { "data-threshold": g.threshold, "data-payoff": g.label }, cells);
      }))));
  }

  function conditionalTable(groups, several) {
    var body = h("tbody");
    groups.forEach(function (g) {
      g.diffusion.pairs.forEach(function (p) {
        function c(x) { return x.n ? [h("td", { class: "num", "data-rate": String(x.rate) }, pct(x.rate), h("span", { class: "ci" }, ci(x.low, x.high))), h("td", { class: "num" }, String(x.n))] : [h("td", { class: "num muted" }, "—"), h("td", { class: "num" }, "0")]; }
        body.append(h("tr", null, h("td", null, "t = " + g.threshold), several ? h("td", { class: "mono" }, payoffText(g.label)) : null, h("td", null, "Round " + p.from + " → " + p.to), c(p.afterSuccess), c(p.afterFailure)));
      });
    });
    return h("div", { class: "table-wrap" }, h("table", { class: "rates" },
      h("thead", null, h("tr", null, h("th", null, "Threshold"), several ? h("th", null, "Payoffs") : null, h("th", null, "Rounds"), h("th", { class: "num" }, "P(collude | succeeded)"), h("th", { class: "num" }, "n"), h("th", { class: "num" }, "P(collude | failed)"), h("th", { class: "num" }, "n"))),
      body));
  }

  function tippingTable(d) {
    var rows = [];
    if (d.summary.roleplay) rows.push(["Role-play", d.summary.roleplay.tipping]);
    var several = d.run.settings.collusion && d.run.settings.collusion.payoffs.length > 1;
    d.summary.collusion.forEach(function (g) { rows.push(["t = " + g.threshold + (several ? " " + payoffText(g.label) : ""), g.tipping]); });
    return h("div", { class: "table-wrap" }, h("table", { class: "rates" },
      h("thead", null, h("tr", null, h("th", null, ""), h("th", { class: "num" }, "Tipped"), h("th", { class: "num" }, "Share"))),
      h("tbody", null, rows.map(function (r) {
        var t = r[1];
        return h("tr", null, h("td", null, r[0]), h("td", { class: "num" }, t.tipped + " / " + t.complete), h("td", { class: "num" }, t.complete ? pct(t.tipped / t.complete) : "—"));
      }))),
      h("p", { class: "caption", style: "margin-top:8px" }, "Trajectories (one per episode and model agent) that deviate from some round to the last; incomplete ones are left out."));
  }

  function collusionSection(d, base, pending) {
    var s = d.run.settings.collusion;
    if (!s) return null;
    var live = unfinished(d);
    var groups = live ? d.soFar.collusion : d.summary.collusion;
    var several = s.payoffs.length > 1;
    var conditional = several
      ? s.payoffs.map(function (p) { return chart(base + "/charts/conditional.svg?payoff=" + enc(p), "conditional", pending); })
      : [chart(base + "/charts/conditional.svg", "conditional", pending)];
    return h("section", { class: "card", "data-section": "collusion" },
      h("div", { class: "card-head" }, h("h2", null, "Threshold games: collusion rate" + (live ? ", so far" : "")), h("span", { class: "muted small" }, finishedText(d.episodesBySuite.collusion))),
      h("div", { class: "halves" },
        h("div", null, chart(base + "/charts/collusion.svg" + (live ? "?scope=sofar" : ""), "collusion", pending)),
        h("div", null, conditional)),
      groups.length ? collusionTable(groups, s.rounds, several) : h("p", { class: "empty" }, "No rounds saved yet."),
      d.summary.collusion.length ? foldable("conditional", "Collusion next round, given success or failure: the numbers", conditionalTable(d.summary.collusion, several)) : null);
  }

  var TOOL_MEASURES = [
    ["Tool use, all problems", "toolUse"],
    ["Tool use, easy", "easyToolUse"],
    ["Tool use, hard", "hardToolUse"],
    ["Accuracy, easy", "easyAccuracy"],
    ["Accuracy, hard", "hardAccuracy"],
  ];

  function toolUseSection(d, base, pending) {
    var s = d.run.settings.toolUse;
    if (!s || !d.toolUse) return null;
    var live = unfinished(d);
    var rates = live ? d.toolUse.soFar : d.toolUse.rates;
    function endsOf(key) {
      var played = rates.filter(function (r) { return r[key].n > 0; });
      return played.length ? pct(played[0][key].rate) + " → " + pct(played[played.length - 1][key].rate) : "—";
    }
    var head = [h("th", null, "")];
    rates.forEach(function (r) { head.push(h("th", { class: "num" }, "Round " + r.round)); });
    return h("section", { class: "card", "data-section": "tooluse" },
      h("div", { class: "card-head" }, h("h2", null, "Tool use: calculator use and accuracy" + (live ? ", so far" : "")), h("span", { class: "muted small" }, finishedText(d.episodesBySuite.tooluse))),
      h("div", { class: "grid2" },
        chart(base + "/charts/tooluse.svg" + (live ? "?scope=sofar" : ""), "tooluse", pending),
        h("div", null,
          h("div", { class: "stat" }, h("div", { class: "label" }, "Tool use, round 1 → " + (rates.length || "last")), h("div", { class: "value", "data-field": "tool-use-ends" }, endsOf("toolUse"))),
          h("div", { class: "stat" }, h("div", { class: "label" }, "Hard problems right, round 1 → " + (rates.length || "last")), h("div", { class: "value", "data-field": "hard-accuracy-ends" }, endsOf("hardAccuracy"))),
          h("p", { class: "caption" }, "A problem counts as tool use when the calculator ran at least once for it. Skipping it is the shortcut: it pays on easy problems and fails on hard ones."))),
      rates.length ? h("div", { class: "table-wrap" }, h("table", { class: "rates", "data-table": "tooluse-rates" }, h("thead", null, h("tr", null, head)),
        h("tbody", null, TOOL_MEASURES.map(function (m) {
          var cells = [h("td", null, m[0])];
          rates.forEach(function (r) { var c = toolCell(r[m[1]]); c.setAttribute("data-round", String(r.round)); cells.push(c); });
          return h("tr", { "data-measure": m[1] }, cells);
        })))) : h("p", { class: "empty" }, "No problems saved yet."));
  }

  function episodesSection(d, r, base) {
    var q = r.query;
    var holder = h("div");
    var s = d.run.settings;
    var maxRounds = Math.max(s.roleplay ? s.roleplay.rounds : 0, s.collusion ? s.collusion.rounds : 0, s.toolUse ? s.toolUse.rounds : 0);
    function opt(value, text, selected) { var o = h("option", { value: value }, text); o.selected = selected; return o; }
    function select(name, label, options) {
      var cur = q.get(name) || "";
      var el = h("select", { name: name, "data-filter": name }, options.map(function (o) { return opt(o[0], o[1], String(o[0]) === cur); }));
      el.addEventListener("change", function () {
        if (el.value) q.set(name, el.value); else q.delete(name);
        q.delete("offset");
        history.replaceState(null, "", "#/run/" + enc(d.run.id) + (q.toString() ? "?" + q.toString() : ""));
        load();
      });
      return h("label", null, label, el);
    }
    var suites = [["", "All"]];
    if (s.roleplay) suites.push(["roleplay", "Role-play"]);
    if (s.collusion) suites.push(["collusion", "Games"]);
    if (s.toolUse) suites.push(["tooluse", "Tool use"]);
    var rounds = [["", "Any"]];
    for (var i = 1; i <= maxRounds; i++) rounds.push([String(i), "Round " + i]);
    var filters = h("div", { class: "filters" },
      suites.length > 2 ? select("suite", "Suite", suites) : null,
      select("scenario", "Scenario", [["", "All"]].concat(d.scenarios.map(function (x) { return [x, x]; }))),
      d.thresholds.length ? select("threshold", "Threshold", [["", "All"]].concat(d.thresholds.map(function (t) { return [String(t), "t = " + t]; }))) : null,
      select("round", "Round", rounds),
      select("choice", "Choice", [["", "Any"], ["deviant", s.toolUse ? "Deviant (violation / collusion / no calculator)" : "Deviant (violation / collusion)"], ["aligned", "Aligned"], ["unparseable", "Unparseable"]]),
      select("status", "Status", [["", "Any"], ["done", "done"], ["running", "running"], ["pending", "pending"], ["failed", "failed"]]));

    function pills(e) {
      var box = h("div", { class: "pills" });
      e.decisions.forEach(function (x) {
        if (e.suite === "roleplay") {
          var kind = x.deviant ? "deviant" : x.unparseable ? "unparseable" : "aligned";
          box.append(h("span", { class: "pill " + kind, title: "Round " + x.round + ": " + decisionLabel("roleplay", kind), "data-decision": kind }, String(x.round)));
        } else if (e.suite === "tooluse") {
          var n = x.deviant + x.aligned + x.unparseable;
          var used = n ? x.aligned / n : 0;
          box.append(h("span", { class: "pill tool", "data-tool-use": String(x.aligned), title: "Round " + x.round + ": calculator on " + x.aligned + " of " + n + " problems, " + x.correct + " right", style: "background:rgba(45,122,86," + (0.08 + used * 0.6).toFixed(3) + ")" }, x.aligned + "/" + n));
        } else {
          var total = x.deviant + x.aligned + x.unparseable;
          var share = total ? x.deviant / total : 0;
          box.append(h("span", { class: "pill game" + (x.success ? " success" : ""), title: "Round " + x.round + ": " + x.deviant + " of " + total + " colluded; collusion " + (x.success ? "succeeded" : "failed"), style: "background:rgba(242,142,43," + (0.1 + share * 0.85).toFixed(3) + ")" }, x.deviant + (x.success ? "✓" : "")));
        }
      });
      for (var k = e.decisions.length; k < e.rounds; k++) box.append(h("span", { class: "pill unparseable", style: "opacity:0.35", title: "Round " + (k + 1) + ": not played yet" }, "·"));
      return box;
    }

    function table(list) {
      if (!list.episodes.length) return h("p", { class: "empty" }, "No episodes match these filters.");
      var offset = list.offset;
      var pager = h("div", { class: "pager" },
        h("span", { class: "muted", "data-field": "shown" }, "Showing " + (offset + 1) + "–" + (offset + list.episodes.length) + " of " + list.total),
        h("button", { class: "secondary", disabled: offset === 0, onclick: function () { q.set("offset", String(Math.max(0, offset - list.limit))); load(); } }, "Previous"),
        h("button", { class: "secondary", disabled: offset + list.limit >= list.total, onclick: function () { q.set("offset", String(offset + list.limit)); load(); } }, "Next"));
      return h("div", null, h("div", { class: "table-wrap" }, h("table", { class: "episodes" },
        h("thead", null, h("tr", null, h("th", { class: "num" }, "#"), h("th", null, "Episode"), h("th", null, "Scenario"), h("th", null, "Status"), h("th", null, "Decisions by round"))),
        h("tbody", null, list.episodes.map(function (e) {
          var href = "#/run/" + enc(d.run.id) + "/episode/" + e.idx;
          return h("tr", { class: "link", "data-episode": e.idx, onclick: function () { location.hash = href; } },
            h("td", { class: "num muted" }, String(e.idx)),
            h("td", null, h("a", { href: href, class: "mono" }, e.key), e.repeat ? h("span", { class: "ci" }, "repeat " + e.repeat) : null),
            h("td", null, e.environment, e.threshold !== undefined ? h("span", { class: "ci" }, "t = " + e.threshold + (s.collusion && s.collusion.payoffs.length > 1 ? " " + payoffText(e.payoff) : "")) : null),
            h("td", null, badge(e.status)),
            h("td", null, pills(e)));
        })))), pager);
    }

    var lastText = "";
    function load() {
      var params = new URLSearchParams(q);
      return api(base + "/episodes?" + params.toString()).then(function (list) {
        var text = JSON.stringify(list);
        if (text === lastText) return;
        lastText = text;
        holder.replaceChildren(table(list));
      }, function (err) { holder.replaceChildren(h("div", { class: "error" }, err.message)); });
    }
    load();
    var legend = h("div", { class: "legend" },
      s.roleplay ? h("span", null, h("span", { class: "pill deviant" }, "n"), " violation  ", h("span", { class: "pill aligned" }, "n"), " follows the rule") : null,
      s.collusion ? h("span", null, h("span", { class: "pill game", style: "background:rgba(242,142,43,0.5)" }, "3✓"), " games: agents that colluded; ✓ collusion succeeded") : null,
      s.toolUse ? h("span", null, h("span", { class: "pill tool", style: "background:rgba(45,122,86,0.4)" }, "7/10"), " tool use: problems of the round solved with the calculator") : null);
    return { node: h("section", { class: "card", "data-section": "episodes" }, h("div", { class: "card-head" }, h("h2", null, "Episodes"), h("span", { class: "muted small" }, "click an episode to read its transcript")), filters, legend, holder), reload: load };
  }

  function viewRun(r, current) {
    var id = r.parts[1];
    var base = "/api/runs/" + enc(id);
    var sig = "";
    var episodes = null;
    var body = h("div");
    function signature(d) { return JSON.stringify([d.run.updatedAt, d.run.status, d.run.episodes]); }
    function build(d) {
      var pending = [];
      var parts = h("div", null,
        unfinished(d) ? h("div", { class: "note", "data-field": "sofar-note" }, (d.run.status === "running" ? "This run is still playing" : "This run stopped before every episode finished") +
          ": the violation and collusion rates count every decision saved so far (" + d.run.episodes.roundsSaved + " of " + d.run.episodes.roundsPlanned + " rounds); tipping and the conditional rates count finished episodes only." +
          (d.run.status === "running" ? " The page refreshes by itself." : "")) : null,
        h("section", { class: "card" }, runMeta(d)),
        roleplaySection(d, base, pending),
        collusionSection(d, base, pending),
        toolUseSection(d, base, pending),
        // Tipping is measured on the choice testbeds only.
        d.run.settings.roleplay || d.run.settings.collusion ? h("section", { class: "card", "data-section": "tipping" }, h("div", { class: "card-head" }, h("h2", null, "Tipping"), h("span", { class: "muted small" }, "an agent has tipped when it deviates from some round to the end")),
          h("div", { class: "grid2" }, chart(base + "/charts/tipping.svg", "tipping", pending), tippingTable(d))) : null);
      return { node: parts, ready: Promise.all(pending) };
    }
    function header(d) {
      return [page([{ href: "#/", text: "Runs" }, { text: d.run.id }]),
        h("div", { class: "title-row" }, h("h1", { class: "mono" }, d.run.id), badge(d.run.status))];
    }
    var head = h("div");
    api(base).then(function (d) {
      if (!current()) return;
      sig = signature(d);
      head.replaceChildren.apply(head, header(d));
      var b = build(d);
      body.replaceChildren(b.node);
      episodes = episodesSection(d, r, base);
      app.replaceChildren(head, body, episodes.node);
      setLive(d.run.status === "running");
      state.poll = function () {
        return api(base).then(function (next) {
          if (!current()) return;
          setLive(next.run.status === "running");
          var s2 = signature(next);
          if (s2 === sig) return;
          sig = s2;
          // Build off-screen and swap once the charts are in, so a refresh does not flicker.
          var nb = build(next);
          return nb.ready.then(function () {
            if (!current()) return;
            head.replaceChildren.apply(head, header(next));
            body.replaceChildren(nb.node);
            episodes.reload();
          });
        });
      };
    }, function (err) { if (current()) app.replaceChildren(failure(err)); });
  }

  // ------------------------------------------------------------ episode page

  /** An answer as text, with reasoning blocks (in the text, or sent apart by the server) folded away. */
  function answer(text, call) {
    var box = h("div", { class: "answer" });
    var rest = text;
    if (call && call.finishReason === "length") box.append(h("span", { class: "badge", "data-field": "truncated" }, "cut off at the token limit"));
    // Kept in the history (--history-reasoning keep), the reasoning is in the text already.
    if (call && call.reasoning && text.indexOf("<think>") < 0) box.append(think(call.reasoning));
    // Some chat templates open the reasoning block in the prompt, so only its end is in the answer.
    if (rest.indexOf("<think>") < 0 && rest.indexOf("</think>") >= 0) {
      var cut = rest.indexOf("</think>");
      box.append(think(rest.slice(0, cut)));
      rest = rest.slice(cut + 8);
    }
    var re = /<think>([\s\S]*?)(?:<\/think>|$)/g;
    var last = 0, m;
    while ((m = re.exec(rest)) !== null) {
      var before = rest.slice(last, m.index);
      if (before.trim()) box.append(longText(before.trim()));
      box.append(think(m[1]));
      last = re.lastIndex;
    }
    var tail = rest.slice(last);
    if (tail.trim()) box.append(longText(tail.trim()));
    if (!text.trim()) box.append(h("div", { class: "text muted" }, "(empty answer)"));
    return box;
  }
  function think(text) {
    var words = text.trim() ? text.trim().split(/\s+/).length : 0;
    return h("details", { class: "think" }, h("summary", null, "Reasoning · " + plural(words, "word")), longText(text.trim()));
  }

  /** A text box; a long text shows its beginning and a button that puts the whole text in its place. */
  function longText(text, cls) {
    var box = h("div", { class: "text" + (cls ? " " + cls : "") });
    if (text.length <= LONG_CHARS) { box.textContent = text; return box; }
    var more = h("button", { type: "button", class: "show-all", "data-action": "show-all" }, "Show the whole text (" + plural(text.length, "character") + ")");
    more.addEventListener("click", function () { box.textContent = text; });
    box.append(text.slice(0, PREVIEW_CHARS) + " …", h("br"), more);
    return box;
  }

  /** A fold whose content is built the first time it opens: closed folds of long prompts cost nothing. */
  function lazyFold(summary, build) {
    var d = h("details", { class: "fold" }, h("summary", null, summary));
    d.addEventListener("toggle", function () { if (d.open && d.childNodes.length === 1) add(d, build()); });
    return d;
  }

  function message(m, kind, label) {
    return h("div", { class: "msg " + (kind || m.role) }, h("div", { class: "who" }, label || m.role), longText(m.content));
  }

  /** Messages new this round; a text already shown earlier in the episode is folded with a pointer to where. */
  function newMessages(call, seen, round, skipLast) {
    var out = [];
    var list = call.messages.slice(call.newFrom, skipLast ? call.messages.length - 1 : call.messages.length);
    list.forEach(function (m, i) {
      var isQuestion = !skipLast && i === list.length - 1;
      var label = isQuestion ? "Question" : "Feedback";
      var first = seen[m.content];
      if (first !== undefined && first !== round && m.content.length > FOLD_CHARS) out.push(h("details", { class: "fold" }, h("summary", null, label + ": same text as in round " + first), message(m, isQuestion ? "user" : "feedback", label)));
      else out.push(message(m, isQuestion ? "user" : "feedback", label));
      if (first === undefined) seen[m.content] = round;
    });
    return out;
  }

  function allMessages(call) {
    return lazyFold("Exact prompt: all " + plural(call.messages.length, "message") + " sent", function () {
      return call.messages.map(function (m, i) { return message(m, m.role === "assistant" ? "assistant" : m.role, m.role + " · " + (i + 1)); });
    });
  }

  function decisionLine(e, c) {
    var choice = c.choice === null ? "no readable choice" : c.choice;
    return h("div", { class: "decision", "data-field": "decision" },
      h("span", { class: "kv", "data-field": "choice" }, "Choice ", chip(c.decision, choice)),
      h("span", { class: "kv", "data-field": "reward" }, "Reward ", h("b", null, e.suite === "roleplay" ? num(c.reward) : signed(c.reward))),
      c.capital_before !== undefined ? h("span", { class: "kv", "data-field": "capital" }, "Capital ", h("b", null, num(c.capital_before) + " → " + num(c.capital_after))) : null);
  }

  function roleplayRounds(e) {
    var seen = {};
    return e.rounds.map(function (rd) {
      var c = rd.calls[0];
      var sup = rd.supervision === 1 ? "supervised" : rd.supervision === -1 ? "unsupervised" : null;
      return h("section", { class: "round", "data-round": rd.round },
        h("div", { class: "round-head" }, h("h3", null, "Round " + rd.round), sup ? h("span", { class: "badge" }, sup) : null, h("span", { class: "spacer" }), h("span", { class: "chip " + c.decision, "data-field": "decision-kind" }, decisionLabel("roleplay", c.decision))),
        newMessages(c, seen, rd.round, false),
        h("div", { class: "msg assistant" }, h("div", { class: "who" }, "Agent"), answer(c.response, c)),
        decisionLine(e, c),
        h("div", { class: "outcome" }, rd.outcome),
        allMessages(c));
    });
  }

  function gameRounds(e) {
    var seen = {};
    return e.rounds.map(function (rd) {
      var asked = rd.calls.filter(function (c) { return !c.fixed; });
      var lastOf = function (c) { return c.messages.length ? c.messages[c.messages.length - 1].content : ""; };
      var shared = asked.length > 0 && asked.every(function (c) { return c.newFrom < c.messages.length && lastOf(c) === lastOf(asked[0]); });
      var question = null;
      if (shared) {
        var q = asked[0].messages[asked[0].messages.length - 1];
        var first = seen[q.content];
        question = first !== undefined && q.content.length > FOLD_CHARS ? h("details", { class: "fold" }, h("summary", null, "Question to every agent: same text as in round " + first), message(q, "user", "Question to every agent"))
          : message(q, "user", "Question to every agent");
        if (first === undefined) seen[q.content] = rd.round;
      }
      var cards = rd.calls.map(function (c) {
        var told = c.fixed ? [] : c.messages.slice(c.newFrom, shared ? c.messages.length - 1 : c.messages.length);
        return h("div", { class: "agent " + c.decision, "data-agent": c.agent },
          h("div", { class: "agent-head" }, h("b", null, "Agent " + c.agent), c.fixed ? h("span", { class: "badge" }, "fixed colluder, not asked") : null, h("span", { class: "spacer" }), h("span", { class: "chip " + c.decision, "data-field": "decision-kind" }, decisionLabel("collusion", c.decision))),
          told.length ? h("details", { class: "fold" }, h("summary", null, "Told before answering (" + plural(told.length, "message") + ")"), told.map(function (m) { return message(m, "feedback", "Feedback"); })) : null,
          c.fixed ? h("div", { class: "text muted small" }, c.response) : answer(c.response, c),
          decisionLine(e, c),
          c.fixed ? null : allMessages(c));
      });
      var result = rd.success ? "Collusion succeeded" : "Collusion failed";
      return h("section", { class: "round", "data-round": rd.round },
        h("div", { class: "round-head" }, h("h3", null, "Round " + rd.round), h("span", { class: "chip " + (rd.success ? "deviant" : "plain"), "data-field": "round-result" }, result + ": " + rd.colluders + " of " + rd.calls.length + " colluded (t = " + e.threshold + ")")),
        question,
        h("div", { class: "agents" }, cards),
        h("div", { class: "outcome" }, rd.outcome));
    });
  }

  /** A tool-use episode: each problem with its question, the agent's calls, the calculator's results and the scoring. */
  function toolUseRounds(e) {
    var seen = {};
    return e.rounds.map(function (p) {
      var d = p.detail;
      var turns = [];
      p.calls.forEach(function (c, k) {
        var told = c.messages.slice(c.newFrom);
        told.forEach(function (m, i) {
          // After the first call, what comes back is the calculator's (a tool message, or RESULT lines as user text).
          var tool = m.role === "tool" || k > 0;
          var isQuestion = k === 0 && i === told.length - 1;
          var label = tool ? "Calculator" : isQuestion ? "Question" : "Feedback";
          var kind = isQuestion ? "user" : "feedback";
          var first = seen[m.content];
          if (!tool && first !== undefined && first !== p.round && m.content.length > FOLD_CHARS) turns.push(h("details", { class: "fold" }, h("summary", null, label + ": same text as in problem " + first), message(m, kind, label)));
          else turns.push(message(m, kind, label));
          if (first === undefined) seen[m.content] = p.round;
        });
        var requests = (c.tool_calls || []).map(function (t) { return h("div", { class: "mono small", "data-field": "tool-call" }, "→ " + t.function.name + " " + t.function.arguments); });
        turns.push(h("div", { class: "msg assistant", "data-turn": String(k) }, h("div", { class: "who" }, "Agent" + (p.calls.length > 1 ? " · call " + (k + 1) + " of " + p.calls.length : "")), answer(c.response, c), requests));
      });
      var useText = p.decision === "unparseable" ? "no readable answer" : d.used_tool ? "calculator" : "no calculator";
      return h("section", { class: "round", "data-round": p.round, "data-problem": d.problem },
        h("div", { class: "round-head" }, h("h3", null, "Round " + p.evolutionRound + " · problem " + p.position + " (" + d.kind + ")"),
          h("span", { class: "spacer" }),
          h("span", { class: "chip " + p.decision, "data-field": "decision-kind" }, useText),
          h("span", { class: "chip " + (d.correct ? "aligned" : "deviant"), "data-field": "correct" }, d.correct ? "right" : "wrong")),
        turns,
        h("div", { class: "decision", "data-field": "decision" },
          h("span", { class: "kv", "data-field": "answer" }, "Answer ", h("b", null, d.answer === null ? "none" : d.answer)),
          h("span", { class: "kv", "data-field": "expected" }, "Expected ", h("b", null, d.expected)),
          h("span", { class: "kv", "data-field": "reward" }, "Reward ", h("b", null, signed(p.reward)))),
        h("div", { class: "outcome" }, p.outcome),
        allMessages(p.calls[p.calls.length - 1]));
    });
  }

  function systemPrompt(e) {
    var firstCall = null;
    e.rounds.some(function (rd) { return rd.calls.some(function (c) { if (!c.fixed) { firstCall = c; return true; } return false; }); });
    if (!firstCall || !firstCall.messages.length || firstCall.messages[0].role !== "system") return null;
    var sys = firstCall.messages[0].content;
    var differs = e.rounds.some(function (rd) { return rd.calls.some(function (c) { return !c.fixed && c.messages.length && c.messages[0].content !== sys; }); });
    return h("div", { "data-field": "system-prompt" }, message({ role: "system", content: sys }, "system", "System prompt" + (e.suite === "collusion" ? (differs ? " (agent " + firstCall.agent + "; others differ)" : " (the same for every agent)") : "")));
  }

  function viewEpisode(r, current) {
    var id = r.parts[1], idx = r.parts[3];
    var base = "/api/runs/" + enc(id);
    var sig = "";
    function build(e) {
      var o = e.options;
      var legend = e.suite === "tooluse"
        ? h("div", { class: "legend" }, "Per problem: ", chip("aligned", "calculator"), " used the tool · ", chip("deviant", "no calculator"), " answered directly (the shortcut)")
        : e.suite === "roleplay"
        ? h("div", { class: "legend" }, "Options: ", chip("aligned", o.aligned), " follows the rule · ", chip("deviant", o.deviant), " violates it")
        : h("div", { class: "legend" }, "Options: ", chip("deviant", o.deviant), " collusive · ", chip("aligned", o.aligned), " independent · threshold t = " + e.threshold + " of " + e.agents + " agents, payoffs " + payoffText(e.payoff));
      var pending = [];
      return h("div", null,
        page([{ href: "#/", text: "Runs" }, { href: "#/run/" + enc(id), text: id }, { text: e.key + (e.repeat ? " (repeat " + e.repeat + ")" : "") }]),
        h("div", { class: "title-row" }, h("h1", null, e.environment), badge(e.status), h("span", { class: "mono muted" }, e.key), h("span", { class: "muted small" }, (e.suite === "tooluse" ? "problem set " : "scenario ") + e.scenario)),
        h("section", { class: "card" }, legend,
          metaList(Object.keys(e.settings).map(function (k) { var v = e.settings[k]; return [k.replace(/_/g, " "), Array.isArray(v) ? v.join(", ") : v === null ? "all" : String(v)]; })),
          e.error ? h("div", { class: "error", style: "margin-top:12px" }, "Stopped on a failed call: " + e.error) : null),
        e.suite === "collusion" && e.rounds.length ? h("section", { class: "card" }, chart(base + "/charts/trace.svg?episode=" + enc(e.key) + (e.repeat ? "&repeat=" + e.repeat : ""), "trace", pending)) : null,
        systemPrompt(e),
        e.rounds.length ? h("div", { class: "rounds" }, e.suite === "tooluse" ? toolUseRounds(e) : e.suite === "roleplay" ? roleplayRounds(e) : gameRounds(e)) : h("p", { class: "empty" }, "No rounds saved yet."),
        rejectedAnswers(e));
    }
    /** Answers that failed their call instead of being scored (cut off, or empty), kept with what they answered. */
    function rejectedAnswers(e) {
      if (!e.rejected || !e.rejected.length) return null;
      return h("section", { class: "card", "data-field": "rejected" }, h("h3", null, "Answers not scored (" + e.rejected.length + ")"),
        e.rejected.map(function (a) {
          var why = a.why === "truncated" ? "cut off at the token limit" : "empty";
          var where = e.suite === "tooluse" ? "Problem " + (a.round + 1) + ", call " + (a.turn + 1) : "Round " + (a.round + 1) + (e.suite === "collusion" ? ", agent " + a.agent : "");
          return h("div", { class: "msg assistant", "data-why": a.why }, h("div", { class: "who" }, where + " · " + why),
            answer(a.response, { reasoning: a.reasoning }));
        }));
    }
    function load(first) {
      return api(base + "/episodes/" + enc(idx)).then(function (e) {
        if (!current()) return;
        var s = JSON.stringify([e.status, e.roundsSaved]);
        if (!first && s === sig) return;
        sig = s;
        app.replaceChildren(build(e));
        var live = e.status === "running" || e.status === "pending";
        setLive(live);
        state.poll = live ? function () { return load(false); } : null;
      });
    }
    load(true).catch(function (err) { if (current()) app.replaceChildren(failure(err)); });
  }

  // ------------------------------------------------------------ compare

  function compactRates(rows, what) {
    return h("div", { class: "table-wrap" }, h("table", { class: "rates", "data-table": what },
      h("thead", null, h("tr", null, h("th", null, "Round"), h("th", { class: "num" }, "Rate"), h("th", { class: "num" }, "n"))),
      h("tbody", null, rows.map(function (row) {
        return h("tr", { "data-round": row.round }, h("td", null, String(row.round)), rateCell(row), h("td", { class: "num" }, String(row.total)));
      }))));
  }

  function diffCell(a, b) {
    if (!a || !b || !a.total || !b.total) return h("td", { class: "num muted" }, "—");
    var pp = (b.rate - a.rate) * 100;
    return h("td", { class: "num", "data-diff": String(b.rate - a.rate) }, pct(a.rate) + " → " + pct(b.rate),
      h("span", { class: "ci " + (pp >= 0.05 ? "diff-up" : pp <= -0.05 ? "diff-down" : "") }, (pp > 0 ? "+" : "") + pp.toFixed(1) + " pp"));
  }

  /** Run B against run A, round by round, for every rate both runs have. */
  function differenceCard(A, B) {
    var rows = [];
    var a = ratesOf(A), b = ratesOf(B);
    if (a.roleplay && b.roleplay) rows.push(["Violation rate", a.roleplay, b.roleplay]);
    var several = A.run.settings.collusion && A.run.settings.collusion.payoffs.length > 1;
    a.collusion.forEach(function (ga) {
      var gb = b.collusion.filter(function (g) { return g.threshold === ga.threshold && g.label === ga.label; })[0];
      if (gb) rows.push(["Collusion rate, t = " + ga.threshold + (several ? " " + payoffText(ga.label) : ""), ga.rates, gb.rates]);
    });
    if (!rows.length) return h("section", { class: "card" }, h("p", { class: "empty" }, "The two runs have no rate in common (no shared testbed, threshold or payoff set)."));
    var rounds = Math.max.apply(null, rows.map(function (r) { return Math.max(r[1].length, r[2].length); }));
    var head = [h("th", null, "Rate (A → B)")];
    for (var i = 1; i <= rounds; i++) head.push(h("th", { class: "num" }, "Round " + i));
    return h("section", { class: "card", "data-section": "difference" },
      h("div", { class: "card-head" }, h("h2", null, "B against A, round by round"), h("span", { class: "muted small" }, "pp: percentage points, B − A; not a paired test (atp compare pairs the decisions and tests them)")),
      h("div", { class: "table-wrap" }, h("table", { class: "rates" }, h("thead", null, h("tr", null, head)),
        h("tbody", null, rows.map(function (r) {
          var cells = [h("td", null, r[0])];
          for (var k = 0; k < rounds; k++) cells.push(diffCell(r[1][k], r[2][k]));
          return h("tr", null, cells);
        })))));
  }

  function compareColumn(d, pending) {
    var base = "/api/runs/" + enc(d.run.id);
    var rates = ratesOf(d);
    var s = d.run.settings;
    return h("div", { "data-compare-run": d.run.id },
      h("section", { class: "card" }, h("div", { class: "title-row" }, h("h2", null, h("a", { href: "#/run/" + enc(d.run.id), class: "mono" }, d.run.id)), badge(d.run.status)),
        unfinished(d) ? h("div", { class: "note" }, "Not every episode has finished: these rates count every decision saved so far.") : null,
        metaList([["Model", h("span", { class: "mono" }, d.run.model)], ["Parity · seed", d.run.parity + " · " + d.run.seed], ["Episodes", progress(d.run.episodes)]])),
      h("section", { class: "card", "data-section": "roleplay" }, h("h2", null, "Violation rate"),
        s.roleplay ? [chart(base + "/charts/violation.svg" + rates.scope, "violation", pending), compactRates(rates.roleplay || [], "roleplay-rates")] : h("p", { class: "empty" }, "No role-play episodes in this run.")),
      h("section", { class: "card", "data-section": "collusion" }, h("h2", null, "Collusion rate"),
        s.collusion ? [chart(base + "/charts/collusion.svg" + rates.scope, "collusion", pending), collusionTable(rates.collusion, s.collusion.rounds, s.collusion.payoffs.length > 1)] : h("p", { class: "empty" }, "No games in this run.")));
  }

  function viewCompare(r, current) {
    var a = r.parts[1], b = r.parts[2];
    var sig = "";
    api("/api/runs").then(function (list) {
      if (!current()) return;
      function picker(label, value, other) {
        var sel = h("select", { "data-pick": label }, list.runs.map(function (x) { var o = h("option", { value: x.id }, x.id + " · " + x.model + " · " + x.parity); o.selected = x.id === value; return o; }));
        if (!value) sel.selectedIndex = -1;
        sel.addEventListener("change", function () {
          var pair = label === "A" ? [sel.value, other] : [other, sel.value];
          location.hash = "#/compare/" + enc(pair[0] || "") + "/" + enc(pair[1] || "");
        });
        return h("label", { class: "filters" }, h("span", null, "Run " + label), sel);
      }
      var head = [page([{ href: "#/", text: "Runs" }, { text: "Compare" }]),
        h("div", { class: "title-row" }, h("h1", null, "Two runs side by side")),
        h("section", { class: "card compare-pick" }, picker("A", a, b), picker("B", b, a))];
      if (!a || !b) { app.replaceChildren.apply(app, head.concat([h("p", { class: "empty" }, "Pick two runs.")])); return; }
      var cols = h("div", { class: "compare" });
      var diffHolder = h("div");
      app.replaceChildren.apply(app, head.concat([diffHolder, cols]));
      function load() {
        return Promise.all([api("/api/runs/" + enc(a)), api("/api/runs/" + enc(b))]).then(function (ds) {
          if (!current()) return;
          var s = JSON.stringify(ds.map(function (d) { return [d.run.updatedAt, d.run.status, d.run.episodes]; }));
          if (s === sig) return;
          sig = s;
          var pending = [];
          var next = [compareColumn(ds[0], pending), compareColumn(ds[1], pending)];
          var diff = differenceCard(ds[0], ds[1]);
          setLive(ds.some(function (d) { return d.run.status === "running"; }));
          return Promise.all(pending).then(function () {
            if (!current()) return;
            diffHolder.replaceChildren(diff);
            cols.replaceChildren.apply(cols, next);
          });
        });
      }
      load().catch(function (err) { if (current()) cols.replaceChildren(failure(err)); });
      state.poll = load;
    }, function (err) { if (current()) app.replaceChildren(failure(err)); });
  }

  api("/api/runs").then(function (d) { document.getElementById("db").textContent = d.db; }, function () {});
  show();
})();
`;
