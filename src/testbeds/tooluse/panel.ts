/**
 * The viewer's panel of tool use: calculator use and accuracy per round, and each episode's
 * problems with every call made for them. Compiled for the browser.
 */
import type { EpisodeRow, Headline, RunDetail, RunOverview, RunSettings } from "../../view/api.js";
import { h, num, pct, signed } from "../../view/client/dom.js";
import { decisionChip, finishedText, stat, unfinished, type Panel } from "../../view/client/panel.js";
import { allMessages, answer, chart, chip, proportionCell, Seen, table, td, type Column } from "../../view/client/render.js";
import type { ToolUseDetailFields, ToolUseEnds, ToolUseEpisodeView, ToolUseHeadlineFields, ToolUseRoundDecisions, ToolUseRoundRates, ToolUseSettingsFields } from "./view-api.js";

const settingsOf = (s: RunSettings) => (s as RunSettings & ToolUseSettingsFields).toolUse;
const ratesOf = (d: RunDetail) => (d as RunDetail & ToolUseDetailFields).toolUse;
const headlineOf = (r: RunOverview) => r.headline as Headline & ToolUseHeadlineFields;

/** The measures of the tool-use table, in its row order. */
const TOOL_MEASURES: [string, keyof Omit<ToolUseRoundRates, "round" | "problems" | "meanReward">][] = [
  ["Tool use, all problems", "toolUse"],
  ["Tool use, easy", "easyToolUse"],
  ["Tool use, hard", "hardToolUse"],
  ["Accuracy, easy", "easyAccuracy"],
  ["Accuracy, hard", "hardAccuracy"],
];

export const toolUsePanel: Panel<ToolUseEpisodeView, EpisodeRow, ToolUseRoundDecisions> = {
  label: "Tool use",
  deviantName: "no calculator",
  words: { deviant: "no calculator", aligned: "calculator", unparseable: "no readable answer" },
  settings: (s) => settingsOf(s),
  headline: {
    head: "Tool use, first → last round",
    cell: (r) => {
      const tool = headlineOf(r).toolUse;
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
    const t = settingsOf(s);
    return t ? `Tool use: ${t.episodes} × ${t.rounds} rounds × (${t.easy} easy + ${t.hard} hard), ${t.protocol} protocol` : null;
  },
  meta: (s) => {
    const t = settingsOf(s);
    if (!t) return [];
    return [
      ["Tool use", `${t.episodes} episodes × ${t.rounds} rounds × (${t.easy} easy + ${t.hard} hard problems) · difficulty ${t.difficulty} · history ${t.historyWindow === null ? "all" : `${t.historyWindow} problems`}`],
      ["Tool rules", `${t.protocol} protocol · up to ${t.maxToolCalls} calculator calls per problem · correct ${signed(t.rewards.easy)} easy, ${signed(t.rewards.hard)} hard · cost ${num(t.costs.tool)} with the calculator, ${num(t.costs.direct)} without`],
    ];
  },
  section(d, at, pending) {
    const view = ratesOf(d);
    if (!settingsOf(d.run.settings) || !view) return null;
    const live = unfinished(d);
    const rates = live ? view.soFar : view.rates;
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
          decisionChip(toolUsePanel.words, p.decision),
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

