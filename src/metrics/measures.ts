/**
 * A testbed's measures over its decision rows: per group of the measure's axes, per round, the
 * share of hits with a Wilson interval. Generic over testbeds: it reads rows, never transcripts.
 *
 * Conventions: a failed decision is left out of the denominator and counted apart; a row the
 * measure leaves out (hit null) is not counted at all; an unparseable answer is counted apart
 * and stays in the denominator when the measure counts it.
 */
import type { DecisionRow, EpisodeOf, Measure } from "../testbed/contract.js";
import type { TranscriptEpisode } from "../transcript/types.js";
import { wilson, Z95 } from "./intervals.js";

export interface MeasureRound {
  /** 1-based. */
  round: number;
  hits: number;
  /** Counted decisions whose answer could not be read (in `total`). */
  unparseable: number;
  /** Decisions lost to a failed call; not in `total`. */
  failed: number;
  /** Decisions counted: hits and misses, unparseable ones included. */
  total: number;
  rate: number;
  low: number;
  high: number;
}

export interface MeasureGroup {
  /** The values of the measure's `by` axes this group shares, in the measure's order. */
  axes: Record<string, string | number>;
  /** Episodes (key and repeat) with rows in the group. */
  episodes: number;
  rounds: MeasureRound[];
}

/** The group a row belongs to under a measure: its `by` axes, in order. */
export function groupAxes(row: DecisionRow, by: readonly string[]): Record<string, string | number> {
  return Object.fromEntries(by.map((axis) => [axis, row.axes[axis] ?? ""]));
}

/** Rates per round of one measure, per group of its axes in first-appearance order; rounds run to the last round any row has. */
export function measureGroups(rows: readonly DecisionRow[], measure: Measure, z = Z95): MeasureGroup[] {
  const groups = new Map<string, { axes: Record<string, string | number>; rows: DecisionRow[] }>();
  for (const row of rows) {
    const axes = groupAxes(row, measure.by);
    const id = JSON.stringify(Object.values(axes));
    const group = groups.get(id);
    if (group) group.rows.push(row);
    else groups.set(id, { axes, rows: [row] });
  }
  return [...groups.values()].map(({ axes, rows: mine }) => ({ axes, episodes: new Set(mine.map((r) => `${r.key}#${r.repeat}`)).size, rounds: measureRounds(mine, measure, z) }));
}

/** Rates per round of one measure over all the rows given. */
export function measureRounds(rows: readonly DecisionRow[], measure: Measure, z = Z95): MeasureRound[] {
  const rounds = Math.max(0, ...rows.map((r) => r.round));
  const out: MeasureRound[] = Array.from({ length: rounds }, (_, i) => ({ round: i + 1, hits: 0, unparseable: 0, failed: 0, total: 0, rate: 0, low: 0, high: 1 }));
  for (const row of rows) {
    const cell = out[row.round - 1];
    if (row.status === "failed") {
      if (measure.hit(row) !== null) cell.failed++;
      continue;
    }
    const hit = measure.hit(row);
    if (hit === null) continue;
    cell.total++;
    if (hit) cell.hits++;
    if (row.status === "unparseable") cell.unparseable++;
  }
  for (const cell of out) Object.assign(cell, wilson(cell.hits, cell.total, z));
  return out;
}

/** One measure's rates per round, per group of its axes. */
export interface MeasureRates {
  measure: Measure;
  groups: MeasureGroup[];
}

/** What the measures' rates read of a testbed. */
export interface MeasuredTestbed<P> {
  decisions(plan: P, transcript: TranscriptEpisode): DecisionRow[];
  readonly measures: readonly Measure[];
}

/** Each of a testbed's measures over the decision rows of its episodes (those without rounds give failed rows). */
export function measureRates<P>(testbed: MeasuredTestbed<P>, episodes: readonly EpisodeOf<P>[], z = Z95): MeasureRates[] {
  const rows = episodes.flatMap((p) => testbed.decisions(p.plan, p.transcript));
  return testbed.measures.map((measure) => ({ measure, groups: measureGroups(rows, measure, z) }));
}
