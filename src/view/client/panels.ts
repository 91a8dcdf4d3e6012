/**
 * What the page shows of each testbed: one panel per testbed id, declared from the generic
 * renderers (which tables with which columns, which charts, how a decision is named, how an
 * episode's conversation reads). The map is typed by testbed id, so a testbed without a panel
 * does not compile. Pages iterate the panels and name no testbed.
 */
import type {
  CallView,
  ChoiceCallView,
  ChoiceEpisodeView,
  CollusionGroup,
  CollusionSummary,
  Decision,
  EpisodeRow,
  EpisodeView,
  MeasuredEpisodeView,
  MeasuredTestbed,
  MeasuresView,
  RateCell,
  RateRow,
  RoundDecisions,
  RunDetail,
  RunOverview,
  RunSettings,
  SuiteCounts,
  TestbedId,
  Tipping,
  ToolUseEnds,
  ToolUseEpisodeView,
  ToolUseRoundRates,
} from "../api.js";
import { ci, enc, h, num, payoffText, pct, plural, signed, type Child } from "./dom.js";
import {
  allMessages,
  answer,
  chart,
  chip,
  dash,
  foldable,
  message,
  numTd,
  proportionCell,
  rateCell,
  Seen,
  table,
  td,
  type Column,
  type MetaItem,
} from "./render.js";

/** The episode view of a panel's testbed; a panel for any testbed (`string`) takes any view. */
type ViewFor<T extends string> = string extends T ? EpisodeView : T extends "tooluse" ? ToolUseEpisodeView : ChoiceEpisodeView;

/** Where a run page's pieces fetch from: the run's API base and the snapshot the page shows. */
export interface RunPlace {
  base: string;
  /** The snapshot (RunDetail.at) the page shows, once it has one. */
  snapshot?: number;
  /** `?at=N` / `&at=N`: charts drawn from the same snapshot as the numbers beside them. */
  at: (first: boolean) => string;
}

export interface Panel<T extends string> {
  /** The testbed's name in filters. */
  label: string;
  /** In the episode filter's "Deviant (...)". */
  deviantName: string;
  /** What a model agent's decision of each kind is called. */
  words: Record<Decision, string>;
  /** The run's settings of this testbed, or null when the run does not play it. */
  settings(s: RunSettings): { rounds: number } | null;
  /** The runs list's column of this testbed's headline numbers; a testbed shown by its measures has none. */
  headline?: Column<RunOverview>;
  /** The runs list's one-line description. */
  summaryLine(s: RunSettings): string | null;
  /** The run page's settings entries. */
  meta(s: RunSettings): MetaItem[];
  /** The run page's card of rates and charts. */
  section(d: RunDetail, at: RunPlace, pending: Promise<unknown>[]): HTMLElement | null;
  /** Trajectories for the tipping table (choice testbeds); absent where tipping is not measured. */
  tipping?(d: RunDetail): [string, Tipping][];
  /** The rates two runs can be compared by, per round, labelled. */
  compared?(d: RunDetail): { label: string; key: string; rows: RateRow[] }[];
  /** The compare page's card of this testbed. */
  compareCard?(d: RunDetail, at: RunPlace, pending: Promise<unknown>[]): HTMLElement;
  /** One round of the episode list's decision pills. */
  pill(x: RoundDecisions, e: EpisodeRow): HTMLElement;
  /** The pills' legend on the episode list. */
  pillLegend: () => HTMLElement;
  /** The episode page: what the options are, and its rounds as a conversation. */
  legend(e: ViewFor<T>): HTMLElement;
  /** The episode's charts. */
  charts?(e: ViewFor<T>, at: RunPlace, pending: Promise<unknown>[]): HTMLElement | null;
  rounds(e: ViewFor<T>): HTMLElement[];
  /** The system prompt's label (null: the same for every agent). */
  systemLabel?(differs: boolean, agent: number): string;
  /** Where a rejected answer was given. */
  where(a: { round: number; agent: number; turn: number }): string;
  /** Said under an episode's scenario in the episode list. */
  scenarioNote?(e: EpisodeRow, s: RunSettings): HTMLElement | null;
  /** What the scenario is called beside its id. */
  scenarioWord: string;
}

// ------------------------------------------------------------ shared by the choice testbeds

/** Whether some episodes have not finished: then the rates shown are those of every decision saved so far. */
export const unfinished = (d: RunDetail) => d.run.episodes.done + d.run.episodes.failed < d.run.episodes.total;

const finishedText = (c: SuiteCounts | undefined) => (c ? `${c.done} of ${c.total} episodes finished${c.failed ? `, ${c.failed} failed` : ""}` : "");

