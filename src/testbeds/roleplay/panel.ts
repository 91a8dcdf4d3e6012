/**
 * The viewer's panel of role-play: the violation rate per round and by scenario, and each
 * episode's rounds with the supervision they were played under. Compiled for the browser.
 */
import type { Decision, Headline, RunDetail, RunOverview, RunSettings } from "../../view/api.js";
import { ci, h, num, pct } from "../../view/client/dom.js";
import { decisionChip, decisionLine, finishedText, heatCell, newMessages, ratesTable, compactRates, roundColumns, stat, unfinished, type Panel } from "../../view/client/panel.js";
import { allMessages, answer, chart, chip, dash, foldable, numTd, Seen, table, td } from "../../view/client/render.js";
import type { RoleplayEpisodeView, RoleplaySettingsFields, RoleplaySoFarFields, RoleplaySummaryFields, RoleplayHeadlineFields } from "./view-api.js";

const settingsOf = (s: RunSettings) => (s as RunSettings & RoleplaySettingsFields).roleplay;
const summaryOf = (d: RunDetail) => (d.summary as RoleplaySummaryFields).roleplay;
const soFarOf = (d: RunDetail) => (d.soFar as RoleplaySoFarFields).roleplay;
const headlineOf = (r: RunOverview) => r.headline as Headline & RoleplayHeadlineFields;

const ROLEPLAY_WORDS: Record<Decision, string> = { deviant: "violation", aligned: "follows the rule", unparseable: "unparseable" };

export const roleplayPanel: Panel<RoleplayEpisodeView> = {
  label: "Role-play",
  deviantName: "violation",
  words: ROLEPLAY_WORDS,
  settings: (s) => settingsOf(s),
  headline: {
    head: "Violation, last round",
    num: true,
    cell: (r) => {
      const v = headlineOf(r).violation;
      if (!v || !v.total) return dash();
      return h("td", { class: "num", "data-field": "violation", "data-rate": String(v.rate) }, pct(v.rate), h("span", { class: "ci" }, `round ${v.round}, n=${v.total}${r.headline.scope === "sofar" ? ", so far" : ""}`));
    },
  },
  summaryLine: (s) => {
    const r = settingsOf(s);
    return r ? `Role-play: ${r.episodes} × ${r.rounds} rounds` : null;
  },
  meta: (s) => {
    const r = settingsOf(s);
    return [r ? ["Role-play", `${r.episodes} episodes × ${r.rounds} rounds · history ${r.historyWindow === null ? "all" : r.historyWindow} · ${r.supervision.replace(/_/g, " ")}`] : null];
  },
  section(d, at, pending) {
    const s = settingsOf(d.run.settings);
    if (!s) return null;
    const rp = summaryOf(d);
    const live = unfinished(d);
    const rows = live ? (soFarOf(d) ?? []) : rp ? rp.overall : [];
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
  tipping: (d) => {
    const rp = summaryOf(d);
    return rp ? [["Role-play", rp.tipping]] : [];
  },
  compared: (d) => {
    const rows = unfinished(d) ? soFarOf(d) : summaryOf(d)?.overall ?? null;
    return rows ? [{ label: "Violation rate", key: "roleplay", rows }] : [];
  },
  compareCard(d, at, pending) {
    const rows = unfinished(d) ? soFarOf(d) : summaryOf(d)?.overall ?? null;
    return h("section", { class: "card", "data-section": "roleplay" }, h("h2", null, "Violation rate"),
      settingsOf(d.run.settings) ? [chart(`${at.base}/charts/violation.svg${unfinished(d) ? "?scope=sofar" : ""}`, "violation", pending), compactRates(rows ?? [], "roleplay-rates")] : h("p", { class: "empty" }, "No role-play episodes in this run."));
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

