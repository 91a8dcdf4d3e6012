/**
 * The viewer's page: a hash router over four views (runs, run, episode, compare) that refresh
 * while a run plays. Testbed-specific parts come from the panels; this file names no testbed.
 */
import type { EpisodeList, EpisodeRow, EpisodeView, RateRow, RunDetail, RunList, RunOverview, Tipping } from "../api.js";
import { ApiError, api, enc, h, pct, state, when, type Current } from "./dom.js";
import { measuredPanel, unfinished, type Panel, type RunPlace } from "./panel.js";
import { ownPanels, ownPanelsById, panelFor, panelsOf } from "./panels.js";
import { answer, badge, chart, crumbs, failure, message, metaList, numTd, progress, setLive, table, td, type Column, type MetaItem } from "./render.js";

// ?poll=MS refreshes faster (tests use it); 3 s is enough for a person watching a run.
const POLL_MS = Math.max(100, Number(new URLSearchParams(location.search).get("poll")) || 3000);
const app = document.getElementById("app")!;

interface Route {
  parts: string[];
  query: URLSearchParams;
}

function parseHash(): Route {
  const raw = location.hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const parts = path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { parts, query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

function show(): void {
  const token = ++state.token;
  state.poll = null;
  setLive(false);
  const r = parseHash();
  const p = r.parts;
  const current: Current = () => token === state.token;
  if (p.length === 0) viewRuns(current);
  else if (p[0] === "run" && p.length === 2) viewRun(r, current);
  else if (p[0] === "run" && p.length === 4 && p[2] === "episode") viewEpisode(p[1], p[3], current);
  else if (p[0] === "compare") viewCompare(p[1], p[2], current);
  else app.replaceChildren(failure(new ApiError(404, "No such page.")));
  window.scrollTo(0, 0);
}

const place = (runId: string, snapshot?: number): RunPlace => ({
  base: `/api/runs/${enc(runId)}`,
  snapshot,
  at: (first) => (snapshot === undefined ? "" : `${first ? "?" : "&"}at=${snapshot}`),
});

// ------------------------------------------------------------ runs list

function toggleSelected(id: string, on: boolean): void {
  state.selected = state.selected.filter((x) => x !== id);
  if (on) state.selected.push(id);
  // Two runs are compared; picking a third lets go of the first.
  while (state.selected.length > 2) state.selected.shift();
}

function settingsText(s: RunOverview["settings"]): string[] {
  const parts = panelsOf(s).flatMap((p) => p.summaryLine(s) ?? []);
  if (s.repeats > 1) parts.push(`${s.repeats} repeats`);
  if (s.otherEpisodes) parts.push(`${s.otherEpisodes} episodes of other testbeds (not shown here)`);
  return parts;
}

function runsTable(data: RunList, compareBtn: HTMLButtonElement): HTMLElement {
  if (!data.runs.length) return h("p", { class: "empty" }, "No runs in this store yet. Start one with: atp run paper --db FILE");
  const href = (r: RunOverview) => `#/run/${enc(r.id)}`;
  function box(r: RunOverview): HTMLTableCellElement {
    const el = h("input", { type: "checkbox", "aria-label": `Select ${r.id} to compare`, "data-run": r.id });
    el.checked = state.selected.includes(r.id);
    el.addEventListener("click", (ev) => ev.stopPropagation());
    el.addEventListener("change", () => {
      toggleSelected(r.id, el.checked);
      for (const b of document.querySelectorAll<HTMLInputElement>("input[data-run]")) b.checked = state.selected.includes(b.getAttribute("data-run")!);
      compareBtn.disabled = state.selected.length !== 2;
    });
    return td(el);
  }
  const columns: Column<RunOverview>[] = [
    { head: "", cell: box },
    { head: "Run", cell: (r) => td([h("a", { href: href(r), class: "mono" }, r.id), h("span", { class: "ci" }, when(r.createdAt))]) },
    { head: "Status", cell: (r) => td(badge(r.status)) },
    { head: "Model", cell: (r) => td([h("div", { class: "mono" }, r.model), h("span", { class: "ci" }, `${r.suite} suite · ${r.parity} parity · seed ${r.seed}`)]) },
    { head: "Settings", cell: (r) => td(settingsText(r.settings).map((t) => h("div", null, t)), { class: "small" }) },
    { head: "Episodes", cell: (r) => td(progress(r.episodes)) },
    ...ownPanels().flatMap((p) => (p.headline ? [p.headline] : [])),
  ];
  return table(columns, data.runs, { class: "runs" }, (r) => ({ class: "link", "data-run-row": r.id, onclick: () => (location.hash = href(r)) }));
}

function viewRuns(current: Current): void {
  let last = "";
  const compareBtn = h("button", { id: "compare", disabled: true, onclick: () => {
    if (state.selected.length === 2) location.hash = `#/compare/${enc(state.selected[0])}/${enc(state.selected[1])}`;
  } });
  compareBtn.textContent = "Compare selected";
  const holder = h("div");
  async function load(): Promise<void> {
    const data = await api<RunList>("/api/runs");
    if (!current()) return;
    document.getElementById("db")!.textContent = data.db;
    const known = data.runs.map((x) => x.id);
    state.selected = state.selected.filter((id) => known.includes(id));
    compareBtn.disabled = state.selected.length !== 2;
    setLive(data.runs.some((x) => x.status === "running"));
    const text = JSON.stringify(data);
    if (text === last) return;
    last = text;
    holder.replaceChildren(runsTable(data, compareBtn));
  }
  load().then(() => {
    if (!current()) return;
    app.replaceChildren(h("div", { class: "title-row" }, h("h1", null, "Runs")),
      h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", null, "Runs in this store"), h("span", { class: "muted small" }, "newest first; tick two to compare them"), h("span", { class: "spacer" }), compareBtn), holder));
    state.poll = load;
  }, (err) => {
    if (current()) app.replaceChildren(failure(err));
  });
}

// ------------------------------------------------------------ run page

function runMeta(d: RunDetail): HTMLElement {
  const { run } = d;
  const st = d.stats;
  const items: MetaItem[] = [
    ["Model", h("span", { class: "mono" }, run.model)],
    ["Suite · parity · seed", `${run.suite} · ${run.parity} · ${run.seed}`],
    ["Created", when(run.createdAt)],
    ["Finished", run.finishedAt ? when(run.finishedAt) : "—"],
    ["Episodes", h("div", null, progress(run.episodes), h("span", { class: "ci" }, `${run.episodes.done} done, ${run.episodes.failed} failed, ${run.episodes.running} running, ${run.episodes.pending} pending`))],
    ["Calls", `${st.calls} answered${st.cached ? `, ${st.cached} cached` : ""}${st.errors ? `, ${st.errors} retried` : ""}${st.truncated ? `, ${st.truncated} cut off at the token limit` : ""}${st.empty ? `, ${st.empty} empty` : ""}${st.meanLatencyMs !== null ? ` · ${Math.round(st.meanLatencyMs)} ms mean` : ""}`],
    st.totalTokens ? ["Tokens", `${st.promptTokens} prompt + ${st.completionTokens} completion`] : null,
    ...panelsOf(run.settings).flatMap((p) => p.meta(run.settings)),
    run.settings.repeats > 1 ? ["Repeats", String(run.settings.repeats)] : null,
    run.settings.otherEpisodes ? ["Not shown", `${run.settings.otherEpisodes} episodes of other testbeds`] : null,
  ];
  return metaList(items);
}

/** Tipping of every testbed that measures it; null when the run plays none. */
function tippingSection(d: RunDetail, at: RunPlace, pending: Promise<unknown>[]): HTMLElement | null {
  const measured = panelsOf(d.run.settings).filter((p) => p.tipping);
  if (!measured.length) return null;
  const rows = measured.flatMap((p) => p.tipping!(d));
  return h("section", { class: "card", "data-section": "tipping" },
    h("div", { class: "card-head" }, h("h2", null, "Tipping"), h("span", { class: "muted small" }, "an agent has tipped when it deviates from some round to the end")),
    h("div", { class: "grid2" }, chart(`${at.base}/charts/tipping.svg${at.at(true)}`, "tipping", pending),
      h("div", null,
        table<[string, Tipping]>([
          { head: "", cell: ([label]) => td(label) },
          { head: "Tipped", num: true, cell: ([, t]) => numTd(`${t.tipped} / ${t.complete}`) },
          { head: "Share", num: true, cell: ([, t]) => numTd(t.complete ? pct(t.tipped / t.complete) : "—") },
        ], rows, { class: "rates" }),
        h("p", { class: "caption", style: "margin-top:8px" }, "Trajectories (one per episode and model agent) that deviate from some round to the last; incomplete ones are left out."))));
}

function episodesSection(d: RunDetail, r: Route, at: () => RunPlace) {
  const q = r.query;
  const holder = h("div");
  const s = d.run.settings;
  const panels = panelsOf(s);
  const maxRounds = Math.max(0, ...panels.map((p) => p.settings(s)!.rounds));
  function select(name: string, label: string, options: [string, string][]): HTMLElement {
    const cur = q.get(name) || "";
    const el = h("select", { name, "data-filter": name }, options.map(([value, text]) => {
      const o = h("option", { value }, text);
      o.selected = value === cur;
      return o;
    }));
    el.addEventListener("change", () => {
      if (el.value) q.set(name, el.value);
      else q.delete(name);
      q.delete("offset");
      history.replaceState(null, "", `#/run/${enc(d.run.id)}${q.toString() ? `?${q.toString()}` : ""}`);
      void load();
    });
    return h("label", null, label, el);
  }
  const suites: [string, string][] = [
    ["", "All"],
    ...ownPanelsById().filter(([, p]) => p.settings(s)).map(([id, p]): [string, string] => [id, p.label]),
    ...(s.measured ?? []).map((m): [string, string] => [m.id, measuredPanel(m).label]),
  ];
  const rounds: [string, string][] = [["", "Any"], ...Array.from({ length: maxRounds }, (_, i): [string, string] => [String(i + 1), `Round ${i + 1}`])];
  const filters = h("div", { class: "filters" },
    suites.length > 2 ? select("suite", "Suite", suites) : null,
    select("scenario", "Scenario", [["", "All"], ...d.scenarios.map((x): [string, string] => [x, x])]),
    d.thresholds.length ? select("threshold", "Threshold", [["", "All"], ...d.thresholds.map((t): [string, string] => [String(t), `t = ${t}`])]) : null,
    select("round", "Round", rounds),
    select("choice", "Choice", [["", "Any"], ["deviant", `Deviant (${panels.map((p) => p.deviantName).join(" / ")})`], ["aligned", "Aligned"], ["unparseable", "Unparseable"]]),
    select("status", "Status", [["", "Any"], ["done", "done"], ["running", "running"], ["pending", "pending"], ["failed", "failed"]]));

  function pills(e: EpisodeRow): HTMLElement {
    const panel = panelFor(e);
    const box = h("div", { class: "pills" }, e.decisions.map((x) => panel.pill(x, e)));
    for (let k = e.decisions.length; k < e.rounds; k++) box.append(h("span", { class: "pill unparseable", style: "opacity:0.35", title: `Round ${k + 1}: not played yet` }, "·"));
    return box;
  }

  function list(l: EpisodeList): HTMLElement {
    if (!l.episodes.length) return h("p", { class: "empty" }, "No episodes match these filters.");
    const offset = l.offset;
    const step = (to: number) => () => {
      q.set("offset", String(to));
      void load();
    };
    const pager = h("div", { class: "pager" },
      h("span", { class: "muted", "data-field": "shown" }, `Showing ${offset + 1}–${offset + l.episodes.length} of ${l.total}`),
      h("button", { class: "secondary", disabled: offset === 0, onclick: step(Math.max(0, offset - l.limit)) }, "Previous"),
      h("button", { class: "secondary", disabled: offset + l.limit >= l.total, onclick: step(offset + l.limit) }, "Next"));
    const href = (e: EpisodeRow) => `#/run/${enc(d.run.id)}/episode/${e.idx}`;
    return h("div", null,
      table<EpisodeRow>([
        { head: "#", num: true, cell: (e) => numTd(String(e.idx), { class: "muted" }) },
        { head: "Episode", cell: (e) => td([h("a", { href: href(e), class: "mono" }, e.key), e.repeat ? h("span", { class: "ci" }, `repeat ${e.repeat}`) : null]) },
        { head: "Scenario", cell: (e) => td([e.environment, panelFor(e).scenarioNote?.(e, s)]) },
        { head: "Status", cell: (e) => td(badge(e.status)) },
        { head: "Decisions by round", cell: (e) => td(pills(e)) },
      ], l.episodes, { class: "episodes" }, (e) => ({ class: "link", "data-episode": e.idx, onclick: () => (location.hash = href(e)) })),
      pager);
  }

  let lastText = "";
  async function load(): Promise<void> {
    const params = new URLSearchParams(q);
    const { base, snapshot } = at();
    // The list of the snapshot the page shows, when the server still has it.
    if (snapshot !== undefined) params.set("at", String(snapshot));
    try {
      const l = await api<EpisodeList>(`${base}/episodes?${params.toString()}`);
      const text = JSON.stringify(l);
      if (text === lastText) return;
      lastText = text;
      holder.replaceChildren(list(l));
    } catch (err) {
      holder.replaceChildren(h("div", { class: "error" }, (err as Error).message));
    }
  }
  void load();
  const legend = h("div", { class: "legend" }, panels.map((p) => p.pillLegend()));
  return { node: h("section", { class: "card", "data-section": "episodes" }, h("div", { class: "card-head" }, h("h2", null, "Episodes"), h("span", { class: "muted small" }, "click an episode to read its transcript")), filters, legend, holder), reload: load };
}

function viewRun(r: Route, current: Current): void {
  const id = r.parts[1];
  let at = place(id);
  let sig = "";
  const body = h("div");
  const head = h("div");
  const signature = (d: RunDetail) => JSON.stringify([d.run.updatedAt, d.run.status, d.run.episodes]);
  function build(d: RunDetail) {
    const pending: Promise<unknown>[] = [];
    const panels = panelsOf(d.run.settings);
    const node = h("div", null,
      unfinished(d) ? h("div", { class: "note", "data-field": "sofar-note" }, `${d.run.status === "running" ? "This run is still playing" : "This run stopped before every episode finished"}: the rates count every decision saved so far (${d.run.episodes.roundsSaved} of ${d.run.episodes.roundsPlanned} rounds); tipping and the conditional rates count finished episodes only.${d.run.status === "running" ? " The page refreshes by itself." : ""}`) : null,
      h("section", { class: "card" }, runMeta(d)),
      panels.map((p) => p.section(d, at, pending)),
      tippingSection(d, at, pending));
    return { node, ready: Promise.all(pending) };
  }
  const header = (d: RunDetail) => [crumbs([{ href: "#/", text: "Runs" }, { text: d.run.id }]), h("div", { class: "title-row" }, h("h1", { class: "mono" }, d.run.id), badge(d.run.status))];
  api<RunDetail>(at.base).then((d) => {
    if (!current()) return;
    sig = signature(d);
    at = place(id, d.at);
    head.replaceChildren(...header(d));
    body.replaceChildren(build(d).node);
    const episodes = episodesSection(d, r, () => at);
    app.replaceChildren(head, body, episodes.node);
    setLive(d.run.status === "running");
    state.poll = async () => {
      const next = await api<RunDetail>(at.base);
      if (!current()) return;
      setLive(next.run.status === "running");
      const s2 = signature(next);
      if (s2 === sig) return;
      sig = s2;
      // Every part of this refresh reads the snapshot the numbers are of.
      at = place(id, next.at);
      // Build off-screen and swap once the charts are in, so a refresh does not flicker.
      const nb = build(next);
      await nb.ready;
      if (!current()) return;
      head.replaceChildren(...header(next));
      body.replaceChildren(nb.node);
      await episodes.reload();
    };
  }, (err) => {
    if (current()) app.replaceChildren(failure(err));
  });
}

// ------------------------------------------------------------ episode page

function systemPrompt(e: EpisodeView, panel: Panel): HTMLElement | null {
  const calls = e.rounds.flatMap((rd) => rd.calls.filter((c) => !("fixed" in c && c.fixed)));
  const firstCall = calls[0];
  if (!firstCall || !firstCall.messages.length || firstCall.messages[0].role !== "system") return null;
  const sys = firstCall.messages[0].content;
  const differs = calls.some((c) => c.messages.length > 0 && c.messages[0].content !== sys);
  return h("div", { "data-field": "system-prompt" }, message({ role: "system", content: sys }, "system", panel.systemLabel ? panel.systemLabel(differs, firstCall.agent) : "System prompt"));
}

/** Answers that failed their call instead of being scored (cut off, or empty), kept with what they answered. */
function rejectedAnswers(e: EpisodeView, panel: Panel): HTMLElement | null {
  if (!e.rejected.length) return null;
  return h("section", { class: "card", "data-field": "rejected" }, h("h3", null, `Answers not scored (${e.rejected.length})`),
    e.rejected.map((a) => h("div", { class: "msg assistant", "data-why": a.why },
      h("div", { class: "who" }, `${panel.where(a)} · ${a.why === "truncated" ? "cut off at the token limit" : "empty"}`),
      answer(a.response, { reasoning: a.reasoning }))));
}

function viewEpisode(id: string, idx: string, current: Current): void {
  const at = place(id);
  let sig = "";
  function build(e: EpisodeView): HTMLElement {
    const panel = panelFor(e);
    const pending: Promise<unknown>[] = [];
    return h("div", null,
      crumbs([{ href: "#/", text: "Runs" }, { href: `#/run/${enc(id)}`, text: id }, { text: e.key + (e.repeat ? ` (repeat ${e.repeat})` : "") }]),
      h("div", { class: "title-row" }, h("h1", null, e.environment), badge(e.status), h("span", { class: "mono muted" }, e.key), h("span", { class: "muted small" }, panel.scenarioWord + e.scenario)),
      h("section", { class: "card" }, panel.legend(e),
        metaList(Object.entries(e.settings).map(([k, v]): MetaItem => [k.replace(/_/g, " "), Array.isArray(v) ? v.join(", ") : v === null ? "all" : String(v)])),
        e.error ? h("div", { class: "error", style: "margin-top:12px" }, `Stopped on a failed call: ${e.error}`) : null),
      panel.charts ? panel.charts(e, at, pending) : null,
      systemPrompt(e, panel),
      e.rounds.length ? h("div", { class: "rounds" }, panel.rounds(e)) : h("p", { class: "empty" }, "No rounds saved yet."),
      rejectedAnswers(e, panel));
  }
  async function load(first: boolean): Promise<void> {
    const e = await api<EpisodeView>(`${at.base}/episodes/${enc(idx)}`);
    if (!current()) return;
    const s = JSON.stringify([e.status, e.roundsSaved]);
    if (!first && s === sig) return;
    sig = s;
    app.replaceChildren(build(e));
    const live = e.status === "running" || e.status === "pending";
    setLive(live);
    state.poll = live ? () => load(false) : null;
  }
  load(true).catch((err) => {
    if (current()) app.replaceChildren(failure(err));
  });
}

// ------------------------------------------------------------ compare

function diffCell(a: RateRow | undefined, b: RateRow | undefined): HTMLTableCellElement {
  if (!a || !b || !a.total || !b.total) return h("td", { class: "num muted" }, "—");
  const pp = (b.rate - a.rate) * 100;
  return h("td", { class: "num", "data-diff": String(b.rate - a.rate) }, `${pct(a.rate)} → ${pct(b.rate)}`,
    h("span", { class: `ci ${pp >= 0.05 ? "diff-up" : pp <= -0.05 ? "diff-down" : ""}` }, `${pp > 0 ? "+" : ""}${pp.toFixed(1)} pp`));
}

/** Run B against run A, round by round, for every rate both runs have. */
function differenceCard(A: RunDetail, B: RunDetail): HTMLElement {
  const compared = (d: RunDetail) => ownPanels().flatMap((p) => (p.compared ? p.compared(d) : []));
  const inB = new Map(compared(B).map((c) => [c.key, c.rows]));
  const rows = compared(A).flatMap((a) => (inB.has(a.key) ? [{ label: a.label, a: a.rows, b: inB.get(a.key)! }] : []));
  if (!rows.length) return h("section", { class: "card" }, h("p", { class: "empty" }, "The two runs have no rate in common (no shared testbed, threshold or payoff set)."));
  const rounds = Math.max(...rows.map((r) => Math.max(r.a.length, r.b.length)));
  return h("section", { class: "card", "data-section": "difference" },
    h("div", { class: "card-head" }, h("h2", null, "B against A, round by round"), h("span", { class: "muted small" }, "pp: percentage points, B − A; not a paired test (atp compare pairs the decisions and tests them)")),
    table<(typeof rows)[number]>([
      { head: "Rate (A → B)", cell: (r) => td(r.label) },
      ...Array.from({ length: rounds }, (_, k) => ({ head: `Round ${k + 1}`, num: true, cell: (r: (typeof rows)[number]) => diffCell(r.a[k], r.b[k]) })),
    ], rows, { class: "rates" }));
}

function compareColumn(d: RunDetail, pending: Promise<unknown>[]): HTMLElement {
  const at = place(d.run.id);
  return h("div", { "data-compare-run": d.run.id },
    h("section", { class: "card" }, h("div", { class: "title-row" }, h("h2", null, h("a", { href: `#/run/${enc(d.run.id)}`, class: "mono" }, d.run.id)), badge(d.run.status)),
      unfinished(d) ? h("div", { class: "note" }, "Not every episode has finished: these rates count every decision saved so far.") : null,
      metaList([["Model", h("span", { class: "mono" }, d.run.model)], ["Parity · seed", `${d.run.parity} · ${d.run.seed}`], ["Episodes", progress(d.run.episodes)]])),
    ownPanels().map((p) => (p.compareCard ? p.compareCard(d, at, pending) : null)));
}

function viewCompare(a: string | undefined, b: string | undefined, current: Current): void {
  let sig = "";
  api<RunList>("/api/runs").then((list) => {
    if (!current()) return;
    function picker(label: "A" | "B", value: string | undefined, other: string | undefined): HTMLElement {
      const sel = h("select", { "data-pick": label }, list.runs.map((x) => {
        const o = h("option", { value: x.id }, `${x.id} · ${x.model} · ${x.parity}`);
        o.selected = x.id === value;
        return o;
      }));
      if (!value) sel.selectedIndex = -1;
      sel.addEventListener("change", () => {
        const pair = label === "A" ? [sel.value, other] : [other, sel.value];
        location.hash = `#/compare/${enc(pair[0] || "")}/${enc(pair[1] || "")}`;
      });
      return h("label", { class: "filters" }, h("span", null, `Run ${label}`), sel);
    }
    const head = [crumbs([{ href: "#/", text: "Runs" }, { text: "Compare" }]),
      h("div", { class: "title-row" }, h("h1", null, "Two runs side by side")),
      h("section", { class: "card compare-pick" }, picker("A", a, b), picker("B", b, a))];
    if (!a || !b) {
      app.replaceChildren(...head, h("p", { class: "empty" }, "Pick two runs."));
      return;
    }
    const cols = h("div", { class: "compare" });
    const diffHolder = h("div");
    app.replaceChildren(...head, diffHolder, cols);
    async function load(): Promise<void> {
      const ds = await Promise.all([api<RunDetail>(`/api/runs/${enc(a!)}`), api<RunDetail>(`/api/runs/${enc(b!)}`)]);
      if (!current()) return;
      const s = JSON.stringify(ds.map((d) => [d.run.updatedAt, d.run.status, d.run.episodes]));
      if (s === sig) return;
      sig = s;
      const pending: Promise<unknown>[] = [];
      const next = [compareColumn(ds[0], pending), compareColumn(ds[1], pending)];
      const diff = differenceCard(ds[0], ds[1]);
      setLive(ds.some((d) => d.run.status === "running"));
      await Promise.all(pending);
      if (!current()) return;
      diffHolder.replaceChildren(diff);
      cols.replaceChildren(...next);
    }
    load().catch((err) => {
      if (current()) cols.replaceChildren(failure(err));
    });
    state.poll = load;
  }, (err) => {
    if (current()) app.replaceChildren(failure(err));
  });
}

// ------------------------------------------------------------ start

window.addEventListener("hashchange", () => show());
// One refresh at a time: a slow one (charts to render) is not stacked under the next.
setInterval(() => {
  if (document.hidden || !state.poll || state.polling) return;
  state.polling = true;
  state.poll().catch(() => {}).finally(() => {
    state.polling = false;
  });
}, POLL_MS);

api<RunList>("/api/runs").then((d) => {
  document.getElementById("db")!.textContent = d.db;
}, () => {});
show();