/** Rates per round as a table: a rate table's columns. */
function ratesTable(rows: RateRow[], what: string, deviantWord: string): HTMLElement {
  const columns: Column<RateRow>[] = [
    { head: "Round", cell: (r) => td(String(r.round)) },
    { head: deviantWord, num: true, cell: (r) => numTd(String(r.deviant), { "data-field": "deviant" }) },
    { head: "Decisions", num: true, cell: (r) => numTd(String(r.total), { "data-field": "total" }) },
    { head: "Rate", num: true, cell: (r) => numTd(r.total ? pct(r.rate) : "—", { "data-field": "rate", "data-rate": String(r.rate) }) },
    { head: "95% interval", num: true, cell: (r) => numTd(r.total ? `${(r.low * 100).toFixed(1)}–${(r.high * 100).toFixed(1)}%` : "—", { class: "muted", "data-field": "interval" }) },
    { head: "Unparseable", num: true, cell: (r) => numTd(String(r.unparseable)) },
    { head: "Missing", num: true, cell: (r) => numTd(String(r.failed)) },
  ];
  return table(columns, rows, { class: "rates", "data-table": `${what}-rates` }, (r) => ({ "data-round": r.round }));
}

/** Rate, n per round: the compare page's short table. */
export function compactRates(rows: RateRow[], what: string): HTMLElement {
  const columns: Column<RateRow>[] = [
    { head: "Round", cell: (r) => td(String(r.round)) },
    { head: "Rate", num: true, cell: (r) => rateCell(r) },
    { head: "n", num: true, cell: (r) => numTd(String(r.total)) },
  ];
  return table(columns, rows, { class: "rates", "data-table": what }, (r) => ({ "data-round": r.round }));
}

/** Columns R1..Rn of a per-round rate list. */
function roundColumns<Row>(rounds: number, head: (i: number) => string, of: (row: Row, i: number) => HTMLTableCellElement): Column<Row>[] {
  return Array.from({ length: rounds }, (_, i) => ({ head: head(i + 1), num: true, cell: (row: Row) => of(row, i) }));
}

function heatCell(row: RateRow | undefined): HTMLTableCellElement {
  if (!row || !row.total) return dash();
  const a = 0.08 + row.rate * 0.8;
  return numTd(pct(row.rate), { "data-rate": String(row.rate), title: `${row.deviant} of ${row.total}`, style: `background:rgba(194,65,45,${a.toFixed(3)});color:${row.rate > 0.5 ? "#fff" : "inherit"}` });
}

function stat(label: string, value: Child, field?: string, extra?: Child): HTMLElement {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value", "data-field": field }, value), extra);
}

function decisionLine(c: ChoiceCallView, rewardText: (r: number) => string): HTMLElement {
  return h("div", { class: "decision", "data-field": "decision" },
    h("span", { class: "kv", "data-field": "choice" }, "Choice ", chip(c.decision, c.choice === null ? "no readable choice" : c.choice)),
    h("span", { class: "kv", "data-field": "reward" }, "Reward ", h("b", null, rewardText(c.reward))),
    c.capital_before !== undefined ? h("span", { class: "kv", "data-field": "capital" }, "Capital ", h("b", null, `${num(c.capital_before)} → ${num(c.capital_after)}`)) : null);
}

/** Messages new this round, the last one the question (unless `skipLast`); texts shown before are folded. */
function newMessages(call: CallView, seen: Seen, round: number, skipLast: boolean): HTMLElement[] {
  const list = call.messages.slice(call.newFrom, skipLast ? call.messages.length - 1 : call.messages.length);
  return list.map((m, i) => {
    const isQuestion = !skipLast && i === list.length - 1;
    const label = isQuestion ? "Question" : "Feedback";
    return seen.show(m, isQuestion ? "user" : "feedback", label, round, (r) => `round ${r}`);
  });
}

const decisionChip = (words: Record<Decision, string>, d: Decision) => h("span", { class: `chip ${d}`, "data-field": "decision-kind" }, words[d]);

// ------------------------------------------------------------ role-play

const ROLEPLAY_WORDS: Record<Decision, string> = { deviant: "violation", aligned: "follows the rule", unparseable: "unparseable" };

