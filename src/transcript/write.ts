import { writeFileAtomic } from "../core/files.js";
import { pyFloat, pyInt } from "../core/pyformat.js";
import { PAYOFF_NAMES } from "../testbeds/collusion/engine.js";
import type { CollusionSettingsRecord } from "../testbeds/collusion/record.js";
import type { TranscriptEpisode } from "./types.js";

/** `{...}` with the given keys written as raw JSON text, the others by JSON.stringify. */
function objectText(o: object, raw: Record<string, string>): string {
  const fields = Object.entries(o).filter(([, v]) => v !== undefined);
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${raw[k] ?? JSON.stringify(v)}`).join(",")}}`;
}

/** One episode as a JSON line. Payoff factors are spelled as Python writes them (`2`, `1.0`), which JSON.stringify cannot do. */
export function episodeLine(e: TranscriptEpisode): string {
  if (e.suite !== "collusion") return JSON.stringify(e);
  const { reward_ints: ints, ...settings } = e.settings as CollusionSettingsRecord;
  const rewards = settings.rewards.map((v, i) => (ints?.includes(PAYOFF_NAMES[i]) ? pyInt(v) : pyFloat(v)));
  return objectText(e, { settings: objectText(settings, { rewards: `[${rewards.join(",")}]` }) });
}

/** One JSON object per line, one line per episode. */
export function transcriptText(episodes: TranscriptEpisode[]): string {
  return episodes.map(episodeLine).join("\n") + (episodes.length ? "\n" : "");
}

export function writeTranscript(file: string, episodes: TranscriptEpisode[]): void {
  writeFileAtomic(file, transcriptText(episodes));
}
