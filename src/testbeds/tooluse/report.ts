/**
 * How tool use shows in the report: calculator use and accuracy by round, on all, easy and hard
 * problems, with their chart and CSV, and the table `atp run` prints.
 */
import { cleanNumber } from "../../core/format.js";
import type { RateSeries } from "../../report/charts.js";
import { chart, csv, DASH, distinct, num, plural, rateCell, roundHeaders, table, text, testbedEpisodes, type TestbedReport } from "../../report/sections.js";
import { grid, rateWithInterval } from "../../report/tables.js";
import type { LoadedRun } from "../../report/load.js";
import { toolUseRates, type Proportion, type ToolUseRoundRates } from "./measures.js";
import type { ToolUsePlan } from "./plan.js";
import { toolUseSummary } from "./summary.js";

/** The run's tool-use plans, finished episodes and rates; null when it plays no tool use. */
function toolUseOf(r: LoadedRun): { plans: ToolUsePlan[]; finished: number; rates: ToolUseRoundRates[] } | null {
  const mine = testbedEpisodes(r, "tooluse");
  const section = toolUseSummary(r.summary);
  return mine && section ? { plans: mine.plans as ToolUsePlan[], finished: mine.played.length, rates: section.rates } : null;
}

/** The tool-use measures, in the order tables, charts and CSV list them. */
const TOOLUSE_MEASURES: { label: string; measure: "tool_use" | "accuracy"; kind: "all" | "easy" | "hard"; of: (x: ToolUseRoundRates) => Proportion }[] = [
  { label: "Tool use, all problems", measure: "tool_use", kind: "all", of: (x) => x.toolUse },
  { label: "Tool use, easy", measure: "tool_use", kind: "easy", of: (x) => x.easyToolUse },
  { label: "Tool use, hard", measure: "tool_use", kind: "hard", of: (x) => x.hardToolUse },
  { label: "Accuracy, easy", measure: "accuracy", kind: "easy", of: (x) => x.easyAccuracy },
  { label: "Accuracy, hard", measure: "accuracy", kind: "hard", of: (x) => x.hardAccuracy },
];

/**
 * What the tool-use chart draws: tool use on all and on hard problems, and accuracy on easy and
 * hard ones (easy accuracy shows the shortcut costs nothing there). Rounds without such problems
 * are left out, and so is a series without any.
 */
export function toolUseSeries(rates: ToolUseRoundRates[]): RateSeries[] {
  const measures: [string, (r: ToolUseRoundRates) => Proportion][] = [
    ["Tool use, all problems", (r) => r.toolUse],
    ["Tool use, hard", (r) => r.hardToolUse],
    ["Accuracy, easy", (r) => r.easyAccuracy],
    ["Accuracy, hard", (r) => r.hardAccuracy],
  ];
  return measures
    .map(([label, of]) => ({ label, points: rates.filter((r) => of(r).n > 0).map((r) => ({ round: r.round, rate: of(r).rate, low: of(r).low, high: of(r).high })) }))
    .filter((series) => series.points.length > 0);
}

/** Tool use: rows are the metrics, rounds are columns, each cell a rate with its 95% Wilson interval. */
export function toolUseTable(rates: ToolUseRoundRates[], episodes: number): string {
  if (rates.length === 0) return "";
  const first = rates[0];
  const easy = episodes ? first.easyToolUse.n / episodes : 0;
  const hard = episodes ? first.hardToolUse.n / episodes : 0;
  const header =
    `Tool use: rates per round (%) with 95% Wilson intervals, ${episodes} episodes x (${easy} easy + ${hard} hard) problems per round`;
  const rows: [string, (r: ToolUseRoundRates) => Proportion][] = [
    ["tool use, all", (r) => r.toolUse],
    ["tool use, easy", (r) => r.easyToolUse],
    ["tool use, hard", (r) => r.hardToolUse],
    ["accuracy, easy", (r) => r.easyAccuracy],
    ["accuracy, hard", (r) => r.hardAccuracy],
  ];
  return [
    header,
    grid([["", ...rates.map((r) => `round ${r.round}`)], ...rows.map(([label, of]) => [label, ...rates.map((r) => rateWithInterval(of(r)))])]),
  ].join("\n");
}

export const toolUseReport: TestbedReport<ToolUsePlan> = {
  settings(r) {
    const t = toolUseOf(r);
    if (!t) return null;
    const list = (values: unknown[]) => distinct(values.map((v) => (v === null ? "all" : String(v)))).join(", ");
    const s = t.plans.map((p) => p.settings);
    return [
      "Tool use",
      `${plural(distinct(t.plans.map((p) => p.key)).length, "episode")}, ${list(s.map((x) => x.rounds))} rounds of ` +
        `${list(s.map((x) => x.easyPerRound))} easy + ${list(s.map((x) => x.hardPerRound))} hard problems (difficulty ${list(s.map((x) => x.difficulty))}), ` +
        `correct answer ${list(s.map((x) => cleanNumber(x.rewards.easy)))} easy / ${list(s.map((x) => cleanNumber(x.rewards.hard)))} hard, ` +
        `cost ${list(s.map((x) => cleanNumber(x.costs.tool)))} with the calculator / ${list(s.map((x) => cleanNumber(x.costs.direct)))} without, ` +
        `protocol ${list(s.map((x) => x.protocol))}, at most ${list(s.map((x) => x.maxToolCalls))} calculator calls per problem, ` +
        `history window ${list(s.map((x) => x.historyWindow))} problems`,
    ];
  },

  sections(r) {
    const t = toolUseOf(r);
    if (!t) return {};
    const { rates } = t;
    return {
      afterTipping: [
        {
          id: "tooluse",
          title: "Tool use: calculator use and accuracy by round",
          blocks: [
            text(
              `${plural(t.finished, "finished episode")}. A problem counts as tool use when the calculator ran at least once for it. ` +
                "Rates in % with 95% Wilson intervals; the paper reports tool use and accuracy on hard problems.",
            ),
            table(
              ["", ...roundHeaders(rates.length)],
              [
                ...TOOLUSE_MEASURES.map((m) => [`${m.label} (%)`, ...rates.map((x) => rateCell(m.of(x), m.of(x).n))]),
                ["Problems", ...rates.map((x) => String(x.problems))],
                ["Mean reward", ...rates.map((x) => (x.meanReward === null ? DASH : num(x.meanReward)))],
              ],
            ),
            chart("tooluse"),
          ],
        },
      ],
    };
  },

  charts(r, { toolUseChart }) {
    const rates = toolUseOf(r)?.rates;
    if (!rates?.length) return {};
    return { afterTipping: [{ name: "tooluse", title: "Tool use and accuracy by round", spec: toolUseChart(toolUseSeries(rates)) }] };
  },

  csv(r) {
    const rates = toolUseOf(r)?.rates;
    if (!rates?.length) return {};
    const rows = rates.flatMap((x) =>
      TOOLUSE_MEASURES.map((m) => {
        const p = m.of(x);
        return [x.round, m.measure, m.kind, p.successes, p.n, p.n ? p.rate : null, p.low, p.high];
      }),
    );
    return { afterRepeats: [["tooluse_by_round.csv", csv(["round", "measure", "kind", "successes", "n", "rate", "ci_low", "ci_high"], rows)]] };
  },

  json(r) {
    const t = toolUseOf(r);
    return t ? { toolUse: { episodes: t.finished, rates: t.rates } } : {};
  },

  table: (finished) => toolUseTable(toolUseRates(finished.map((p) => p.transcript)), finished.length),
};
