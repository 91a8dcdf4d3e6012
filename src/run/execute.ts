/**
 * One run from settings to transcripts: load the scenarios, plan the grid, make the agent,
 * play, write the transcript. Everything that can be wrong with the input is checked before the
 * first call, so a bad run fails fast and writes nothing.
 */
import { createAgent } from "../agents/registry.js";
import type { Agent } from "../agents/types.js";
import { isPaperName, resolvePaperPath } from "../scenarios/fetch.js";
import { loadDataset } from "../scenarios/load.js";
import { gameScenarios, roleplayScenarios } from "../scenarios/sources.js";
import type { Dataset } from "../scenarios/types.js";
import type { PlayedEpisode } from "../metrics/rates.js";
import { writeTranscript } from "../transcript/write.js";
import type { TranscriptEpisode } from "../transcript/types.js";
import { DEFAULT_MODEL, type RunConfig } from "./config.js";
import { planCollusion, planRoleplay, type EpisodePlan } from "./plan.js";
import { runPlan } from "./runner.js";

export interface RunHooks {
  onEpisode?: (episode: TranscriptEpisode, done: number, total: number) => void;
}

export interface RunResult {
  model: string;
  plans: EpisodePlan[];
  played: PlayedEpisode[];
}

/** Loads scenario files; `paper:` names resolve to the files `atp data fetch paper` cached. */
export function loadDatasets(names: string[]): Dataset[] {
  return names.map((name) => loadDataset(isPaperName(name) ? resolvePaperPath(name) : name));
}

export function planRun(config: RunConfig, datasets: Dataset[]): EpisodePlan[] {
  const plans: EpisodePlan[] = [];
  if (config.suite !== "collusion") {
    const r = config.roleplay;
    const scenarios = roleplayScenarios(datasets, r.variants);
    plans.push(...planRoleplay(scenarios, { ...r, parity: config.parity }, config.repeats));
  }
  if (config.suite !== "roleplay") {
    const c = config.collusion;
    const base = {
      rounds: c.rounds,
      agents: c.agents,
      capitalMode: c.capitalMode,
      startCapital: c.startCapital,
      additiveBase: c.additiveBase ?? c.startCapital,
      successPays: c.successPays,
      peers: c.peers,
      fixedColluders: c.fixedColluders,
      fixedPosition: c.fixedPosition,
      historyWindow: c.historyWindow,
      parity: config.parity,
    };
    plans.push(...planCollusion(gameScenarios(datasets), base, c.thresholds, c.payoffSets, config.repeats));
  }
  return plans;
}

export async function executeRun(config: RunConfig, hooks: RunHooks = {}): Promise<RunResult> {
  const datasets = loadDatasets(config.datasets);
  const plans = planRun(config, datasets);
  const model = config.model ?? DEFAULT_MODEL;
  const agent: Agent = await createAgent(model);
  try {
    const transcripts = await runPlan(plans, agent, { seed: config.seed, concurrency: config.concurrency, onEpisode: hooks.onEpisode });
    if (config.transcript) writeTranscript(config.transcript, transcripts);
    return { model, plans, played: plans.map((plan, i) => ({ plan, transcript: transcripts[i] })) };
  } finally {
    await agent.close?.();
  }
}
