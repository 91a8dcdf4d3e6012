/**
 * A plan is the grid of episodes a run will play, each with a stable key. Keys name the
 * episode's place in the grid, so seeds, transcripts and replays line up across runs.
 */
import { pyFloat } from "../core/pyformat.js";
import type { CollusionSettings, Payoffs } from "../testbeds/collusion/engine.js";
import type { RoleplaySettings } from "../testbeds/roleplay/engine.js";
import type { GameScenario, RoleplayScenario } from "../scenarios/types.js";
import type { ToolUseSettings } from "../testbeds/tooluse/engine.js";
import { generateProblems, type RoundProblems } from "../testbeds/tooluse/problems.js";

export interface RoleplayPlan {
  suite: "roleplay";
  key: string;
  repeat: number;
  scenario: RoleplayScenario;
  settings: RoleplaySettings;
}

export interface CollusionPlan {
  suite: "collusion";
  key: string;
  repeat: number;
  scenario: GameScenario;
  settings: CollusionSettings;
}

/** The testbeds where an agent picks one of two options; the choice metrics read these. */
export type EpisodePlan = RoleplayPlan | CollusionPlan;

/** The environment name tool-use episodes record. */
export const TOOLUSE_ENVIRONMENT = "calculator";

/** A tool-use episode's problems, generated from a seed and kept whole so a resume needs no generator. */
export interface ToolUseScenario {
  /** The problem seed: episode i plays problem set i, the same in every run. */
  id: number;
  environment: typeof TOOLUSE_ENVIRONMENT;
  problems: RoundProblems[];
}

export interface ToolUsePlan {
  suite: "tooluse";
  key: string;
  repeat: number;
  scenario: ToolUseScenario;
  settings: ToolUseSettings;
}

/** Any planned episode. */
export type RunPlan = EpisodePlan | ToolUsePlan;

/** The transcript rounds an episode plays: its rounds, or a tool-use episode's problems. */
export function transcriptRounds(plan: RunPlan): number {
  return plan.suite === "tooluse" ? plan.settings.rounds * (plan.settings.easyPerRound + plan.settings.hardPerRound) : plan.settings.rounds;
}

/** The calls one round of the episode makes; null for a tool-use problem, which takes one call to its calculator limit plus one. */
export function callsPerRound(plan: RunPlan): number | null {
  if (plan.suite === "tooluse") return null;
  return plan.suite === "collusion" ? plan.settings.agents - plan.settings.fixedColluders : 1;
}

/** Whether a plan is of a choice testbed (role-play or games), the plans the choice metrics read. */
export function isChoicePlan(plan: RunPlan): plan is EpisodePlan {
  return plan.suite !== "tooluse";
}

/** `1.2,1.0,0.8`: a payoff set as the reference prints it in file names and keys. */
export function payoffLabel(p: Payoffs): string {
  return [p.high, p.normal, p.low].map(pyFloat).join(",");
}

export function roleplayKey(index: number): string {
  return `roleplay/${index}`;
}

export function collusionKey(threshold: number, rewards: Payoffs, index: number): string {
  return `collusion/t=${threshold}/r=${payoffLabel(rewards)}/${index}`;
}

/** One episode per scenario and repeat. */
export function planRoleplay(scenarios: RoleplayScenario[], settings: RoleplaySettings, repeats: number): RoleplayPlan[] {
  const plans: RoleplayPlan[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    scenarios.forEach((scenario, i) => plans.push({ suite: "roleplay", key: roleplayKey(i), repeat, scenario, settings }));
  }
  return plans;
}

/** The grid: thresholds x payoff sets x games x repeats. */
export function planCollusion(
  games: GameScenario[],
  base: Omit<CollusionSettings, "threshold" | "rewards">,
  thresholds: number[],
  payoffSets: Payoffs[],
  repeats: number,
): CollusionPlan[] {
  const plans: CollusionPlan[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const threshold of thresholds) {
      for (const rewards of payoffSets) {
        games.forEach((scenario, i) => {
          const settings: CollusionSettings = { ...base, threshold, rewards };
          plans.push({ suite: "collusion", key: collusionKey(threshold, rewards, i), repeat, scenario, settings });
        });
      }
    }
  }
  return plans;
}

export function toolUseKey(index: number): string {
  return `tooluse/${index}`;
}

/** The problems of problem set `seed` under the settings' counts and difficulty. */
export function toolUseScenario(seed: number, settings: ToolUseSettings): ToolUseScenario {
  const { rounds, easyPerRound, hardPerRound, difficulty } = settings;
  return { id: seed, environment: TOOLUSE_ENVIRONMENT, problems: generateProblems({ seed, rounds, easyPerRound, hardPerRound, difficulty }) };
}

/** One episode per problem set and repeat; problem sets are fixed, so runs with other seeds or models pair up. */
export function planToolUse(episodes: number, settings: ToolUseSettings, repeats: number): ToolUsePlan[] {
  const scenarios = Array.from({ length: episodes }, (_, i) => toolUseScenario(i, settings));
  const plans: ToolUsePlan[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    scenarios.forEach((scenario, i) => plans.push({ suite: "tooluse", key: toolUseKey(i), repeat, scenario, settings }));
  }
  return plans;
}
