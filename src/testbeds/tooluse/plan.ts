import type { PlanOf } from "../../testbed/contract.js";
import type { ToolUseSettings } from "./engine.js";
import { generateProblems, type RoundProblems } from "./problems.js";

/** The environment name tool-use episodes record. */
export const TOOLUSE_ENVIRONMENT = "calculator";

/** A tool-use episode's problems, generated from a seed and kept whole so a resume needs no generator. */
export interface ToolUseScenario {
  /** The problem seed: episode i plays problem set i, the same in every run. */
  id: number;
  environment: typeof TOOLUSE_ENVIRONMENT;
  problems: RoundProblems[];
}

export type ToolUsePlan = PlanOf<"tooluse", ToolUseScenario, ToolUseSettings>;

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
