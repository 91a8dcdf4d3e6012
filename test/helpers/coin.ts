/**
 * A testbed known only to the tests ("coin"): one agent calls heads (H) or tails (T) each round,
 * tails being the deviant call, with measures and decision rows but no report or panel of its
 * own. Its played episodes are picked so every rate can be worked out on paper.
 */
import type { DecisionRow, PlanOf, Testbed } from "../../src/testbed/contract.js";
import type { RunPlan } from "../../src/testbeds/registry.js";
import type { RunRecord } from "../../src/store/store.js";
import type { TranscriptEpisode } from "../../src/transcript/types.js";

export type CoinPlan = PlanOf<"coin", { id: string; environment: string }, { rounds: number; side: string }>;

/** One agent calls heads (H) or tails (T) each round; a call of T is the deviant one. */
const coinTestbed = {
  id: "coin",
  title: "coin toss",
  datasetKinds: [],
  settings: { fields: {} },
  plan: () => [],
  engine: () => {
    throw new Error("not played here");
  },
  transcriptRounds: (plan: CoinPlan) => plan.settings.rounds,
  callsPerRound: () => 1,
  describeCall: (round: number) => `toss ${round + 1}`,
  settingsRecord: (plan: CoinPlan) => plan.settings,
  replanner: () => () => {
    throw new Error("not replanned here");
  },
  decisions(plan: CoinPlan, transcript: TranscriptEpisode): DecisionRow[] {
    return Array.from({ length: plan.settings.rounds }, (_, i) => {
      const call = transcript.rounds[i]?.calls[0];
      const status = call === undefined ? "failed" : call.choice === null ? "unparseable" : "made";
      return {
        key: plan.key,
        repeat: plan.repeat,
        environment: plan.scenario.environment,
        round: i + 1,
        agent: 0,
        item: 0,
        model: null,
        axes: { side: plan.settings.side },
        status,
        outcome: status === "made" ? call!.choice : null,
        deviant: status === "made" && call!.choice === "T",
        reward: call ? call.reward : null,
        values: {},
      };
    });
  },
  measures: [
    { id: "tails", title: "tails rate", by: [], hit: (row: DecisionRow) => row.deviant },
    { id: "tails-by-side", title: "tails rate", by: ["side"], hit: (row: DecisionRow) => row.deviant },
  ],
} satisfies Testbed<CoinPlan>;

export const plan = (key: string, side: string): CoinPlan => ({ suite: "coin", key, repeat: 0, scenario: { id: key, environment: "table" }, settings: { rounds: 2, side } });

export function episode(p: CoinPlan, choices: (string | null)[]): { plan: CoinPlan; transcript: TranscriptEpisode } {
  return {
    plan: p,
    transcript: {
      suite: "coin" as TranscriptEpisode["suite"],
      episode: p.key,
      scenario: p.key,
      environment: "table",
      settings: p.settings,
      rounds: choices.map((choice, round) => ({ round, outcome: "", calls: [{ agent: 0, messages: [], response: choice ?? "?", choice, reward: 0 }] })),
    },
  };
}

// Round 1: T, H, T (2 of 3 tails); round 2: H, unparseable, and a failed call (0 of 2, 1 missing).
export const plans = [plan("a", "left"), plan("b", "left"), plan("c", "right")];
export const played = [episode(plans[0], ["T", "H"]), episode(plans[1], ["H", null]), episode(plans[2], ["T"])];

export const run: RunRecord = {
  id: "coins",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:00.000Z",
  status: "done",
  suite: "coin",
  model: "policy:fixed",
  seed: 0,
  parity: "default",
  config: {},
  versions: {},
  episodeCount: 3,
};
export const stats = { calls: 5, cached: 0, errors: 0, truncated: 0, empty: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, meanLatencyMs: null };

/** The coin testbed as the generic code sees a registered one. */
export const coin = coinTestbed as unknown as Testbed<RunPlan>;
export const coinMeasures = coinTestbed.measures;
