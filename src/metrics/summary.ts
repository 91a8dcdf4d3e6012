/**
 * Per-round rates with Wilson intervals, spread across repeats, final capital, and one summary
 * of a run that bundles them with diffusion and tipping. Plain JSON-ready objects: they feed
 * JSON reports and the web page.
 *
 * Conventions: an unparseable answer stays in the denominator as a non-deviation (the paper's
 * convention) and is counted apart; a decision lost to a failed call is left out of the
 * denominator and counted as failed. Fixed colluders are not the model's decisions and are
 * left out everywhere.
 */
import type { EpisodePlan } from "../testbeds/registry.js";
import { diffusionOf, type DiffusionGroup } from "../testbeds/collusion/diffusion.js";
import { spread, Z95, type Spread } from "./intervals.js";
import { measureRounds } from "./measures.js";
import {
  decisionRows,
  episodeId,
  groupBy,
  groupByHeadline,
  headlineRows,
  unplayedTranscript,
  type FailedCall,
  type PayoffGroup,
  type PlayedEpisode,
} from "./rates.js";
import { tippingSummary, trajectories, type TippingSummary } from "./tipping.js";

export interface RateRow {
  /** 1-based. */
  round: number;
  deviant: number;
  unparseable: number;
  /** Decisions missing because a call failed (the episode stopped there); not in `total`. */
  failed: number;
  /** Decisions made: deviant + aligned + unparseable. */
  total: number;
  rate: number;
  low: number;
  high: number;
}

/** Headline rates per round over a set of episodes' decision rows; rounds run to the longest planned episode. */
export function rateRows(played: PlayedEpisode[], z = Z95): RateRow[] {
  const { rows, headline } = headlineRows(played);
  return measureRounds(rows, headline, z).map(({ round, hits, unparseable, failed, total, rate, low, high }) => ({ round, deviant: hits, unparseable, failed, total, rate, low, high }));
}

export interface ScenarioRates {
  /** The scenario's name ("delivery worker", "PublicFund"), shared by its reward variants. */
  environment: string;
  episodes: number;
  rates: RateRow[];
}

function byEnvironment(played: PlayedEpisode[], z: number): ScenarioRates[] {
  return [...groupBy(played, (p) => p.plan.scenario.environment)].map(([environment, group]) => ({
    environment,
    episodes: group.length,
    rates: rateRows(group, z),
  }));
}

export interface RoleplayRates {
  episodes: number;
  /** Violation rate per round. */
  overall: RateRow[];
  byScenario: ScenarioRates[];
}

export function roleplayRates(played: PlayedEpisode[], z = Z95): RoleplayRates {
  const mine = played.filter((p) => p.plan.suite === "roleplay");
  return { episodes: mine.length, overall: rateRows(mine, z), byScenario: byEnvironment(mine, z) };
}

export interface CollusionRates extends PayoffGroup {
  episodes: number;
  /** Collusion rate per round. */
  rates: RateRow[];
  /** Per game framing. */
  byGame: ScenarioRates[];
}

/** Collusion episodes grouped by threshold and payoff set, in plan order. */
function payoffGroups(played: PlayedEpisode[]): { key: PayoffGroup; played: PlayedEpisode[] }[] {
  return groupByHeadline(played.filter((p) => p.plan.suite === "collusion")).map(({ fields, played: group }) => ({ key: fields as unknown as PayoffGroup, played: group }));
}

/** Collusion rates per threshold and payoff set (plan order), and per game inside each. */
export function collusionRateGroups(played: PlayedEpisode[], z = Z95): CollusionRates[] {
  return payoffGroups(played).map(({ key, played: group }) => ({
    ...key,
    episodes: group.length,
    rates: rateRows(group, z),
    byGame: byEnvironment(group, z),
  }));
}

export interface RoundSpread extends Spread {
  round: number;
}

export interface RepeatSpread {
  repeats: { repeat: number; episodes: number; rates: RateRow[] }[];
  /** Per round, over the repeats that made decisions in it: mean, sample sd, min, max of the rate. */
  rounds: RoundSpread[];
}

/** Rates per repeat and their spread; null unless the episodes span at least two repeats. */
export function repeatSpread(played: PlayedEpisode[], z = Z95): RepeatSpread | null {
  const groups = [...groupBy(played, (p) => String(p.plan.repeat))].sort(([a], [b]) => Number(a) - Number(b));
  if (groups.length < 2) return null;
  const repeats = groups.map(([repeat, group]) => ({ repeat: Number(repeat), episodes: group.length, rates: rateRows(group, z) }));
  const rounds = Math.max(0, ...repeats.map((r) => r.rates.length));
  return {
    repeats,
    rounds: Array.from({ length: rounds }, (_, i) => ({
      round: i + 1,
      ...spread(repeats.map((r) => r.rates[i]).filter((row) => row && row.total > 0).map((row) => row.rate)),
    })),
  };
}

