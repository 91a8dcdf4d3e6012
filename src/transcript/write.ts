import { writeFileAtomic } from "../core/files.js";
import type { TranscriptEpisode } from "./types.js";

/** One JSON object per line, one line per episode. */
export function transcriptText(episodes: TranscriptEpisode[]): string {
  return episodes.map((e) => JSON.stringify(e)).join("\n") + (episodes.length ? "\n" : "");
}

export function writeTranscript(file: string, episodes: TranscriptEpisode[]): void {
  writeFileAtomic(file, transcriptText(episodes));
}
