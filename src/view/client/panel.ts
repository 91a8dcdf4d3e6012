/**
 * What the page shows of a testbed, as a panel: which tables with which columns, which charts,
 * how a decision is named, how an episode's conversation reads. A testbed's own panel lives in
 * its folder (src/testbeds/NAME/panel.ts) and is built from the renderers here; a testbed
 * without one is shown by its measures (measuredPanel).
 */
import type { CallView, ChoiceCallView, Decision, EpisodeRow, EpisodeView, MeasuredEpisodeView, MeasuredTestbed, MeasuresView, RateRow, RoundDecisions, RunDetail, RunOverview, RunSettings, SuiteCounts, Tipping } from "../api.js";
import { enc, h, num, pct, type Child } from "./dom.js";
import { allMessages, answer, chart, chip, dash, numTd, rateCell, Seen, table, td, type Column, type MetaItem } from "./render.js";

/** Where a run page's pieces fetch from: the run's API base and the snapshot the page shows. */
export interface RunPlace {
  base: string;
  /** The snapshot (RunDetail.at) the page shows, once it has one. */
  snapshot?: number;
  /** `?at=N` / `&at=N`: charts drawn from the same snapshot as the numbers beside them. */
  at: (first: boolean) => string;
}

/**
 * What the page shows of one testbed: `V` is the episode view its testbed's view sends, `Row` its
 * episode rows and `R` their rounds' decisions, with the testbed's own fields.
 */
export interface Panel<V extends EpisodeView = EpisodeView, Row extends EpisodeRow = EpisodeRow, R extends RoundDecisions = RoundDecisions> {
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
  pill(x: R, e: Row): HTMLElement;
  /** The pills' legend on the episode list. */
  pillLegend: () => HTMLElement;
  /** The episode page: what the options are, and its rounds as a conversation. */
  legend(e: V): HTMLElement;
  /** The episode's charts. */
  charts?(e: V, at: RunPlace, pending: Promise<unknown>[]): HTMLElement | null;
  rounds(e: V): HTMLElement[];
  /** The system prompt's label (null: the same for every agent). */
  systemLabel?(differs: boolean, agent: number): string;
  /** Where a rejected answer was given. */
  where(a: { round: number; agent: number; turn: number }): string;
  /** Said under an episode's scenario in the episode list. */
  scenarioNote?(e: Row, s: RunSettings): HTMLElement | null;
  /** What the scenario is called beside its id. */
  scenarioWord: string;
}


// ------------------------------------------------------------ shared by the testbeds' panels

/** Whether some episodes have not finished: then the rates shown are those of every decision saved so far. */
export const unfinished = (d: RunDetail) => d.run.episodes.done + d.run.episodes.failed < d.run.episodes.total;

export const finishedText = (c: SuiteCounts | undefined) => (c ? `${c.done} of ${c.total} episodes finished${c.failed ? `, ${c.failed} failed` : ""}` : "");

/** Rates per round as a table: a rate table's columns. */
export function ratesTable(rows: RateRow[], what: string, deviantWord: string): HTMLElement {
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
export function roundColumns<Row>(rounds: number, head: (i: number) => string, of: (row: Row, i: number) => HTMLTableCellElement): Column<Row>[] {
  return Array.from({ length: rounds }, (_, i) => ({ head: head(i + 1), num: true, cell: (row: Row) => of(row, i) }));
}

export function heatCell(row: RateRow | undefined): HTMLTableCellElement {
  if (!row || !row.total) return dash();
  const a = 0.08 + row.rate * 0.8;
  return numTd(pct(row.rate), { "data-rate": String(row.rate), title: `${row.deviant} of ${row.total}`, style: `background:rgba(194,65,45,${a.toFixed(3)});color:${row.rate > 0.5 ? "#fff" : "inherit"}` });
}

export function stat(label: string, value: Child, field?: string, extra?: Child): HTMLElement {
  return h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value", "data-field": field }, value), extra);
}

export function decisionLine(c: ChoiceCallView, rewardText: (r: number) => string): HTMLElement {
  return h("div", { class: "decision", "data-field": "decision" },
    h("span", { class: "kv", "data-field": "choice" }, "Choice ", chip(c.decision, c.choice === null ? "no readable choice" : c.choice)),
    h("span", { class: "kv", "data-field": "reward" }, "Reward ", h("b", null, rewardText(c.reward))),
    c.capital_before !== undefined ? h("span", { class: "kv", "data-field": "capital" }, "Capital ", h("b", null, `${num(c.capital_before)} → ${num(c.capital_after)}`)) : null);
}

/** Messages new this round, the last one the question (unless `skipLast`); texts shown before are folded. */
export function newMessages(call: CallView, seen: Seen, round: number, skipLast: boolean): HTMLElement[] {
  const list = call.messages.slice(call.newFrom, skipLast ? call.messages.length - 1 : call.messages.length);
  return list.map((m, i) => {
    const isQuestion = !skipLast && i === list.length - 1;
    const label = isQuestion ? "Question" : "Feedback";
    return seen.show(m, isQuestion ? "user" : "feedback", label, round, (r) => `round ${r}`);
  });
}

export const decisionChip = (words: Record<Decision, string>, d: Decision) => h("span", { class: `chip ${d}`, "data-field": "decision-kind" }, words[d]);

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
export function measuredPanel(t: { id: string; title: string }): Panel {
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
