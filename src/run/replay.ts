/**
 * Rebuilds the plan of a recorded transcript: each episode with its recorded settings and its
 * scenario found by its testbed (in the given scenario files or the built-in packs), so the
 * recorded responses can be played through the engines again.
 */
import { InputError } from "../core/errors.js";
import type { Parity } from "../core/types.js";
import type { Dataset } from "../scenarios/types.js";
import { findTestbed, type RunPlan } from "../testbeds/registry.js";
import type { TranscriptEpisode } from "../transcript/types.js";

export function planFromTranscript(episodes: TranscriptEpisode[], datasets: Dataset[], parity: Parity, file: string): RunPlan[] {
  const source = datasets.length ? datasets.map((d) => d.file).join(", ") : "the built-in packs";
  const replanners = new Map<string, (e: TranscriptEpisode, where: string) => RunPlan>();
  const replannerOf = (suite: string) => {
    let replan = replanners.get(suite);
    if (replan) return replan;
    const testbed = findTestbed(suite);
    if (!testbed) throw new InputError(`${file}: has ${suite} episodes, and no testbed of that name is registered`);
    // Given scenario files, look only in them: a built-in scenario of the same name is not the same scenario.
    const own = datasets.filter((d) => testbed.datasetKinds.includes(d.kind));
    if (datasets.length && testbed.datasetKinds.length && own.length === 0) {
      throw new InputError(`${file}: has ${suite} episodes, but none of the --dataset files (${source}) holds ${suite} scenarios`);
    }
    replan = testbed.replanner({ datasets, parity, file, source });
    replanners.set(suite, replan);
    return replan;
  };
  // Checked for every testbed present before any episode is rebuilt, as a user reads the file.
  for (const e of episodes) replannerOf(e.suite);
  return episodes.map((e, line) => replannerOf(e.suite)(e, `${file}: line ${line + 1} (${e.episode})`));
}
