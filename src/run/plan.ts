/**
 * A plan is the grid of episodes a run will play, each with a stable key. Keys name the
 * episode's place in the grid, so seeds, transcripts and replays line up across runs.
 */
import { pyFloat } from "../core/pyformat.js";
import type { CollusionSettings, Payoffs } from "../envs/collusion.js";
import type { RoleplaySettings } from "../envs/roleplay.js";
import type { GameScenario, RoleplayScenario } from "../scenarios/types.js";

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

export type EpisodePlan = RoleplayPlan | CollusionPlan;

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
