import { testbedOf } from "../testbed/lookup.js";
import type { RunPlan } from "../testbeds/registry.js";

/** The episode's settings as its transcript records them (each testbed's `record.ts` says how). */
export function settingsRecord(plan: RunPlan): object {
  return testbedOf(plan).settingsRecord(plan);
}
