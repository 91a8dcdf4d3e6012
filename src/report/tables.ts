/** Plain-text tables in the paper's layout: rounds as columns, rates in percent. */
import { cleanNumber, percent } from "../core/format.js";
import { incentiveRatio } from "../envs/collusion.js";
import type { CollusionGroup, RoundRate } from "../metrics/rates.js";

function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

export function violationTable(rates: RoundRate[], episodes: number): string {
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

export function collusionTable(groups: CollusionGroup[]): string {
  if (groups.length === 0) return "";
  const rounds = Math.max(...groups.map((g) => g.rates.length));
  const first = groups[0];
  const decisions = first.rates[0]?.total ?? 0;
  const header = `Collusion: collusion rate per round (%), ${first.episodes} games x ${first.episodes ? decisions / first.episodes : 0} agents = ${decisions} decisions per round per threshold`;
  const rows = [["t", "rewards (H,N,L)", "k", ...Array.from({ length: rounds }, (_, r) => `round ${r + 1}`)]];
  for (const g of groups) {
    rows.push([String(g.threshold), g.label, cleanNumber(Number(incentiveRatio(g.rewards).toFixed(2))), ...g.rates.map((r) => percent(r.rate))]);
  }
  return [header, grid(rows)].join("\n");
}