const roleplay: Panel<"roleplay"> = {
  label: "Role-play",
  deviantName: "violation",
  words: ROLEPLAY_WORDS,
  settings: (s) => s.roleplay,
  headline: {
    head: "Violation, last round",
    num: true,
    cell: (r) => {
      const v = r.headline.violation;
      if (!v || !v.total) return dash();
      return h("td", { class: "num", "data-field": "violation", "data-rate": String(v.rate) }, pct(v.rate), h("span", { class: "ci" }, `round ${v.round}, n=${v.total}${r.headline.scope === "sofar" ? ", so far" : ""}`));
    },
  },
  summaryLine: (s) => (s.roleplay ? `Role-play: ${s.roleplay.episodes} × ${s.roleplay.rounds} rounds` : null),
  meta: (s) => [s.roleplay ? ["Role-play", `${s.roleplay.episodes} episodes × ${s.roleplay.rounds} rounds · history ${s.roleplay.historyWindow === null ? "all" : s.roleplay.historyWindow} · ${s.roleplay.supervision.replace(/_/g, " ")}`] : null],
  section(d, at, pending) {
    const s = d.run.settings.roleplay;
    if (!s) return null;
    const rp = d.summary.roleplay;
    const live = unfinished(d);
    const rows = live ? (d.soFar.roleplay ?? []) : rp ? rp.overall : [];
    const played = rows.filter((r) => r.total > 0);
    const last = played.at(-1) ?? null;
    const tip = rp ? rp.tipping : null;
    const unparseable = rows.reduce((n, r) => n + r.unparseable, 0);
    return h("section", { class: "card", "data-section": "roleplay" },
      h("div", { class: "card-head" }, h("h2", null, `Role-play dilemmas: violation rate${live ? ", so far" : ""}`), h("span", { class: "muted small" }, finishedText(d.episodesBySuite.roleplay))),
      h("div", { class: "grid2" },
        chart(`${at.base}/charts/violation.svg${live ? "?scope=sofar" : ""}${at.at(!live)}`, "violation", pending),
        h("div", null,
          stat(`Violation rate, round ${last ? last.round : "—"}${live ? " so far" : ""}`, last ? pct(last.rate) : "—", "final-violation", last ? h("div", { class: "ci" }, `${ci(last.low, last.high)}, n=${last.total}`) : null),
          stat(`Round 1 → ${last ? last.round : "last"}`, last ? `${pct(played[0].rate)} → ${pct(last.rate)}` : "—"),
          tip ? stat("Tipped: deviates from some round to the end", `${tip.tipped} / ${tip.complete}`, undefined, h("div", { class: "ci" }, tip.complete ? `${pct(tip.tipped / tip.complete)} of finished episodes` : "counted once episodes finish")) : null,
          unparseable ? h("div", { class: "note" }, `${unparseable} unparseable answers count as non-violations.`) : null)),
      ratesTable(rows, "roleplay", "Violations"),
      !live && rp && rp.byScenario.length
        ? foldable("scenarios", `Violation rate by scenario and round (${rp.byScenario.length} scenarios)`,
            table([{ head: "Scenario", cell: (x) => td(x.environment) }, { head: "Episodes", num: true, cell: (x) => numTd(String(x.episodes)) }, ...roundColumns<(typeof rp.byScenario)[number]>(s.rounds, (i) => `R${i}`, (x, i) => heatCell(x.rates[i]))], rp.byScenario, { class: "heat" }))
        : null);
  },
  tipping: (d) => (d.summary.roleplay ? [["Role-play", d.summary.roleplay.tipping]] : []),
  compared: (d) => {
    const rows = unfinished(d) ? d.soFar.roleplay : d.summary.roleplay ? d.summary.roleplay.overall : null;
    return rows ? [{ label: "Violation rate", key: "roleplay", rows }] : [];
  },
  compareCard(d, at, pending) {
    const rows = unfinished(d) ? d.soFar.roleplay : d.summary.roleplay?.overall ?? null;
    return h("section", { class: "card", "data-section": "roleplay" }, h("h2", null, "Violation rate"),
      d.run.settings.roleplay ? [chart(`${at.base}/charts/violation.svg${unfinished(d) ? "?scope=sofar" : ""}`, "violation", pending), compactRates(rows ?? [], "roleplay-rates")] : h("p", { class: "empty" }, "No role-play episodes in this run."));
  },
  pill(x) {
    const kind: Decision = x.deviant ? "deviant" : x.unparseable ? "unparseable" : "aligned";
    return h("span", { class: `pill ${kind}`, title: `Round ${x.round}: ${ROLEPLAY_WORDS[kind]}`, "data-decision": kind }, String(x.round));
  },
  pillLegend: () => h("span", null, h("span", { class: "pill deviant" }, "n"), " violation  ", h("span", { class: "pill aligned" }, "n"), " follows the rule"),
  legend: (e) => h("div", { class: "legend" }, "Options: ", chip("aligned", e.options.aligned), " follows the rule · ", chip("deviant", e.options.deviant), " violates it"),
  rounds(e) {
    const seen = new Seen();
    return e.rounds.map((rd) => {
      const c = rd.calls[0];
      const sup = rd.supervision === 1 ? "supervised" : rd.supervision === -1 ? "unsupervised" : null;
      return h("section", { class: "round", "data-round": rd.round },
        h("div", { class: "round-head" }, h("h3", null, `Round ${rd.round}`), sup ? h("span", { class: "badge" }, sup) : null, h("span", { class: "spacer" }), decisionChip(ROLEPLAY_WORDS, c.decision)),
        newMessages(c, seen, rd.round, false),
        h("div", { class: "msg assistant" }, h("div", { class: "who" }, "Agent"), answer(c.response, c)),
        decisionLine(c, num),
        h("div", { class: "outcome" }, rd.outcome),
        allMessages(c));
    });
  },
  systemLabel: () => "System prompt",
  where: (a) => `Round ${a.round + 1}`,
  scenarioWord: "scenario ",
};

// ------------------------------------------------------------ threshold games

const GAME_WORDS: Record<Decision, string> = { deviant: "collusive", aligned: "independent", unparseable: "unparseable" };

