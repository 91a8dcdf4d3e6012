/**
 * The registered testbeds by id, with no testbed imported: src/testbeds/registry.ts fills it.
 * Generic modules that the testbed folders use themselves (the rates, the settings record) look
 * a plan's testbed up here, so a testbed importing them makes no import circle through the registry.
 */
import type { PlanOf, Testbed } from "./contract.js";
import type { RunPlan } from "../testbeds/registry.js";

type AnyTestbed = Testbed<PlanOf<string, { id: string | number; environment: string }, unknown>>;

/** The built-in testbeds, then those registered at run time, in that order. */
export const TESTBEDS = new Map<string, AnyTestbed>();

/** The testbed that plays a plan. */
export function testbedOf<P extends RunPlan>(plan: P): Testbed<P> {
  const testbed = TESTBEDS.get(plan.suite);
  if (!testbed) throw new Error(`no testbed '${plan.suite}' is registered`);
  return testbed as unknown as Testbed<P>;
}