export interface CapitalSummary {
  /** Final capital of each model agent, over episodes that played every round. */
  final: Spread;
  /** Episodes left out of `final` because a call failed before the last round. */
  incompleteEpisodes: number;
  /** Capital after each round, over the agents that played it. */
  byRound: RoundSpread[];
}

/** Capital from the decision rows that record it (`capital_after`): the games' model agents. */
export function capitalOf(played: PlayedEpisode[]): CapitalSummary {
  const finals: number[] = [];
  const perRound: number[][] = [];
  let incompleteEpisodes = 0;
  for (const p of played) {
    const rows = decisionRows(p).filter((r) => "capital_after" in r.values);
    if (!rows.length) continue;
    for (const row of rows) {
      const after = row.values.capital_after;
      if (row.status !== "failed" && typeof after === "number") (perRound[row.round - 1] ??= []).push(after);
    }
    if (rows.some((r) => r.status === "failed")) {
      incompleteEpisodes++;
      continue;
    }
    const last = Math.max(...rows.map((r) => r.round));
    for (const row of rows) {
      const after = row.values.capital_after;
      if (row.round === last && typeof after === "number") finals.push(after);
    }
  }
  return {
    final: spread(finals),
    incompleteEpisodes,
    byRound: Array.from({ length: perRound.length }, (_, r) => ({ round: r + 1, ...spread(perRound[r] ?? []) })),
  };
}

/** Final capital per threshold and payoff set. */
export function capitalSummary(played: PlayedEpisode[]): (PayoffGroup & CapitalSummary)[] {
  return payoffGroups(played).map(({ key, played: group }) => ({ ...key, ...capitalOf(group) }));
}

/** The failures that belong to these episodes (matched by key and repeat). */
export function failuresOf(played: PlayedEpisode[], failed: readonly FailedCall[]): FailedCall[] {
  const ids = new Set(played.map((p) => episodeId(p.plan.key, p.plan.repeat)));
  return failed.filter((f) => ids.has(episodeId(f.key, f.repeat)));
}

/**
 * The played episodes, with every planned episode that is missing from them (it failed and was
 * not kept) added as an episode without rounds, in plan order: all its decisions then count as
 * failed instead of vanishing from the denominators unseen.
 */
export function withUnplayed(played: PlayedEpisode[], plans: readonly EpisodePlan[]): PlayedEpisode[] {
  const byId = new Map(played.map((p) => [episodeId(p.plan.key, p.plan.repeat), p]));
  const out: PlayedEpisode[] = [];
  for (const plan of plans) {
    const id = episodeId(plan.key, plan.repeat);
    const found = byId.get(id);
    byId.delete(id);
    out.push(found ?? { plan, transcript: unplayedTranscript(plan) });
  }
  return [...out, ...byId.values()];
}

export interface SummaryOptions {
  /** The run's plan: planned episodes missing from `played` count as failed. */
  plans?: readonly EpisodePlan[];
  /** Calls that failed, as the runner or store recorded them. */
  failed?: readonly FailedCall[];
  /** Normal quantile of the intervals (95% by default). */
  z?: number;
}

export interface RoleplaySummary extends RoleplayRates {
  repeats: RepeatSpread | null;
  tipping: TippingSummary;
  failures: FailedCall[];
}

export interface CollusionSummary extends CollusionRates {
  repeats: RepeatSpread | null;
  capital: CapitalSummary;
  diffusion: Omit<DiffusionGroup, keyof PayoffGroup | "episodes">;
  tipping: TippingSummary;
  failures: FailedCall[];
}

export interface RunSummary {
  roleplay: RoleplaySummary | null;
  /** One entry per threshold and payoff set, in plan order. */
  collusion: CollusionSummary[];
  /** Every failure given. */
  failures: FailedCall[];
  /** Failures whose episode is not among the played ones, so no group shows them. */
  unmatchedFailures: FailedCall[];
}

/** Everything the report shows about a run. */
export function summarize(playedOnly: PlayedEpisode[], options: SummaryOptions = {}): RunSummary {
  const z = options.z ?? Z95;
  const played = options.plans ? withUnplayed(playedOnly, options.plans) : playedOnly;
  const failed = options.failed ?? [];
  const roleplay = played.filter((p) => p.plan.suite === "roleplay");
  const collusion = payoffGroups(played).map(({ key, played: group }): CollusionSummary => {
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
  const matched = new Set(failuresOf(played, failed));
  return {
    roleplay: roleplay.length
      ? {
          ...roleplayRates(roleplay, z),
          repeats: repeatSpread(roleplay, z),
          tipping: tippingSummary(trajectories(roleplay), z),
          failures: failuresOf(roleplay, failed),
        }
      : null,
    collusion,
    failures: [...failed],
    unmatchedFailures: failed.filter((f) => !matched.has(f)),
  };
}
