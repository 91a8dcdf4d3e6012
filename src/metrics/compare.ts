/**
 * Two runs on the same plan (two models, or one model before and after alignment), compared
 * decision by decision. Pairing by (episode key, repeat, agent) removes the variation between
 * scenarios, so the paired tests see differences an unpaired comparison would miss.
 *
 * The difference is B - A. Its 95% interval is Newcombe's hybrid score interval for paired
 * proportions (method 10; see newcombePaired), the test is the exact McNemar test on the
 * discordant pairs. Unparseable answers count as not deviating, as in the rates.
 */
import type { Payoffs } from "../testbeds/collusion/engine.js";
import type { Suite } from "../core/types.js";
import { mcnemarExact, newcombePaired, Z95 } from "./intervals.js";
import { decisionOf, episodeId, groupByPayoff, modelAgents, type PlayedEpisode } from "./rates.js";

export interface PairedRow {
  /** 1-based. */
  round: number;
  /** Decisions present in both runs. */
  pairs: number;
  deviantA: number;
  deviantB: number;
  rateA: number;
  rateB: number;
  /** Concordant and discordant cells of the paired table. */
  both: number;
  /** A deviant, B not. */
  onlyA: number;
  /** B deviant, A not. */
  onlyB: number;
  neither: number;
  /** rateB - rateA, with Newcombe's interval. */
  difference: number;
  low: number;
  high: number;
  /** Exact two-sided McNemar p-value. */
  pValue: number;
  /** Decisions of paired episodes present in one run only (a call failed in the other). */
  missingA: number;
  missingB: number;
}

export interface CompareGroup {
  suite: Suite;
  /** Collusion only; null for role-play. */
  threshold: number | null;
  rewards: Payoffs | null;
  label: string | null;
  incentiveRatio: number | null;
  /** Paired episodes in the group. */
  episodes: number;
  rounds: PairedRow[];
}

export interface EpisodeRef {
  key: string;
  repeat: number;
  suite: Suite;
  environment: string;
}

export interface Comparison {
  difference: "B - A";
  interval: "newcombe-hybrid-score-paired (method 10)";
  test: "mcnemar-exact";
  groups: CompareGroup[];
  /** Episodes in one run only. */
  onlyA: EpisodeRef[];
  onlyB: EpisodeRef[];
  /** Same key and repeat, but not the same game (scenario, settings or agents differ): not paired. */
  mismatched: (EpisodeRef & { reason: string })[];
}

function ref(p: PlayedEpisode): EpisodeRef {
  return { key: p.plan.key, repeat: p.plan.repeat, suite: p.plan.suite, environment: p.plan.scenario.environment };
}

/** Why two episodes with the same key cannot be paired, or null if they can. */
function mismatch(a: PlayedEpisode, b: PlayedEpisode): string | null {
  if (a.plan.suite !== b.plan.suite) return `suite ${a.plan.suite} vs ${b.plan.suite}`;
  if (a.plan.scenario.environment !== b.plan.scenario.environment) return `scenario ${a.plan.scenario.environment} vs ${b.plan.scenario.environment}`;
  if (String(a.plan.scenario.id) !== String(b.plan.scenario.id)) return `scenario id ${a.plan.scenario.id} vs ${b.plan.scenario.id}`;
  const agentsA = modelAgents(a.plan).join(",");
  const agentsB = modelAgents(b.plan).join(",");
  if (agentsA !== agentsB) return `model agents ${agentsA} vs ${agentsB}`;
  return null;
}

