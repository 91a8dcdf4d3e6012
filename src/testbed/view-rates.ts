/**
 * What the testbeds' viewer fields share: a rate row as the headline shows it, the points a
 * chart draws, and a testbed's episodes as played so far. Kept out of src/view so that `atp run`,
 * which loads every testbed, does not load the viewer.
 */
import type { PlayedEpisode } from "../metrics/rates.js";
import type { RateRow } from "../metrics/summary.js";
import type { TippingSummary } from "../metrics/tipping.js";
import type { EpisodePlan, RunPlan } from "../testbeds/registry.js";
import { toTranscript } from "../transcript/episode.js";
import type { TranscriptRound } from "../transcript/types.js";
import type { RateCell } from "../view/api.js";

export function rateCell(row: RateRow | undefined): RateCell | null {
  return row ? { round: row.round, deviant: row.deviant, total: row.total, rate: row.rate, low: row.low, high: row.high } : null;
}

/** The last round any episode has reached, before the end. */
export const lastPlayed = (rows: RateRow[]) => rateCell(rows.filter((r) => r.total > 0).at(-1));

/** The rounds with decisions, as a rate chart draws them. */
export const ratePoints = (rows: RateRow[]) => rows.filter((r) => r.total > 0).map((r) => ({ round: r.round, rate: r.rate, low: r.low, high: r.high }));

/** A choice testbed's episodes with saved rounds, each as if planned as far as it has played. */
export function playedSoFar(plans: RunPlan[], saved: Map<number, TranscriptRound[]>, suite: string): PlayedEpisode[] {
  return plans.flatMap((plan, idx) => {
    const rounds = saved.get(idx) ?? [];
    if (plan.suite !== suite || rounds.length === 0) return [];
    // Rounds not saved yet are still to come, not missing: the episode counts as planned this far.
    const sofar = { ...plan, settings: { ...plan.settings, rounds: Math.min(plan.settings.rounds, rounds.length) } } as EpisodePlan;
    return [{ plan: sofar, transcript: toTranscript(sofar, rounds) }];
  });
}

/** How many episodes have finished, as a chart's subtitle says it. */
export const finishedEpisodes = (n: number) => `${n} finished episode${n === 1 ? "" : "s"}`;

/** A tipping summary without its per-trajectory list, which only bloats a page's data. */
export function tippingJson(t: TippingSummary): Omit<TippingSummary, "trajectories"> {
  const { trajectories: _trajectories, ...rest } = t;
  return rest;
}
