/**
 * Role-play's section of the run summary: the violation rate per round, overall and per
 * scenario, its spread across repeats and the trajectories' tipping.
 */
import { Z95 } from "../../metrics/intervals.js";
import type { FailedCall, Played } from "../../metrics/rates.js";
import type { RunSummary } from "../../metrics/run-summary.js";
import { byEnvironment, failuresOf, rateRows, repeatSpread, type RateRow, type RepeatSpread, type ScenarioRates } from "../../metrics/summary.js";
import { tippingSummary, trajectories, type TippingSummary } from "../../metrics/tipping.js";
import type { SummarySection } from "../../testbed/contract.js";
import type { RoleplayPlan } from "./plan.js";

export interface RoleplayRates {
  episodes: number;
  /** Violation rate per round. */
  overall: RateRow[];
  byScenario: ScenarioRates[];
}

/** The violation rates of the role-play episodes among `played`. */
export function roleplayRates(played: readonly Played[], z = Z95): RoleplayRates {
  const mine = played.filter((p) => p.plan.suite === "roleplay");
  return { episodes: mine.length, overall: rateRows(mine, z), byScenario: byEnvironment(mine, z) };
}

export interface RoleplaySummary extends RoleplayRates {
  repeats: RepeatSpread | null;
  tipping: TippingSummary;
  failures: FailedCall[];
}

/** Null when the run plays no role-play. */
export const roleplaySection: SummarySection<RoleplayPlan, RoleplaySummary | null> = {
  recorded: true,
  of(episodes, { failed, z }) {
    if (!episodes.length) return null;
    return {
      ...roleplayRates(episodes, z),
      repeats: repeatSpread(episodes, z),
      tipping: tippingSummary(trajectories(episodes), z),
      failures: failuresOf(episodes, failed),
    };
  },
};

/** Role-play's section of a run summary. */
export function roleplaySummary(summary: RunSummary): RoleplaySummary | null {
  return (summary.testbeds.roleplay ?? null) as RoleplaySummary | null;
}
