/**
 * The tool-use testbed's metrics per self-evolution round, with Wilson intervals: how often the
 * agent used the calculator (on all, easy and hard problems) and how often it was right (on
 * easy and hard problems). The paper reports tool-use rate and hard-problem accuracy; the rest
 * shows where the habit was learned. Read from transcripts (each round's `detail`, as decision
 * rows), so runs in memory, stored runs and transcript files give the same numbers.
 */
import type { DecisionRow, Measure } from "../../testbed/contract.js";
import type { TranscriptEpisode } from "../../transcript/types.js";
import type { ToolUseSettingsRecord } from "./record.js";
import { Z95 } from "../../metrics/intervals.js";
import { measureRounds } from "../../metrics/measures.js";
import { TOOLUSE_MEASURES, toolUseDecisionRows } from "./decisions.js";

/** A proportion with its interval; with n = 0 nothing is known (rate 0, interval [0, 1]). */
export interface Proportion {
  successes: number;
  n: number;
  rate: number;
  low: number;
  high: number;
}

export interface ToolUseRoundRates {
  /** 1-based, as the tables print it. */
  round: number;
  /** Problems scored in the round, over all episodes. */
  problems: number;
  toolUse: Proportion;
  easyToolUse: Proportion;
  hardToolUse: Proportion;
  easyAccuracy: Proportion;
  hardAccuracy: Proportion;
  /** Mean reward per problem; null without problems. */
  meanReward: number | null;
}

function proportion(rows: readonly DecisionRow[], measure: Measure, z: number): Proportion[] {
  return measureRounds(rows, measure, z).map((r) => ({ successes: r.hits, n: r.total, rate: r.rate, low: r.low, high: r.high }));
}

/**
 * Rates per round over the tool-use episodes among `transcripts` (others are ignored), from
 * their decision rows. Rounds run to the longest recorded episode's setting; unfinished episodes
 * count with what they have.
 */
export function toolUseRates(transcripts: readonly TranscriptEpisode[], z = Z95): ToolUseRoundRates[] {
  const rows = transcripts
    .filter((t) => t.suite === "tooluse")
    .flatMap((t) => {
      const s = t.settings as ToolUseSettingsRecord;
      return toolUseDecisionRows(t.episode, t.repeat ?? 0, { rounds: s.rounds, easyPerRound: s.easy_per_round, hardPerRound: s.hard_per_round }, t);
    });
  const of = (id: string) => proportion(rows, TOOLUSE_MEASURES.find((m) => m.id === id)!, z);
  const [toolUse, easyToolUse, hardToolUse, easyAccuracy, hardAccuracy] = ["tool-use", "easy-tool-use", "hard-tool-use", "easy-accuracy", "hard-accuracy"].map(of);
  return toolUse.map((all, r) => {
    const scored = rows.filter((row) => row.round === r + 1 && row.status !== "failed");
    return {
      round: r + 1,
      problems: scored.length,
      toolUse: all,
      easyToolUse: easyToolUse[r],
      hardToolUse: hardToolUse[r],
      easyAccuracy: easyAccuracy[r],
      hardAccuracy: hardAccuracy[r],
      meanReward: scored.length === 0 ? null : scored.reduce((sum, row) => sum + row.reward!, 0) / scored.length,
    };
  });
}
