/**
 * The registered testbeds: the one list that names them. Every layer that needs a testbed's
 * behaviour looks it up here by a plan's `suite`, so adding a testbed is one folder and one line.
 */
import type { Testbed } from "../testbed/contract.js";
import { collusion } from "./collusion/index.js";
import type { CollusionPlan } from "./collusion/plan.js";
import { roleplay } from "./roleplay/index.js";
import type { RoleplayPlan } from "./roleplay/plan.js";
import { tooluse } from "./tooluse/index.js";
import type { ToolUsePlan } from "./tooluse/plan.js";

/** Any planned episode of a registered testbed. */
export type RunPlan = RoleplayPlan | CollusionPlan | ToolUsePlan;

/** The testbeds where an agent picks one of two options; the choice metrics read these. */
export type EpisodePlan = RoleplayPlan | CollusionPlan;

type Registry = { [Id in RunPlan["suite"]]: Testbed<Extract<RunPlan, { suite: Id }>> };

// The compiler checks that every kind of plan has its testbed.
const REGISTRY: Registry = { roleplay, collusion, tooluse };

/** The testbed that plays a plan. */
export function testbedOf<P extends RunPlan>(plan: P): Testbed<P> {
  return REGISTRY[plan.suite] as unknown as Testbed<P>;
}

/** The registered testbed with this id, if there is one. */
export function findTestbed(id: string): Testbed<RunPlan> | undefined {
  return Object.hasOwn(REGISTRY, id) ? (REGISTRY[id as RunPlan["suite"]] as unknown as Testbed<RunPlan>) : undefined;
}

export function registeredTestbeds(): Testbed<RunPlan>[] {
  return Object.values(REGISTRY) as unknown as Testbed<RunPlan>[];
}

/** The transcript rounds an episode plays. */
export function transcriptRounds(plan: RunPlan): number {
  return testbedOf(plan).transcriptRounds(plan);
}

/** The calls one round of the episode makes; null when a round asks until it is done. */
export function callsPerRound(plan: RunPlan): number | null {
  return testbedOf(plan).callsPerRound(plan);
}

/** Whether a plan is of a choice testbed (role-play or games), the plans the choice metrics read. */
export function isChoicePlan(plan: RunPlan): plan is EpisodePlan {
  return plan.suite === "roleplay" || plan.suite === "collusion";
}