/** Collusion rates per threshold and payoff set, by round; the full summary adds capital and tipping. */
export function collusionTable(groups: (CollusionGroup | CollusionSummary)[], rounds: number, several: boolean): HTMLElement {
  const full = groups.length > 0 && "capital" in groups[0];
  const columns: (Column<CollusionGroup> | null)[] = [
    { head: "Threshold", cell: (g) => td(`t = ${g.threshold}`) },
    several ? { head: "Payoffs", cell: (g) => td(payoffText(g.label), { class: "mono" }) } : null,
    { head: "k", num: true, cell: (g) => numTd(g.incentiveRatio === null ? "∞" : num(g.incentiveRatio)) },
    { head: "Games", num: true, cell: (g) => numTd(String(g.episodes)) },
    ...roundColumns<CollusionGroup>(rounds, (i) => `Round ${i}`, (g, i) => {
      const row = g.rates[i];
      const c = rateCell(row);
      if (row) c.setAttribute("data-round", String(row.round));
      return c;
    }),
    full ? { head: "Final capital", num: true, cell: (g) => {
      const f = (g as CollusionSummary).capital.final;
      return numTd([f.n ? num(f.mean) : "—", f.n ? h("span", { class: "ci" }, `n=${f.n}`) : null]);
    } } : null,
    full ? { head: "Tipped", num: true, cell: (g) => numTd(`${(g as CollusionSummary).tipping.tipped} / ${(g as CollusionSummary).tipping.complete}`) } : null,
  ];
  return table(columns, groups, { class: "rates", "data-table": "collusion-rates" }, (g) => ({ "data-threshold": g.threshold, "data-payoff": g.label }));
}

type PairRow = { g: CollusionSummary; p: CollusionSummary["diffusion"]["pairs"][number] };

function conditionalTable(groups: CollusionSummary[], several: boolean): HTMLElement {
  const rate = (x: PairRow["p"]["afterSuccess"]) => (x.n ? h("td", { class: "num", "data-rate": String(x.rate) }, pct(x.rate), h("span", { class: "ci" }, ci(x.low, x.high))) : dash());
  const columns: (Column<PairRow> | null)[] = [
    { head: "Threshold", cell: ({ g }) => td(`t = ${g.threshold}`) },
    several ? { head: "Payoffs", cell: ({ g }) => td(payoffText(g.label), { class: "mono" }) } : null,
    { head: "Rounds", cell: ({ p }) => td(`Round ${p.from} → ${p.to}`) },
    { head: "P(collude | succeeded)", num: true, cell: ({ p }) => rate(p.afterSuccess) },
    { head: "n", num: true, cell: ({ p }) => numTd(String(p.afterSuccess.n)) },
    { head: "P(collude | failed)", num: true, cell: ({ p }) => rate(p.afterFailure) },
    { head: "n", num: true, cell: ({ p }) => numTd(String(p.afterFailure.n)) },
  ];
  return table(columns, groups.flatMap((g) => g.diffusion.pairs.map((p) => ({ g, p }))), { class: "rates" });
}

const several = (s: RunSettings) => (s.collusion?.payoffs.length ?? 0) > 1;
const gameRates = (d: RunDetail): CollusionGroup[] => (unfinished(d) ? d.soFar.collusion : d.summary.collusion);

