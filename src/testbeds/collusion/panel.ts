/**
 * The viewer's panel of the threshold games: collusion rates per threshold and payoff set, the
 * conditional rates, and each game's rounds agent by agent with its trace. Compiled for the browser.
 */
import type { CallView, Decision, Headline, RateCell, RunDetail, RunOverview, RunSettings } from "../../view/api.js";
import { ci, enc, h, num, pct, plural, signed } from "../../view/client/dom.js";
import { decisionChip, decisionLine, finishedText, roundColumns, unfinished, type Panel } from "../../view/client/panel.js";
import { allMessages, answer, chart, chip, dash, foldable, message, numTd, rateCell, Seen, table, td, type Column } from "../../view/client/render.js";
import type { CollusionGroup, CollusionHeadlineFields, CollusionSettingsFields, CollusionSoFarFields, CollusionSummary, CollusionSummaryFields, GameEpisodeView, GameRoundDecisions, GameRow } from "./view-api.js";

/** `1.2,1.0,0.8` as `(1.2, 1.0, 0.8)`. */
const payoffText = (label: string) => `(${label.split(",").join(", ")})`;

const settingsOf = (s: RunSettings) => (s as RunSettings & CollusionSettingsFields).collusion;
const summaryOf = (d: RunDetail) => (d.summary as CollusionSummaryFields).collusion;
const soFarOf = (d: RunDetail) => (d.soFar as CollusionSoFarFields).collusion;
const headlineOf = (r: RunOverview) => r.headline as Headline & CollusionHeadlineFields;

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

const several = (s: RunSettings) => (settingsOf(s)?.payoffs.length ?? 0) > 1;
const gameRates = (d: RunDetail): CollusionGroup[] => (unfinished(d) ? soFarOf(d) : summaryOf(d));

export const collusionPanel: Panel<GameEpisodeView, GameRow, GameRoundDecisions> = {
  label: "Games",
  deviantName: "collusion",
  words: GAME_WORDS,
  settings: (s) => settingsOf(s),
  headline: {
    head: "Collusion, first → last round",
    cell: (r) => {
      const many = several(r.settings);
      const rate = (c: RateCell | null) => (c && c.total ? pct(c.rate) : "—");
      const list = h("ul", { class: "headline-list" }, headlineOf(r).collusion.map((g) =>
        h("li", { "data-threshold": g.threshold }, h("span", { class: "t" }, `t=${g.threshold}`), ` ${rate(g.first)} → ${rate(g.last)}`, many ? h("span", { class: "muted small" }, ` ${payoffText(g.payoff)}`) : null)));
      return td(headlineOf(r).collusion.length ? [list, r.headline.scope === "sofar" ? h("span", { class: "ci" }, "so far") : null] : h("span", { class: "muted" }, "—"), { "data-field": "collusion" });
    },
  },
  scenarioNote: (e, s) => (e.threshold !== undefined ? h("span", { class: "ci" }, `t = ${e.threshold}${several(s) ? ` ${payoffText(e.payoff)}` : ""}`) : null),
  summaryLine: (s) => {
    const c = settingsOf(s);
    return c ? `Games: ${c.games} × ${c.agents} agents × ${c.rounds} rounds, t = ${c.thresholds.join(", ")}${c.payoffs.length > 1 ? `, ${c.payoffs.length} payoff sets` : ""}` : null;
  },
  meta: (s) => {
    const c = settingsOf(s);
    if (!c) return [];
    return [
      ["Games", `${c.games} games × ${c.agents} agents × ${c.rounds} rounds · t = ${c.thresholds.join(", ")}`],
      ["Game rules", `payoffs ${c.payoffs.map(payoffText).join(" ")} · peers ${c.peers.replace(/_/g, " ")} · ${c.capitalMode} capital${c.fixedColluders ? ` · ${c.fixedColluders} fixed colluders` : ""}`],
    ];
  },
  section(d, at, pending) {
    const s = settingsOf(d.run.settings);
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
      summaryOf(d).length ? foldable("conditional", "Collusion next round, given success or failure: the numbers", conditionalTable(summaryOf(d), many)) : null);
  },
  tipping: (d) => summaryOf(d).map((g) => [`t = ${g.threshold}${several(d.run.settings) ? ` ${payoffText(g.label)}` : ""}`, g.tipping]),
  compared: (d) => gameRates(d).map((g) => ({ label: `Collusion rate, t = ${g.threshold}${several(d.run.settings) ? ` ${payoffText(g.label)}` : ""}`, key: `collusion/${g.threshold}/${g.label}`, rows: g.rates })),
  compareCard(d, at, pending) {
    const s = settingsOf(d.run.settings);
    return h("section", { class: "card", "data-section": "collusion" }, h("h2", null, "Collusion rate"),
      s ? [chart(`${at.base}/charts/collusion.svg${unfinished(d) ? "?scope=sofar" : ""}`, "collusion", pending), collusionTable(gameRates(d), s.rounds, s.payoffs.length > 1)] : h("p", { class: "empty" }, "No games in this run."));
  },
  pill(x) {
    const total = x.deviant + x.aligned + x.unparseable;
    const share = total ? x.deviant / total : 0;
    return h("span", { class: `pill game${x.success ? " success" : ""}`, title: `Round ${x.round}: ${x.deviant} of ${total} colluded; collusion ${x.success ? "succeeded" : "failed"}`, style: `background:rgba(242,142,43,${(0.1 + share * 0.85).toFixed(3)})` }, `${x.deviant}${x.success ? "✓" : ""}`);
  },
  pillLegend: () => h("span", null, h("span", { class: "pill game", style: "background:rgba(242,142,43,0.5)" }, "3✓"), " games: agents that colluded; ✓ collusion succeeded"),
  legend: (e) => h("div", { class: "legend" }, "Options: ", chip("deviant", e.options.deviant), " collusive · ", chip("aligned", e.options.aligned), ` independent · threshold t = ${e.threshold} of ${e.agents} agents, payoffs ${payoffText(e.payoff)}`),
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

