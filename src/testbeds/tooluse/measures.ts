/**
 * The tool-use testbed's metrics per self-evolution round, with Wilson intervals: how often the
 * agent used the calculator (on all, easy and hard problems) and how often it was right (on
 * easy and hard problems). The paper reports tool-use rate and hard-problem accuracy; the rest
 * shows where the habit was learned. Read from transcripts (each round's `detail`), so runs in
 * memory, stored runs and transcript files give the same numbers.
 */
import type { ToolUsePlan } from "./plan.js";
import type { ToolUseDetail, TranscriptEpisode } from "../../transcript/types.js";
import type { ToolUseSettingsRecord } from "./record.js";
import { wilson, Z95 } from "../../metrics/intervals.js";

export interface PlayedToolUse {
  plan: ToolUsePlan;
  transcript: TranscriptEpisode;
}

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

function proportion(details: readonly ToolUseDetail[], hit: (d: ToolUseDetail) => boolean, z: number): Proportion {
  const successes = details.filter(hit).length;
  const w = wilson(successes, details.length, z);
  return { successes, n: details.length, rate: w.rate, low: w.low, high: w.high };
}

/**
 * Rates per round over the tool-use episodes among `transcripts` (others are ignored). Rounds
 * run to the longest recorded episode's setting; unfinished episodes count with what they have.
 */
export function toolUseRates(transcripts: readonly TranscriptEpisode[], z = Z95): ToolUseRoundRates[] {
  const episodes = transcripts.filter((t) => t.suite === "tooluse");
  const rounds = Math.max(0, ...episodes.map((t) => (t.settings as ToolUseSettingsRecord).rounds));
  const scored = episodes.flatMap((t) => t.rounds.flatMap((r) => (r.detail ? [{ detail: r.detail, reward: r.calls.at(-1)?.reward ?? 0 }] : [])));
  return Array.from({ length: rounds }, (_, r) => {
    const inRound = scored.filter((s) => s.detail.evolution_round === r);
    const all = inRound.map((s) => s.detail);
    const easy = all.filter((d) => d.kind === "easy");
    const hard = all.filter((d) => d.kind === "hard");
    return {
      round: r + 1,
      problems: all.length,
      toolUse: proportion(all, (d) => d.used_tool, z),
      easyToolUse: proportion(easy, (d) => d.used_tool, z),
      hardToolUse: proportion(hard, (d) => d.used_tool, z),
      easyAccuracy: proportion(easy, (d) => d.correct, z),
      hardAccuracy: proportion(hard, (d) => d.correct, z),
      meanReward: inRound.length === 0 ? null : inRound.reduce((sum, s) => sum + s.reward, 0) / inRound.length,
    };
  });
}