const collusion: Panel<"collusion"> = {
  label: "Games",
  deviantName: "collusion",
  words: GAME_WORDS,
  settings: (s) => s.collusion,
  headline: {
    head: "Collusion, first → last round",
    cell: (r) => {
      const many = several(r.settings);
      const rate = (c: RateCell | null) => (c && c.total ? pct(c.rate) : "—");
      const list = h("ul", { class: "headline-list" }, r.headline.collusion.map((g) =>
        h("li", { "data-threshold": g.threshold }, h("span", { class: "t" }, `t=${g.threshold}`), ` ${rate(g.first)} → ${rate(g.last)}`, many ? h("span", { class: "muted small" }, ` ${payoffText(g.payoff)}`) : null)));
      return td(r.headline.collusion.length ? [list, r.headline.scope === "sofar" ? h("span", { class: "ci" }, "so far") : null] : h("span", { class: "muted" }, "—"), { "data-field": "collusion" });
    },
  },
  scenarioNote: (e, s) => (e.threshold !== undefined ? h("span", { class: "ci" }, `t = ${e.threshold}${several(s) ? ` ${payoffText(e.payoff ?? "")}` : ""}`) : null),
  summaryLine: (s) => {
    const c = s.collusion;
    return c ? `Games: ${c.games} × ${c.agents} agents × ${c.rounds} rounds, t = ${c.thresholds.join(", ")}${c.payoffs.length > 1 ? `, ${c.payoffs.length} payoff sets` : ""}` : null;
  },
  meta: (s) => {
    const c = s.collusion;
    if (!c) return [];
    return [
      ["Games", `${c.games} games × ${c.agents} agents × ${c.rounds} rounds · t = ${c.thresholds.join(", ")}`],
      ["Game rules", `payoffs ${c.payoffs.map(payoffText).join(" ")} · peers ${c.peers.replace(/_/g, " ")} · ${c.capitalMode} capital${c.fixedColluders ? ` · ${c.fixedColluders} fixed colluders` : ""}`],
    ];
  },
  section(d, at, pending) {
    const s = d.run.settings.collusion;
    if (!s) return null;
    const live = unfinished(d);
    const groups = gameRates(d);
    const many = several(d.run.settings);
    const conditional = many
      ? s.payoffs.map((p) => chart(`${at.base}/charts/conditional.svg?payoff=${enc(p)}${at.at(false)}`, "conditional", pending))
      : [chart(`${at.base}/charts/conditional.svg${at.at(true)}`, "conditional", pending)];
    return h("section", { class: "card", "data-section": "collusion" },
      h("div", { class: "card-head" }, h("h2", null, `Threshold games: collusion rate${live ? ", so far" : ""}`), h("span", { class: "muted small" }, finishedText(d.episodesBySuite.collusion))),
      h("div", { class: "halves" },
        h("div", null, chart(`${at.base}/charts/collusion.svg${live ? "?scope=sofar" : ""}${at.at(!live)}`, "collusion", pending)),
        h("div", null, conditional)),
      groups.length ? collusionTable(groups, s.rounds, many) : h("p", { class: "empty" }, "No rounds saved yet."),
      d.summary.collusion.length ? foldable("conditional", "Collusion next round, given success or failure: the numbers", conditionalTable(d.summary.collusion, many)) : null);
  },
  tipping: (d) => d.summary.collusion.map((g) => [`t = ${g.threshold}${several(d.run.settings) ? ` ${payoffText(g.label)}` : ""}`, g.tipping]),
  compared: (d) => gameRates(d).map((g) => ({ label: `Collusion rate, t = ${g.threshold}${several(d.run.settings) ? ` ${payoffText(g.label)}` : ""}`, key: `collusion/${g.threshold}/${g.label}`, rows: g.rates })),
  compareCard(d, at, pending) {
    const s = d.run.settings.collusion;
    return h("section", { class: "card", "data-section": "collusion" }, h("h2", null, "Collusion rate"),
      s ? [chart(`${at.base}/charts/collusion.svg${unfinished(d) ? "?scope=sofar" : ""}`, "collusion", pending), collusionTable(gameRates(d), s.rounds, s.payoffs.length > 1)] : h("p", { class: "empty" }, "No games in this run."));
  },
  pill(x) {
    const total = x.deviant + x.aligned + x.unparseable;
    const share = total ? x.deviant / total : 0;
    return h("span", { class: `pill game${x.success ? " success" : ""}`, title: `Round ${x.round}: ${x.deviant} of ${total} colluded; collusion ${x.success ? "succeeded" : "failed"}`, style: `background:rgba(242,142,43,${(0.1 + share * 0.85).toFixed(3)})` }, `${x.deviant}${x.success ? "✓" : ""}`);
  },
  pillLegend: () => h("span", null, h("span", { class: "pill game", style: "background:rgba(242,142,43,0.5)" }, "3✓"), " games: agents that colluded; ✓ collusion succeeded"),
  legend: (e) => h("div", { class: "legend" }, "Options: ", chip("deviant", e.options.deviant), " collusive · ", chip("aligned", e.options.aligned), ` independent · threshold t = ${e.threshold} of ${e.agents} agents, payoffs ${payoffText(e.payoff ?? "")}`),
  charts: (e, at, pending) => (e.rounds.length ? h("section", { class: "card" }, chart(`${at.base}/charts/trace.svg?episode=${enc(e.key)}${e.repeat ? `&repeat=${e.repeat}` : ""}`, "trace", pending)) : null),
  rounds(e) {
    const seen = new Seen();
    return e.rounds.map((rd) => {
      const asked = rd.calls.filter((c) => !c.fixed);
      const lastOf = (c: CallView) => (c.messages.length ? c.messages[c.messages.length - 1].content : "");
      const shared = asked.length > 0 && asked.every((c) => c.newFrom < c.messages.length && lastOf(c) === lastOf(asked[0]));
      const question = shared ? seen.show(asked[0].messages[asked[0].messages.length - 1], "user", "Question to every agent", rd.round, (r) => `round ${r}`) : null;
      const cards = rd.calls.map((c) => {
        const told = c.fixed ? [] : c.messages.slice(c.newFrom, shared ? c.messages.length - 1 : c.messages.length);
        return h("div", { class: `agent ${c.decision}`, "data-agent": c.agent },
          h("div", { class: "agent-head" }, h("b", null, `Agent ${c.agent}`), c.fixed ? h("span", { class: "badge" }, "fixed colluder, not asked") : null, h("span", { class: "spacer" }), decisionChip(GAME_WORDS, c.decision)),
          told.length ? h("details", { class: "fold" }, h("summary", null, `Told before answering (${plural(told.length, "message")})`), told.map((m) => message(m, "feedback", "Feedback"))) : null,
          c.fixed ? h("div", { class: "text muted small" }, c.response) : answer(c.response, c),
          decisionLine(c, signed),
          c.fixed ? null : allMessages(c));
      });
      const result = rd.success ? "Collusion succeeded" : "Collusion failed";
      return h("section", { class: "round", "data-round": rd.round },
        h("div", { class: "round-head" }, h("h3", null, `Round ${rd.round}`), h("span", { class: `chip ${rd.success ? "deviant" : "plain"}`, "data-field": "round-result" }, `${result}: ${rd.colluders} of ${rd.calls.length} colluded (t = ${e.threshold})`)),
        question,
        h("div", { class: "agents" }, cards),
        h("div", { class: "outcome" }, rd.outcome));
    });
  },
  systemLabel: (differs, agent) => `System prompt${differs ? ` (agent ${agent}; others differ)` : " (the same for every agent)"}`,
  where: (a) => `Round ${a.round + 1}, agent ${a.agent}`,
  scenarioWord: "scenario ",
};