function pairedRows(pairs: [PlayedEpisode, PlayedEpisode][], z: number): PairedRow[] {
  const rounds = Math.max(0, ...pairs.flatMap(([a, b]) => [a.plan.settings.rounds, b.plan.settings.rounds]));
  return Array.from({ length: rounds }, (_, r) => {
    let both = 0;
    let onlyA = 0;
    let onlyB = 0;
    let neither = 0;
    let missingA = 0;
    let missingB = 0;
    for (const [a, b] of pairs) {
      const inA = r < a.plan.settings.rounds ? a.transcript.rounds[r] : undefined;
      const inB = r < b.plan.settings.rounds ? b.transcript.rounds[r] : undefined;
      for (const agent of modelAgents(a.plan)) {
        const ca = inA?.calls.find((c) => c.agent === agent);
        const cb = inB?.calls.find((c) => c.agent === agent);
        if (!ca && !cb) continue;
        if (!ca) {
          missingA++;
          continue;
        }
        if (!cb) {
          missingB++;
          continue;
        }
        const da = decisionOf(a.plan, ca.choice) === "deviant";
        const db = decisionOf(b.plan, cb.choice) === "deviant";
        if (da && db) both++;
        else if (da) onlyA++;
        else if (db) onlyB++;
        else neither++;
      }
    }
    const n = both + onlyA + onlyB + neither;
    // B first, so the interval is for rateB - rateA.
    const d = newcombePaired(both, onlyB, onlyA, neither, z);
    return {
      round: r + 1,
      pairs: n,
      deviantA: both + onlyA,
      deviantB: both + onlyB,
      rateA: n ? (both + onlyA) / n : 0,
      rateB: n ? (both + onlyB) / n : 0,
      both,
      onlyA,
      onlyB,
      neither,
      difference: d.difference,
      low: d.low,
      high: d.high,
      pValue: mcnemarExact(onlyA, onlyB),
      missingA,
      missingB,
    };
  });
}

/** Pairs the episodes of two runs and compares their per-round rates, per suite and (threshold, payoff set). */
export function compareRuns(a: PlayedEpisode[], b: PlayedEpisode[], z = Z95): Comparison {
  const index = (list: PlayedEpisode[]) => {
    const map = new Map<string, PlayedEpisode>();
    const duplicates: PlayedEpisode[] = [];
    for (const p of list) {
      const id = episodeId(p.plan.key, p.plan.repeat);
      if (map.has(id)) duplicates.push(p);
      else map.set(id, p);
    }
    return { map, duplicates };
  };
  const ia = index(a);
  const ib = index(b);
  const pairs: [PlayedEpisode, PlayedEpisode][] = [];
  const onlyA: EpisodeRef[] = ia.duplicates.map(ref);
  const onlyB: EpisodeRef[] = ib.duplicates.map(ref);
  const mismatched: (EpisodeRef & { reason: string })[] = [];
  for (const [id, pa] of ia.map) {
    const pb = ib.map.get(id);
    if (!pb) {
      onlyA.push(ref(pa));
      continue;
    }
    const reason = mismatch(pa, pb);
    if (reason) mismatched.push({ ...ref(pa), reason });
    else pairs.push([pa, pb]);
  }
  for (const [id, pb] of ib.map) if (!ia.map.has(id)) onlyB.push(ref(pb));

  const groups: CompareGroup[] = [];
  const roleplay = pairs.filter(([pa]) => pa.plan.suite === "roleplay");
  if (roleplay.length) {
    groups.push({ suite: "roleplay", threshold: null, rewards: null, label: null, incentiveRatio: null, episodes: roleplay.length, rounds: pairedRows(roleplay, z) });
  }
  // Group pairs by A's threshold and payoff set; the key pins them, so B's are the same.
  const partner = new Map(pairs.map(([pa, pb]) => [pa, pb]));
  for (const { played, ...key } of groupByPayoff(pairs.map(([pa]) => pa))) {
    const groupPairs = played.map((pa): [PlayedEpisode, PlayedEpisode] => [pa, partner.get(pa)!]);
    groups.push({ suite: "collusion", ...key, episodes: groupPairs.length, rounds: pairedRows(groupPairs, z) });
  }
  return {
    difference: "B - A",
    interval: "newcombe-hybrid-score-paired (method 10)",
    test: "mcnemar-exact",
    groups,
    onlyA,
    onlyB,
    mismatched,
  };
}
