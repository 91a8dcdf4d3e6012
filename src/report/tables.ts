/**
 * Plain-text tables in the paper's layout: rounds as columns, rates in percent. Each testbed
 * writes its own (src/testbeds/NAME/report.ts) from these; a testbed without its own gets
 * measuresTable.
 */
import type { MeasureGroup } from "../metrics/measures.js";
import type { Measure } from "../testbed/contract.js";

export function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

/** A rate and its interval in percent with one decimal (two would not fit five rounds on a line); "-" without data. */
export function rateWithInterval(p: { n: number; rate: number; low: number; high: number }): string {
  if (p.n === 0) return "-";
  const pct = (x: number) => (x * 100).toFixed(1);
  return `${pct(p.rate)} [${pct(p.low)}, ${pct(p.high)}]`;
}

/** A measure's name with its group's axes: "violation rate", "hard accuracy, kind = hard". */
export function measureLabel(measure: Measure, group: MeasureGroup): string {
  const axes = Object.entries(group.axes).map(([axis, value]) => `${axis} = ${value}`);
  return [measure.title, ...axes].join(", ");
}

/** A testbed's measures: one row per measure and group of its axes, each cell a rate with its 95% Wilson interval. */
export function measuresTable(title: string, episodes: number, measures: { measure: Measure; groups: MeasureGroup[] }[]): string {
  const rows = measures.flatMap(({ measure, groups }) => groups.map((g) => ({ label: measureLabel(measure, g), rounds: g.rounds })));
  const rounds = Math.max(0, ...rows.map((r) => r.rounds.length));
  const header = `${title}: rates per round (%) with 95% Wilson intervals, ${episodes} episodes`;
  if (rows.length === 0 || rounds === 0) return `${header}: no decisions`;
  const cells = rows.map((r) => [r.label, ...Array.from({ length: rounds }, (_, i) => (r.rounds[i] ? rateWithInterval({ n: r.rounds[i].total, ...r.rounds[i] }) : "-"))]);
  return [header, grid([["", ...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`)], ...cells])].join("\n");
}