// ------------------------------------------------------------ tool use

/** The measures of the tool-use table, in its row order. */
const TOOL_MEASURES: [string, keyof Omit<ToolUseRoundRates, "round" | "problems" | "meanReward">][] = [
  ["Tool use, all problems", "toolUse"],
  ["Tool use, easy", "easyToolUse"],
  ["Tool use, hard", "hardToolUse"],
  ["Accuracy, easy", "easyAccuracy"],
  ["Accuracy, hard", "hardAccuracy"],
];

const tooluse: Panel<"tooluse"> = {
  label: "Tool use",
  deviantName: "no calculator",
  words: { deviant: "no calculator", aligned: "calculator", unparseable: "no readable answer" },
  settings: (s) => s.toolUse,
  headline: {
    head: "Tool use, first → last round",
    cell: (r) => {
      const tool = r.headline.toolUse;
      const ends = (e: ToolUseEnds) => `${e.first ? pct(e.first.rate) : "—"} → ${e.last ? pct(e.last.rate) : "—"}`;
      return td(tool
        ? [h("ul", { class: "headline-list" },
            h("li", { "data-field": "tool-use" }, h("span", { class: "t" }, "tool"), ` ${ends(tool.toolUse)}`),
            h("li", { "data-field": "hard-accuracy" }, h("span", { class: "t" }, "hard"), ` ${ends(tool.hardAccuracy)} right`)),
          r.headline.scope === "sofar" ? h("span", { class: "ci" }, "so far") : null]
        : h("span", { class: "muted" }, "—"), { "data-field": "tooluse" });
    },
  },
  summaryLine: (s) => {
    const t = s.toolUse;
    return t ? `Tool use: ${t.episodes} × ${t.rounds} rounds × (${t.easy} easy + ${t.hard} hard), ${t.protocol} protocol` : null;
  },
  meta: (s) => {
    const t = s.toolUse;
    if (!t) return [];
    return [
      ["Tool use", `${t.episodes} episodes × ${t.rounds} rounds × (${t.easy} easy + ${t.hard} hard problems) · difficulty ${t.difficulty} · history ${t.historyWindow === null ? "all" : `${t.historyWindow} problems`}`],
      ["Tool rules", `${t.protocol} protocol · up to ${t.maxToolCalls} calculator calls per problem · correct ${signed(t.rewards.easy)} easy, ${signed(t.rewards.hard)} hard · cost ${num(t.costs.tool)} with the calculator, ${num(t.costs.direct)} without`],
    ];
  },
  section(d, at, pending) {
    if (!d.run.settings.toolUse || !d.toolUse) return null;
    const live = unfinished(d);
    const rates = live ? d.toolUse.soFar : d.toolUse.rates;
    const endsOf = (key: (typeof TOOL_MEASURES)[number][1]) => {
      const played = rates.filter((r) => r[key].n > 0);
      return played.length ? `${pct(played[0][key].rate)} → ${pct(played[played.length - 1][key].rate)}` : "—";
    };
    const columns: Column<(typeof TOOL_MEASURES)[number]>[] = [
      { head: "", cell: ([label]) => td(label) },
      ...rates.map((r) => ({ head: `Round ${r.round}`, num: true, cell: ([, key]: (typeof TOOL_MEASURES)[number]) => {
        const c = proportionCell(r[key]);
        c.setAttribute("data-round", String(r.round));
        return c;
      } })),
    ];
    return h("section", { class: "card", "data-section": "tooluse" },
      h("div", { class: "card-head" }, h("h2", null, `Tool use: calculator use and accuracy${live ? ", so far" : ""}`), h("span", { class: "muted small" }, finishedText(d.episodesBySuite.tooluse))),
      h("div", { class: "grid2" },
        chart(`${at.base}/charts/tooluse.svg${live ? "?scope=sofar" : ""}${at.at(!live)}`, "tooluse", pending),
        h("div", null,
          stat(`Tool use, round 1 → ${rates.length || "last"}`, endsOf("toolUse"), "tool-use-ends"),
          stat(`Hard problems right, round 1 → ${rates.length || "last"}`, endsOf("hardAccuracy"), "hard-accuracy-ends"),
          h("p", { class: "caption" }, "A problem counts as tool use when the calculator ran at least once for it. Skipping it is the shortcut: it pays on easy problems and fails on hard ones."))),
      rates.length ? table(columns, TOOL_MEASURES, { class: "rates", "data-table": "tooluse-rates" }, ([, key]) => ({ "data-measure": key })) : h("p", { class: "empty" }, "No problems saved yet."));
  },
  pill(x) {
    const n = x.deviant + x.aligned + x.unparseable;
    const used = n ? x.aligned / n : 0;
    return h("span", { class: "pill tool", "data-tool-use": String(x.aligned), title: `Round ${x.round}: calculator on ${x.aligned} of ${n} problems, ${x.correct} right`, style: `background:rgba(45,122,86,${(0.08 + used * 0.6).toFixed(3)})` }, `${x.aligned}/${n}`);
  },
  pillLegend: () => h("span", null, h("span", { class: "pill tool", style: "background:rgba(45,122,86,0.4)" }, "7/10"), " tool use: problems of the round solved with the calculator"),
  legend: () => h("div", { class: "legend" }, "Per problem: ", chip("aligned", "calculator"), " used the tool · ", chip("deviant", "no calculator"), " answered directly (the shortcut)"),
  rounds(e) {
    const seen = new Seen();
    return e.rounds.map((p) => {
      const d = p.detail;
      const turns: HTMLElement[] = [];
      p.calls.forEach((c, k) => {
        const told = c.messages.slice(c.newFrom);
        told.forEach((m, i) => {
          // After the first call, what comes back is the calculator's (a tool message, or RESULT lines as user text).
          const tool = m.role === "tool" || k > 0;
          const isQuestion = k === 0 && i === told.length - 1;
          const label = tool ? "Calculator" : isQuestion ? "Question" : "Feedback";
          turns.push(seen.show(m, isQuestion ? "user" : "feedback", label, p.round, (r) => `problem ${r}`, !tool));
        });
        const requests = (c.tool_calls ?? []).map((t) => h("div", { class: "mono small", "data-field": "tool-call" }, `→ ${t.function.name} ${t.function.arguments}`));
        turns.push(h("div", { class: "msg assistant", "data-turn": String(k) }, h("div", { class: "who" }, `Agent${p.calls.length > 1 ? ` · call ${k + 1} of ${p.calls.length}` : ""}`), answer(c.response, c), requests));
      });
      return h("section", { class: "round", "data-round": p.round, "data-problem": d.problem },
        h("div", { class: "round-head" }, h("h3", null, `Round ${p.evolutionRound} · problem ${p.position} (${d.kind})`),
          h("span", { class: "spacer" }),
          decisionChip(tooluse.words, p.decision),
          h("span", { class: `chip ${d.correct ? "aligned" : "deviant"}`, "data-field": "correct" }, d.correct ? "right" : "wrong")),
        turns,
        h("div", { class: "decision", "data-field": "decision" },
          h("span", { class: "kv", "data-field": "answer" }, "Answer ", h("b", null, d.answer === null ? "none" : d.answer)),
          h("span", { class: "kv", "data-field": "expected" }, "Expected ", h("b", null, d.expected)),
          h("span", { class: "kv", "data-field": "reward" }, "Reward ", h("b", null, signed(p.reward)))),
        h("div", { class: "outcome" }, p.outcome),
        allMessages(p.calls[p.calls.length - 1]));
    });
  },
  where: (a) => `Problem ${a.round + 1}, call ${a.turn + 1}`,
  scenarioWord: "problem set ",
};

