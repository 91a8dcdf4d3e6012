import type { PlanOf } from "../../testbed/contract.js";
import type { RoleplayScenario } from "../../scenarios/types.js";
import type { RoleplaySettings } from "./engine.js";

export type RoleplayPlan = PlanOf<"roleplay", RoleplayScenario, RoleplaySettings>;

export function roleplayKey(index: number): string {
  return `roleplay/${index}`;
}

/** One episode per scenario and repeat. */
export function planRoleplay(scenarios: RoleplayScenario[], settings: RoleplaySettings, repeats: number): RoleplayPlan[] {
  const plans: RoleplayPlan[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    scenarios.forEach((scenario, i) => plans.push({ suite: "roleplay", key: roleplayKey(i), repeat, scenario, settings }));
  }
  return plans;
}
