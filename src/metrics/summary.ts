/**
 * The pieces of a run summary that any testbed's section is made of: rates per round with
 * Wilson intervals over decision rows, per scenario, spread across repeats, capital, failures.
 * Plain JSON-ready objects: they feed JSON reports and the web page. The summary of a whole run,
 * over every registered testbed, is src/metrics/run-summary.ts.
 *
 * Conventions: an unparseable answer stays in the denominator as a non-deviation (the paper's
 * convention) and is counted apart; a decision lost to a failed call is left out of the
 * denominator and counted as failed. Fixed colluders are not the model's decisions and are
 * left out everywhere.
 */
import type { AnyTestbed, RunPlan } from "../testbeds/registry.js";
import { spread, Z95, type Spread } from "./intervals.js";
import { measureRounds } from "./measures.js";
import { decisionRows, episodeId, groupBy, headlineRows, unplayedTranscript, type FailedCall, type Played } from "./rates.js";

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
export function rateRows(played: readonly Played[], z = Z95): RateRow[] {
  const { rows, headline } = headlineRows(played);
  return measureRounds(rows, headline, z).map(({ round, hits, unparseable, failed, total, rate, low, high }) => ({ round, deviant: hits, unparseable, failed, total, rate, low, high }));
}

export interface ScenarioRates {
  /** The scenario's name ("delivery worker", "PublicFund"), shared by its reward variants. */
  environment: string;
  episodes: number;
  rates: RateRow[];
}

/** Rates per scenario, in first-appearance order. */
export function byEnvironment(played: readonly Played[], z = Z95): ScenarioRates[] {
  return [...groupBy(played, (p) => p.plan.scenario.environment)].map(([environment, group]) => ({
    environment,
    episodes: group.length,
    rates: rateRows(group, z),
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
export function repeatSpread(played: readonly Played[], z = Z95): RepeatSpread | null {
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
export function capitalOf(played: readonly Played[]): CapitalSummary {
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

/** The failures that belong to these episodes (matched by key and repeat). */
export function failuresOf(played: readonly Played[], failed: readonly FailedCall[]): FailedCall[] {
  const ids = new Set(played.map((p) => episodeId(p.plan.key, p.plan.repeat)));
  return failed.filter((f) => ids.has(episodeId(f.key, f.repeat)));
}

/**
 * A testbed's played episodes, with every planned episode that is missing from them (it failed
 * and was not kept) added as an episode without rounds, in plan order: all its decisions then
 * count as failed instead of vanishing from the denominators unseen.
 */
export function withUnplayed(played: readonly Played[], plans: readonly RunPlan[], testbed: Pick<AnyTestbed, "settingsRecord">): Played[] {
  const byId = new Map(played.map((p) => [episodeId(p.plan.key, p.plan.repeat), p]));
  const out: Played[] = [];
  for (const plan of plans) {
    const id = episodeId(plan.key, plan.repeat);
    const found = byId.get(id);
    byId.delete(id);
    out.push(found ?? { plan, transcript: unplayedTranscript(plan, testbed.settingsRecord(plan)) });
  }
  return [...out, ...byId.values()];
}