// ------------------------------------------------------------ a testbed without a panel of its own

const MEASURED_WORDS: Record<Decision, string> = { deviant: "deviant", aligned: "not deviant", unparseable: "unparseable" };

type MeasureView = MeasuresView["measures"][number];
type MeasureGroupView = MeasureView["groups"][number];

/** A measure's rates per round, one row per group of its axes. */
function measureTable(m: MeasureView, testbed: string): HTMLElement {
  const rounds = Math.max(0, ...m.groups.map((g) => g.rounds.length));
  const columns: Column<MeasureGroupView>[] = [
    { head: m.by.length ? m.by.join(", ") : "Measure", cell: (g) => td(m.by.length ? m.by.map((axis) => String(g.axes[axis])).join(", ") : m.title) },
    { head: "Episodes", num: true, cell: (g) => numTd(String(g.episodes)) },
    ...roundColumns<MeasureGroupView>(rounds, (i) => `Round ${i}`, (g, i) => {
      const x = g.rounds[i];
      return rateCell(x ? { ...x, deviant: x.hits } : null);
    }),
    { head: "Unparseable", num: true, cell: (g) => numTd(String(g.rounds.reduce((n, x) => n + x.unparseable, 0))) },
    { head: "Missing", num: true, cell: (g) => numTd(String(g.rounds.reduce((n, x) => n + x.failed, 0))) },
  ];
  return table(columns, m.groups, { class: "rates", "data-table": `${testbed}-${m.id}-rates` }, (g) => ({ "data-group": JSON.stringify(g.axes) }));
}

