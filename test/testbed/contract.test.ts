/** The contract test kit over every registered testbed. */
import { test } from "node:test";
import { createAgent } from "../../src/agents/registry.js";
import { defaultConfig } from "../../src/run/config.js";
import { planAll } from "../../src/run/execute.js";
import { registeredTestbeds } from "../../src/testbeds/registry.js";
import { checkFailedNeverScored, checkKillAndResume, checkPurity, checkRepeatsIndependent, checkReplayIdentity, checkSlotsAsked, type KitSubject } from "./kit.js";

/** A small grid of each built-in testbed: two repeats, two episodes each, fixed slots where the testbed has them. */
async function subjects(): Promise<KitSubject[]> {
  const out: KitSubject[] = [];
  for (const testbed of registeredTestbeds()) {
    const config = defaultConfig(testbed.id as never);
    config.repeats = 2;
    config.collusion.fixedColluders = 2;
    config.collusion.thresholds = [4];
    config.tooluse.rounds = 2;
    const mine = planAll(config, []).filter((p) => p.suite === testbed.id);
    const keys = new Set(mine.map((p) => p.key).slice(0, 2));
    const plans = mine.filter((p) => keys.has(p.key));
    out.push({ testbed: testbed as never, plans: plans as never, agent: await createAgent("policy:learner"), seed: 7 });
  }
  return out;
}

const all = await subjects();
const checks = { purity: checkPurity, "replay is the identity": checkReplayIdentity, "kill and resume equals uninterrupted": checkKillAndResume, "repeats are independent": checkRepeatsIndependent, "fixed slots are never asked": checkSlotsAsked, "failed calls are never scored": checkFailedNeverScored };

for (const s of all) {
  for (const [name, check] of Object.entries(checks)) {
    test(`contract kit, ${s.testbed.id}: ${name}`, async () => check(s));
  }
}
