/** The contract test kit over every registered testbed, planned through the contract from its own defaults. */
import { test } from "node:test";
import { createAgent } from "../../src/agents/registry.js";
import { defaultSettings } from "../../src/testbed/settings.js";
import { registeredTestbeds, registerTestbed } from "../../src/testbeds/registry.js";
import { lever } from "../testbeds/toy/lever.js";
import { checkFailedNeverScored, checkKillAndResume, checkPurity, checkRepeatsIndependent, checkReplayIdentity, checkSlotsAsked, type KitSubject } from "./kit.js";

/** Settings that make the grid small and give every kind of slot: fixed colluders, two rounds of problems. */
const SMALL: Record<string, Record<string, unknown>> = {
  collusion: { fixedColluders: 2, thresholds: [4] },
  tooluse: { rounds: 2 },
};

// The toy testbed of the acceptance test, registered as a user's would be: the kit holds for it too.
registerTestbed(lever);

/** Two episodes of each registered testbed, in two repeats. */
async function subjects(): Promise<KitSubject[]> {
  const out: KitSubject[] = [];
  for (const testbed of registeredTestbeds()) {
    const settings = { ...defaultSettings(testbed.settings), ...SMALL[testbed.id] };
    const all = testbed.plan(settings as never, { datasets: [], parity: "default", repeats: 2 });
    const keys = new Set(all.map((p) => p.key).slice(0, 2));
    out.push({ testbed: testbed as never, plans: all.filter((p) => keys.has(p.key)) as never, agent: await createAgent("policy:learner"), seed: 7 });
  }
  return out;
}

const checks = {
  purity: checkPurity,
  "replay is the identity": checkReplayIdentity,
  "kill and resume equals uninterrupted": checkKillAndResume,
  "repeats are independent": checkRepeatsIndependent,
  "fixed slots are never asked": checkSlotsAsked,
  "failed calls are never scored": checkFailedNeverScored,
};

for (const s of await subjects()) {
  for (const [name, check] of Object.entries(checks)) {
    test(`contract kit, ${s.testbed.id}: ${name}`, async () => check(s));
  }
}
