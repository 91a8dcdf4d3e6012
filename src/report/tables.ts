/** Plain-text tables in the paper's layout: rounds as columns, rates in percent. */
import { cleanNumber, percent } from "../core/format.js";
import type { CollusionRates, RateRow } from "../metrics/summary.js";
import type { Proportion, ToolUseRoundRates } from "../testbeds/tooluse/measures.js";

function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

export function violationTable(rates: RateRow[], episodes: number): string {
  const unparseable = rates.reduce((n, r) => n + r.unparseable, 0);
  const header = `Role-play: violation rate per round (%), ${episodes} episodes` + (unparseable ? ` (${unparseable} unparseable answers counted as non-violations)` : "");
  return [
    header,
    grid([
      ["round", ...rates.map((r) => String(r.round))],
      ["violation", ...rates.map((r) => percent(r.rate))],
    ]),
  ].join("\n");
}

export function collusionTable(groups: CollusionRates[]): string {
  if (groups.length === 0) return "";
  const rounds = Math.max(...groups.map((g) => g.rates.length));
  const first = groups[0];
  const decisions = first.rates[0]?.total ?? 0;
  const header = `Collusion: collusion rate per round (%), ${first.episodes} games x ${first.episodes ? decisions / first.episodes : 0} agents = ${decisions} decisions per round per threshold`;
  const rows = [["t", "rewards (H,N,L)", "k", ...Array.from({ length: rounds }, (_, r) => `round ${r + 1}`)]];
  for (const g of groups) {
    const k = g.incentiveRatio === null ? "-" : cleanNumber(Number(g.incentiveRatio.toFixed(2)));
    rows.push([String(g.threshold), g.label, k, ...g.rates.map((r) => percent(r.rate))]);
  }
  return [header, grid(rows)].join("\n");
}

/** A rate and its interval in percent with one decimal (two would not fit five rounds on a line); "-" without data. */
function rateWithInterval(p: Proportion): string {
  if (p.n === 0) return "-";
  const pct = (x: number) => (x * 100).toFixed(1);
  return `${pct(p.rate)} [${pct(p.low)}, ${pct(p.high)}]`;
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
