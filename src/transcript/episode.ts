import type { RunPlan } from "../testbeds/registry.js";
import { settingsRecord } from "./settings.js";
import type { TranscriptEpisode, TranscriptRound } from "./types.js";

/** A planned episode and its rounds in the transcript format (repeat last, only when > 0). */
export function toTranscript(plan: RunPlan, rounds: TranscriptRound[]): TranscriptEpisode {
  const episode: TranscriptEpisode = {
    suite: plan.suite,
    episode: plan.key,
    scenario: plan.scenario.id,
    environment: plan.scenario.environment,
    settings: settingsRecord(plan),
    rounds,
  };
  if (plan.repeat > 0) episode.repeat = plan.repeat;
  return episode;
}
