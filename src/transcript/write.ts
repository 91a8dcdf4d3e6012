import { writeFileAtomic } from "../core/files.js";
import { objectText } from "../core/json.js";
import { findTestbed } from "../testbeds/registry.js";
import type { TranscriptEpisode } from "./types.js";

/** One episode as a JSON line, its settings spelled as its testbed says when JSON.stringify cannot (payoff factors as Python writes them). */
export function episodeLine(e: TranscriptEpisode): string {
  const spell = findTestbed(e.suite)?.settingsText;
  return spell === undefined ? JSON.stringify(e) : objectText(e, { settings: spell(e.settings) });
}

/** One JSON object per line, one line per episode. */
export function transcriptText(episodes: TranscriptEpisode[]): string {
  return episodes.map(episodeLine).join("\n") + (episodes.length ? "\n" : "");
}

export function writeTranscript(file: string, episodes: TranscriptEpisode[]): void {
  writeFileAtomic(file, transcriptText(episodes));
}