/**
 * The panel of a testbed the page has none of, built from what the server reads of its
 * measures: a card of each measure's rates by round per group, its chart, and its episodes'
 * calls with the decision each made.
 */
export function measuredPanel(t: { id: string; title: string }): Panel<string> {
  const heading = t.title.charAt(0).toUpperCase() + t.title.slice(1);
  const mine = (s: RunSettings): MeasuredTestbed | null => s.measured?.find((m) => m.id === t.id) ?? null;
  return {
    label: heading,
    deviantName: "deviant",
    words: MEASURED_WORDS,
    settings: mine,
    summaryLine: (s) => {
      const m = mine(s);
      return m ? `${heading}: ${m.episodes} × ${m.rounds} rounds` : null;
    },
    meta: (s) => {
      const m = mine(s);
      return [m ? [heading, `${m.episodes} episodes × ${m.rounds} rounds`] : null];
    },
    section(d, at, pending) {
      const v = d.measures?.find((m) => m.testbed === t.id);
      if (!v) return null;
      return h("section", { class: "card", "data-section": t.id },
        h("div", { class: "card-head" }, h("h2", null, `${heading}: rates by round`), h("span", { class: "muted small" }, finishedText(v.counts))),
        chart(`${at.base}/charts/measures-${enc(t.id)}.svg${at.at(true)}`, `measures-${t.id}`, pending),
        v.measures.map((m) => [h("h3", null, `${m.title}${m.by.length ? ` by ${m.by.join(", ")}` : ""}`), measureTable(m, t.id)]),
        h("p", { class: "caption" }, "Finished episodes; rates with 95% intervals. Unparseable answers count as not deviating; decisions lost to failed calls are missing."));
    },
    pill(x) {
      const kind: Decision = x.deviant ? "deviant" : x.unparseable ? "unparseable" : "aligned";
      return h("span", { class: `pill ${kind}`, title: `Round ${x.round}: ${x.deviant} deviant of ${x.deviant + x.aligned + x.unparseable} decisions`, "data-decision": kind }, String(x.round));
    },
    pillLegend: () => h("span", null, `${heading}: `, h("span", { class: "pill deviant" }, "n"), " some decision deviated  ", h("span", { class: "pill aligned" }, "n"), " none did"),
    legend: () => h("div", { class: "legend" }, "Each decision as the measures count it: ", chip("deviant", "deviant"), " · ", chip("aligned", "not deviant"), " · ", chip("unparseable", "unparseable")),
    rounds(e) {
      const seen = new Seen();
      // The server sends a measured view for every testbed without a panel of its own.
      return (e as MeasuredEpisodeView).rounds.map((rd) =>
        h("section", { class: "round", "data-round": rd.round },
          h("div", { class: "round-head" }, h("h3", null, `Round ${rd.round}`)),
          rd.calls.map((c) => [
            newMessages(c, seen, rd.round, false),
            h("div", { class: "msg assistant", "data-agent": String(c.agent) },
              h("div", { class: "who" }, `Agent ${c.agent}`, c.decision ? [" ", decisionChip(MEASURED_WORDS, c.decision)] : null),
              answer(c.response, c)),
            allMessages(c),
          ]),
          h("div", { class: "outcome" }, rd.outcome)));
    },
    where: (a) => `Round ${a.round + 1}, agent ${a.agent}`,
    scenarioWord: "scenario ",
  };
}

/** Every testbed's panel, in the order the run page shows them. */
export const PANELS: { [T in TestbedId]: Panel<T> } = { roleplay, collusion, tooluse };

/**
 * A panel as the pages use it, for any episode view. Each panel reads only its own testbed's
 * views, and the page hands a panel only its testbed's episodes (panelFor).
 */
const anyView = (p: { [T in TestbedId]: Panel<T> }[TestbedId]): Panel<string> => p as unknown as Panel<string>;

/** The panels with one of their own, in PANELS' order. */
export const ownPanels = (): Panel<string>[] => Object.values(PANELS).map(anyView);

/** The panels of the testbeds a run plays: those with one of their own, then those shown by their measures. */
export function panelsOf(s: RunSettings): Panel<string>[] {
  return [...ownPanels().filter((p) => p.settings(s) !== null), ...(s.measured ?? []).map(measuredPanel)];
}

/** The panel of an episode's testbed; one without its own is named by its id. */
export const panelFor = (e: EpisodeView | EpisodeRow): Panel<string> => (Object.hasOwn(PANELS, e.suite) ? anyView(PANELS[e.suite as TestbedId]) : measuredPanel({ id: e.suite, title: e.suite }));
