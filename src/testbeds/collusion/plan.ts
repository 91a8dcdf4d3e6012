import { pyFloat } from "../../core/pyformat.js";
import type { GameScenario } from "../../scenarios/types.js";
import type { PlanOf } from "../../testbed/contract.js";
import type { CollusionSettings, Payoffs } from "./engine.js";

export type CollusionPlan = PlanOf<"collusion", GameScenario, CollusionSettings>;

/** `1.2,1.0,0.8`: a payoff set as the reference prints it in file names and keys. */
export function payoffLabel(p: Payoffs): string {
  return [p.high, p.normal, p.low].map(pyFloat).join(",");
}

export function collusionKey(threshold: number, rewards: Payoffs, index: number): string {
  return `collusion/t=${threshold}/r=${payoffLabel(rewards)}/${index}`;
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
