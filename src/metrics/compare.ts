/**
 * Two runs on the same plan (two models, or one model before and after alignment), compared
 * decision by decision, per testbed, measure and group of the measure's axes. Pairing decision
 * rows by (episode key, repeat, round, agent, item) removes the variation between scenarios (and
 * tool use's problems), so the paired tests see differences an unpaired comparison would miss.
 *
 * The difference is B - A. Its 95% interval is Newcombe's hybrid score interval for paired
 * proportions (method 10; see newcombePaired), the test is the exact McNemar test on the
 * discordant pairs. A pair counts as the measure counts its two rows: unparseable answers as not
 * deviating, as in the rates; a row the measure leaves out (an easy problem in hard accuracy) is
 * not paired at all.
 */
import type { Suite } from "../core/types.js";
import type { DecisionRow, Measure } from "../testbed/contract.js";
import { registeredTestbeds } from "../testbeds/registry.js";
import { mcnemarExact, newcombePaired, Z95 } from "./intervals.js";
import { groupAxes } from "./measures.js";
import { decisionRows, episodeId, type Played } from "./rates.js";

export interface PairedRow {
  /** 1-based. */
  round: number;
  /** Decisions present in both runs. */
  pairs: number;
  /** Hits of the measure (deviations in role-play and collusion) in each run. */
  deviantA: number;
  deviantB: number;
  rateA: number;
  rateB: number;
  /** Concordant and discordant cells of the paired table. */
  both: number;
  /** A a hit, B not. */
  onlyA: number;
  /** B a hit, A not. */
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

/** The measure a comparison group compares and the group's values of its axes. */
export interface GroupOf {
  measure: Measure;
  axes: Record<string, string | number>;
  /** Whether an agent decides more than once a round in the group (tool use's problems). */
  several: boolean;
}

/** Kept under a symbol, so JSON outputs show only the fields that name the group. */
export const GROUP_OF: unique symbol = Symbol("group of");

/**
 * One measure's paired rates over one group of its axes. The fields naming the group are the
 * measure's `groupFields` (role-play and collusion: threshold, payoffs and k, null in role-play),
 * or else `measure` and `axes`.
 */
export type CompareGroup = {
  suite: Suite;
  /** Paired episodes with decisions in the group. */
  episodes: number;
  rounds: PairedRow[];
  readonly [GROUP_OF]: GroupOf;
} & Record<string, unknown>;

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

function ref(p: Played): EpisodeRef {
  return { key: p.plan.key, repeat: p.plan.repeat, suite: p.plan.suite, environment: p.plan.scenario.environment };
}

/** The agent slots that decide in an episode, in order. */
function deciders(rows: readonly DecisionRow[]): string {
  return [...new Set(rows.map((r) => r.agent))].join(",");
}

/** Why two episodes with the same key cannot be paired, or null if they can. */
function mismatch(a: Played, b: Played, rowsA: DecisionRow[], rowsB: DecisionRow[]): string | null {
  if (a.plan.suite !== b.plan.suite) return `suite ${a.plan.suite} vs ${b.plan.suite}`;
  if (a.plan.scenario.environment !== b.plan.scenario.environment) return `scenario ${a.plan.scenario.environment} vs ${b.plan.scenario.environment}`;
  if (String(a.plan.scenario.id) !== String(b.plan.scenario.id)) return `scenario id ${a.plan.scenario.id} vs ${b.plan.scenario.id}`;
  // Settings can make the same scenario id another game (tool use: other problems for the same seed).
  if (JSON.stringify(a.plan.scenario) !== JSON.stringify(b.plan.scenario)) return `scenario ${a.plan.scenario.id} is not the same in both runs`;
  const agentsA = deciders(rowsA);
  const agentsB = deciders(rowsB);
  if (agentsA !== agentsB) return `model agents ${agentsA} vs ${agentsB}`;
  return null;
}

/** One decision of a paired episode in each run: a failed or planned-only-in-one decision is absent there. */
interface Cell {
  round: number;
  a: DecisionRow | undefined;
  b: DecisionRow | undefined;
}

/** The decisions of a pair, matched by round, agent and item. */
function cells(rowsA: readonly DecisionRow[], rowsB: readonly DecisionRow[]): Cell[] {
  const id = (r: DecisionRow) => `${r.round}|${r.agent}|${r.item}`;
  const inB = new Map(rowsB.map((r) => [id(r), r]));
  const out: Cell[] = rowsA.map((a) => {
    const b = inB.get(id(a));
    inB.delete(id(a));
    return { round: a.round, a, b };
  });
  for (const b of inB.values()) out.push({ round: b.round, a: undefined, b });
  return out;
}

function pairedRows(list: readonly Cell[], measure: Measure, z: number): PairedRow[] {
  const rounds = Math.max(0, ...list.map((c) => c.round));
  const tally = Array.from({ length: rounds }, () => ({ both: 0, onlyA: 0, onlyB: 0, neither: 0, missingA: 0, missingB: 0 }));
  for (const c of list) {
    // Whether the measure counts the decision is known from the axes, so a failed row answers it too.
    if (measure.hit((c.a ?? c.b)!) === null) continue;
    const a = c.a && c.a.status !== "failed" ? c.a : undefined;
    const b = c.b && c.b.status !== "failed" ? c.b : undefined;
    const t = tally[c.round - 1];
    if (!a && !b) continue;
    if (!a) {
      t.missingA++;
      continue;
    }
    if (!b) {
      t.missingB++;
      continue;
    }
    const da = measure.hit(a) === true;
    const db = measure.hit(b) === true;
    if (da && db) t.both++;
    else if (da) t.onlyA++;
    else if (db) t.onlyB++;
    else t.neither++;
  }
  return tally.map(({ both, onlyA, onlyB, neither, missingA, missingB }, r) => {
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

interface Pair {
  a: Played;
  rowsA: DecisionRow[];
  rowsB: DecisionRow[];
}

/**
 * Pairs the episodes of two runs and compares their per-round rates: per testbed (in registry
 * order), per measure, and per group of the measure's axes (in A's plan order).
 */
export function compareRuns(a: readonly Played[], b: readonly Played[], z = Z95): Comparison {
  const index = (list: readonly Played[]) => {
    const map = new Map<string, Played>();
    const duplicates: Played[] = [];
    for (const p of list) {
      const id = episodeId(p.plan.key, p.plan.repeat);
      if (map.has(id)) duplicates.push(p);
      else map.set(id, p);
    }
    return { map, duplicates };
  };
  const ia = index(a);
  const ib = index(b);
  const pairs: Pair[] = [];
  const onlyA: EpisodeRef[] = ia.duplicates.map(ref);
  const onlyB: EpisodeRef[] = ib.duplicates.map(ref);
  const mismatched: (EpisodeRef & { reason: string })[] = [];
  for (const [id, pa] of ia.map) {
    const pb = ib.map.get(id);
    if (!pb) {
      onlyA.push(ref(pa));
      continue;
    }
    const rowsA = decisionRows(pa);
    const rowsB = decisionRows(pb);
    const reason = mismatch(pa, pb, rowsA, rowsB);
    if (reason) mismatched.push({ ...ref(pa), reason });
    else pairs.push({ a: pa, rowsA, rowsB });
  }
  for (const [id, pb] of ib.map) if (!ia.map.has(id)) onlyB.push(ref(pb));

  const groups: CompareGroup[] = [];
  for (const testbed of registeredTestbeds()) {
    const mine = pairs.filter((p) => p.a.plan.suite === testbed.id);
    if (!mine.length) continue;
    for (const measure of testbed.measures) {
      // Group by A's axes; the key pins them, so B's are the same.
      const byGroup = new Map<string, { axes: Record<string, string | number>; episodes: Set<string>; cells: Cell[] }>();
      for (const p of mine) {
        for (const c of cells(p.rowsA, p.rowsB)) {
          const axes = groupAxes((c.a ?? c.b)!, measure.by);
          const id = JSON.stringify(Object.values(axes));
          let group = byGroup.get(id);
          if (!group) byGroup.set(id, (group = { axes, episodes: new Set(), cells: [] }));
          group.episodes.add(episodeId(p.a.plan.key, p.a.plan.repeat));
          group.cells.push(c);
        }
      }
      for (const { axes, episodes, cells: list } of byGroup.values()) {
        groups.push({
          suite: testbed.id,
          ...(measure.groupFields ? measure.groupFields(axes) : { measure: measure.id, axes }),
          episodes: episodes.size,
          rounds: pairedRows(list, measure, z),
          [GROUP_OF]: { measure, axes, several: list.some((c) => (c.a ?? c.b)!.item > 0) },
        });
      }
    }
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
