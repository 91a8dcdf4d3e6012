/**
 * Collusion's section of the run summary: per threshold and payoff set, the collusion rate per
 * round (and per game), its spread across repeats, capital, diffusion and tipping.
 */
import { Z95 } from "../../metrics/intervals.js";
import { groupByHeadline, type FailedCall, type Played } from "../../metrics/rates.js";
import type { RunSummary } from "../../metrics/run-summary.js";
import { byEnvironment, capitalOf, failuresOf, rateRows, repeatSpread, type CapitalSummary, type RateRow, type RepeatSpread, type ScenarioRates } from "../../metrics/summary.js";
import { tippingSummary, trajectories, type TippingSummary } from "../../metrics/tipping.js";
import type { SummarySection } from "../../testbed/contract.js";
import { diffusionOf, type DiffusionGroup } from "./diffusion.js";
import type { Payoffs } from "./engine.js";
import type { CollusionPlan } from "./plan.js";

/** A threshold and payoff set: the unit the paper reports collusion by. */
export interface PayoffGroup {
  threshold: number;
  rewards: Payoffs;
  /** `1.2,1.0,0.8`, as in plan keys. */
  label: string;
  /** k = (high - normal) / (normal - low); null when normal = low (no finite ratio). */
  incentiveRatio: number | null;
}

/** The collusion episodes among `played` grouped by threshold and payoff set, as collusion's headline measure groups them, in plan order. */
export function payoffGroups<P extends Played>(played: readonly P[]): { key: PayoffGroup; played: P[] }[] {
  return groupByHeadline(played.filter((p) => p.plan.suite === "collusion")).map(({ fields, played: group }) => ({ key: fields as unknown as PayoffGroup, played: group }));
}

export interface CollusionRates extends PayoffGroup {
  episodes: number;
  /** Collusion rate per round. */
  rates: RateRow[];
  /** Per game framing. */
  byGame: ScenarioRates[];
}

/** Collusion rates per threshold and payoff set (plan order), and per game inside each. */
export function collusionRateGroups(played: readonly Played[], z = Z95): CollusionRates[] {
  return payoffGroups(played).map(({ key, played: group }) => ({
    ...key,
    episodes: group.length,
    rates: rateRows(group, z),
    byGame: byEnvironment(group, z),
  }));
}

/** Diffusion per threshold and payoff set, in plan order. */
export function diffusion(played: readonly Played[], z = Z95): DiffusionGroup[] {
  return payoffGroups(played).map(({ key, played: group }) => ({ ...key, ...diffusionOf(group, z) }));
}

/** Final capital per threshold and payoff set. */
export function capitalSummary(played: readonly Played[]): (PayoffGroup & CapitalSummary)[] {
  return payoffGroups(played).map(({ key, played: group }) => ({ ...key, ...capitalOf(group) }));
}

export interface CollusionSummary extends CollusionRates {
  repeats: RepeatSpread | null;
  capital: CapitalSummary;
  diffusion: Omit<DiffusionGroup, keyof PayoffGroup | "episodes">;
  tipping: TippingSummary;
  failures: FailedCall[];
}

/** One entry per threshold and payoff set, in plan order; none when the run plays no game. */
export const collusionSection: SummarySection<CollusionPlan, CollusionSummary[]> = {
  recorded: true,
  of(episodes, { failed, z }) {
    return payoffGroups(episodes).map(({ key, played: group }): CollusionSummary => {
      const { episodes: _episodes, ...diffusion } = diffusionOf(group, z);
      return {
        ...key,
        episodes: group.length,
        rates: rateRows(group, z),
        byGame: byEnvironment(group, z),
        repeats: repeatSpread(group, z),
        capital: capitalOf(group),
        diffusion,
        tipping: tippingSummary(trajectories(group), z),
        failures: failuresOf(group, failed),
      };
    });
  },
};

/** Collusion's section of a run summary. */
export function collusionSummary(summary: RunSummary): CollusionSummary[] {
  return (summary.testbeds.collusion ?? []) as CollusionSummary[];
}
