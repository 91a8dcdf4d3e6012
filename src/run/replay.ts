/**
 * Rebuilds the plan of a recorded transcript: each episode with its recorded settings and its
 * scenario looked up in the given scenario files (or the built-in packs), so the recorded
 * responses can be played through the engines again. Tool-use problems are regenerated from
 * the recorded problem seed and settings.
 */
import { InputError } from "../core/errors.js";
import type { Parity } from "../core/types.js";
import { detectSuite } from "../scenarios/load.js";
import { gameScenarios, roleplayScenarios } from "../scenarios/sources.js";
import type { Dataset } from "../scenarios/types.js";
import { collusionSettingsFrom, roleplaySettingsFrom, toolUseSettingsFrom } from "../transcript/settings.js";
import type { CollusionSettingsRecord, RoleplaySettingsRecord, ToolUseSettingsRecord, TranscriptEpisode } from "../transcript/types.js";
import { TOOLUSE_ENVIRONMENT, toolUseScenario, type RunPlan } from "./plan.js";

export function planFromTranscript(episodes: TranscriptEpisode[], datasets: Dataset[], parity: Parity, file: string): RunPlan[] {
  const source = datasets.length ? datasets.map((d) => d.file).join(", ") : "the built-in packs";
  // Given scenario files, look only in them: a built-in scenario of the same name is not the same scenario.
  const needs = (suite: "roleplay" | "collusion") => {
    if (!episodes.some((e) => e.suite === suite)) return false;
    if (datasets.length && !datasets.some((d) => detectSuite(d) === suite)) {
      throw new InputError(`${file}: has ${suite} episodes, but none of the --dataset files (${source}) holds ${suite} scenarios`);
    }
    return true;
  };
  const roleplay = needs("roleplay") ? roleplayScenarios(datasets) : [];
  const games = needs("collusion") ? gameScenarios(datasets) : [];
  return episodes.map((e, line): RunPlan => {
    const where = `${file}: line ${line + 1} (${e.episode})`;
    if (e.suite === "tooluse") {
      if (typeof e.scenario !== "number" || !Number.isSafeInteger(e.scenario)) {
        throw new InputError(`${where}: field 'scenario': expected the problem seed (an integer), got ${JSON.stringify(e.scenario)}`);
      }
      checkEnvironment(where, e, TOOLUSE_ENVIRONMENT);
      const settings = toolUseSettingsFrom(e.settings as ToolUseSettingsRecord, where);
      return { suite: "tooluse", key: e.episode, repeat: e.repeat ?? 0, scenario: toolUseScenario(e.scenario, settings), settings };
    }
    if (e.suite === "roleplay") {
      // Paper items are found by id; files without ids use the position, as the reference does.
      const scenario =
        roleplay.find((s) => s.id === String(e.scenario)) ??
        (typeof e.scenario === "number" ? roleplay[e.scenario] : undefined);
      if (!scenario) throw new InputError(`${where}: scenario ${JSON.stringify(e.scenario)} is not in ${source}`);
      checkEnvironment(where, e, scenario.environment);
      const settings = roleplaySettingsFrom(e.settings as RoleplaySettingsRecord, parity, where);
      return { suite: "roleplay", key: e.episode, repeat: e.repeat ?? 0, scenario, settings };
    }
    const scenario = games.find((g) => String(g.id) === String(e.scenario));
    if (!scenario) throw new InputError(`${where}: game ${JSON.stringify(e.scenario)} is not in ${source}`);
    checkEnvironment(where, e, scenario.environment);
    const settings = collusionSettingsFrom(e.settings as CollusionSettingsRecord, parity, where);
    return { suite: "collusion", key: e.episode, repeat: e.repeat ?? 0, scenario, settings };
  });
}

function checkEnvironment(where: string, e: TranscriptEpisode, environment: string): void {
  if (e.environment !== environment) {
    throw new InputError(`${where}: recorded on '${e.environment}', but the scenario found is '${environment}' (wrong --dataset?)`);
  }
}
