/**
 * The registered testbeds: the one list that names them. Every layer that needs a testbed's
 * behaviour looks it up here by a plan's `suite`, so adding a testbed is one folder and one line
 * (or one `registerTestbed` call at run time).
 */
import type { PlanOf, Testbed } from "../testbed/contract.js";
import { collusion } from "./collusion/index.js";
import type { CollusionPlan } from "./collusion/plan.js";
import { roleplay } from "./roleplay/index.js";
import type { RoleplayPlan } from "./roleplay/plan.js";
import { tooluse } from "./tooluse/index.js";
import type { ToolUsePlan } from "./tooluse/plan.js";
import { findPreset } from "./presets.js";
import { TESTBEDS, testbedOf } from "../testbed/lookup.js";

export { testbedOf };

/** Any planned episode of a registered testbed. */
export type RunPlan = RoleplayPlan | CollusionPlan | ToolUsePlan;

/** The testbeds where an agent picks one of two options; the choice metrics read these. */
export type EpisodePlan = RoleplayPlan | CollusionPlan;

type Registry = { [Id in RunPlan["suite"]]: Testbed<Extract<RunPlan, { suite: Id }>> };

/** A testbed as generic code holds it, whatever its plans and settings: one registered at run time is typed so. */
export type AnyTestbed = Testbed<PlanOf<string, { id: string | number; environment: string }, unknown>>;

// The compiler checks that every kind of plan has its testbed.
const BUILTIN = { roleplay, collusion, tooluse } satisfies Registry;

type SettingsOf<T> = T extends Testbed<any, infer C> ? C : never;

/** The run settings of every registered testbed, by id: the built-in ones' typed, a run-time one's an object. */
export type TestbedConfigs = { [Id in keyof typeof BUILTIN]: SettingsOf<(typeof BUILTIN)[Id]> } & Record<string, object>;

/** The built-in testbeds, then those registered at run time, in that order: the order runs plan and list them. */
const REGISTRY = TESTBEDS;
for (const [id, testbed] of Object.entries(BUILTIN)) REGISTRY.set(id, testbed as AnyTestbed);

/** Ids name run-file sections and `atp run` targets: a safe alphabet. */
const TESTBED_ID = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Adds a testbed at run time (a plug-in, a test): from then on `atp run ID`, its run-file section
 * and its flags work as for a built-in one. An id already taken, by a testbed or a preset, is refused.
 */
export function registerTestbed(testbed: AnyTestbed): void {
  const { id } = testbed;
  if (!TESTBED_ID.test(id)) throw new Error(`registerTestbed: id '${id}' must be 1-32 lower-case letters, digits or '-', starting with a letter`);
  if (REGISTRY.has(id) || findPreset(id)) throw new Error(`registerTestbed: '${id}' is already the name of a ${REGISTRY.has(id) ? "testbed" : "preset"}`);
  REGISTRY.set(id, testbed);
}

/** The registered testbed with this id, if there is one. */
export function findTestbed(id: string): Testbed<RunPlan> | undefined {
  return REGISTRY.get(id) as unknown as Testbed<RunPlan> | undefined;
}

export function registeredTestbeds(): Testbed<RunPlan>[] {
  return [...REGISTRY.values()] as unknown as Testbed<RunPlan>[];
}

/** The transcript rounds an episode plays. */
export function transcriptRounds(plan: RunPlan): number {
  return testbedOf(plan).transcriptRounds(plan);
}

/** The calls one round of the episode makes; null when a round asks until it is done. */
export function callsPerRound(plan: RunPlan): number | null {
  return testbedOf(plan).callsPerRound(plan);
}
