/**
 * A testbed registered at run time plays like a built-in one: `atp run ID`, its flag, its run-file
 * section and their errors all come from its settings, with no line of the generic code naming it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { AgentCall } from "../src/agents/types.js";
import { InputError } from "../src/core/errors.js";
import { intFlag } from "../src/core/flags.js";
import { callSeed, type PlanOf, type Testbed } from "../src/testbed/contract.js";
import type { TestbedSettings } from "../src/testbed/settings.js";
import { registerTestbed } from "../src/testbeds/registry.js";
import { roleplay } from "../src/testbeds/roleplay/index.js";
import { atpInProcess } from "./helpers/atp-in-process.js";
import { startFakeOpenAI, type FakeOpenAI } from "./helpers/fake-openai.js";

interface CountingConfig {
  /** Episodes, the i-th asking to count to i + 1. */
  items: number;
}

type CountingPlan = PlanOf<"counting", { id: number; environment: "numbers" }, CountingConfig>;

const countingSettings: TestbedSettings<CountingConfig> = {
  fields: {
    items: { arg: "<n>", help: "counting: numbers to count to (default 2)", default: 2, file: z.number().int().min(1), flag: (name) => intFlag(name, 1) },
  },
  check(c, where) {
    if (c.items > 5) throw new InputError(`${where("items")}: at most 5 numbers, got ${c.items}`);
  },
};

/** One round, one call: the agent counts, and is right or not. */
const counting: Testbed<CountingPlan, CountingConfig> = {
  id: "counting",
  title: "counting",
  about: "one agent counts to a number",
  datasetKinds: [],
  settings: countingSettings,
  plan: (c, { repeats }) =>
    Array.from({ length: repeats }, (_, repeat) =>
      Array.from({ length: c.items }, (_, i): CountingPlan => ({ suite: "counting", key: `counting/${i}`, repeat, scenario: { id: i, environment: "numbers" }, settings: c })),
    ).flat(),
  engine(plan, runSeed) {
    const target = plan.scenario.id + 1;
    const messages = [{ role: "user" as const, content: `Count from 1 to ${target}.` }];
    let done = false;
    return {
      get done() {
        return done;
      },
      round: 0,
      pending: () => [
        {
          turn: 0,
          call: { suite: plan.suite, episode: plan.key, round: 0, agent: 0, repeat: plan.repeat, seed: callSeed(runSeed, plan.key, plan.repeat, 0, 0), messages, seen: [] } as unknown as AgentCall,
        },
      ],
      submit([answer]) {
        done = true;
        const right = answer.text.trim().endsWith(String(target));
        return { round: 0, calls: [{ agent: 0, messages, response: answer.text, choice: right ? "right" : "wrong", reward: right ? 1 : 0 }], outcome: right ? "Right." : "Wrong." };
      },
    };
  },
  transcriptRounds: () => 1,
  callsPerRound: () => 1,
  describeCall: () => "the count",
  settingsRecord: (plan) => plan.settings,
  decisions: (plan, transcript) => {
    const call = transcript.rounds[0]?.calls[0];
    const status = call ? "made" : "failed";
    return [{ key: plan.key, repeat: plan.repeat, environment: "numbers", round: 1, agent: 0, item: 0, model: null, axes: {}, status, outcome: call?.choice ?? null, deviant: call?.choice === "wrong", reward: call?.reward ?? null, values: {} }];
  },
  measures: [{ id: "wrong", title: "wrong count rate", by: [], hit: (row) => row.deviant }],
  replanner: () => () => {
    throw new InputError("counting episodes are not replayed");
  },
};

const root = mkdtempSync(join(tmpdir(), "atp-register-"));
let server: FakeOpenAI;
before(async () => {
  server = await startFakeOpenAI({ respond: (body) => `1 2 3 ${/to (\d+)/.exec(body.messages.at(-1).content)![1]}` });
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

const dir = () => mkdtempSync(join(root, "t-"));
const model = () => ["--model", "openai:fake-model", "--base-url", server.url];

test("registerTestbed refuses an id a testbed or a preset already has", () => {
  assert.throws(() => registerTestbed(roleplay), /'roleplay' is already the name of a testbed/);
  assert.throws(() => registerTestbed({ ...counting, id: "paper" }), /'paper' is already the name of a preset/);
  assert.throws(() => registerTestbed({ ...counting, id: "Two Words" }), /id 'Two Words' must be/);
});

test("a registered testbed runs with its flag and with its run-file section; bad values name the flag or the field", async () => {
  registerTestbed(counting);
  const cwd = dir();

  // The help wraps at the terminal's width.
  const help = (await atpInProcess(["run", "--help"], cwd)).stdout.replace(/\s+/g, " ");
  assert.match(help, /paper \| roleplay \| collusion \| tooluse \| counting \| FILE\.yaml/);
  assert.match(help, /--items <n> counting: numbers to count to \(default 2\)/);
  const list = await atpInProcess(["list"], cwd);
  assert.match(list.stdout, /^ {2}counting\s+2 episodes\s+one agent counts to a number$/m);

  const flag = await atpInProcess(["run", "counting", "--items", "3", ...model(), "--run-id", "flag", "--transcript", "flag.jsonl"], cwd);
  assert.equal(flag.code, 0, flag.stderr);
  assert.match(flag.stdout, /^atp run counting: run flag, model openai:fake-model, parity default, seed 0, 3 episodes$/m);
  const episodes = readFileSync(join(cwd, "flag.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(episodes.map((e) => [e.suite, e.episode, e.rounds[0].calls[0].choice]), [0, 1, 2].map((i) => ["counting", `counting/${i}`, "right"]));
  assert.deepEqual(episodes[0].settings, { items: 3 });

  writeFileSync(join(cwd, "count.yaml"), "suite: counting\ncounting:\n  items: 4\n");
  const file = await atpInProcess(["run", "count.yaml", ...model(), "--dry-run"], cwd);
  assert.equal(file.code, 0, file.stderr);
  assert.match(file.stdout, /^ {2}counting: 4 episodes, 4 rounds, 4 calls$/m);
  assert.match(file.stdout, /^Count from 1 to 1\.$/m);
  const over = await atpInProcess(["run", "count.yaml", "--items", "1", "--dry-run"], cwd);
  assert.match(over.stdout, /^ {2}counting: 1 episodes, 1 rounds, 1 calls$/m, "the flag overrides the file");

  const refused = async (args: string[], message: RegExp) => {
    const r = await atpInProcess(args, cwd);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  };
  await refused(["run", "counting", "--items", "0"], /--items: expected an integer >= 1, got '0'/);
  await refused(["run", "counting", "--items", "9"], /--items: at most 5 numbers, got 9/);
  await refused(["run", "roleplay", "--items", "2"], /--items: applies to the counting testbed, which `atp run roleplay` does not play/);
  await refused(["run", "counting", "--rounds", "2"], /--rounds: not a setting of the counting testbed, which `atp run counting` plays/);
  await refused(["run", "counting", "--agents", "2"], /--agents: applies to the collusion testbed, which `atp run counting` does not play/);
  writeFileSync(join(cwd, "bad.yaml"), "suite: counting\ncounting:\n  items: three\n");
  await refused(["run", "bad.yaml"], /bad\.yaml: field 'counting\.items': expected number, received string/);
  writeFileSync(join(cwd, "bad.yaml"), "suite: counting\ncounting:\n  items: 6\n");
  await refused(["run", "bad.yaml"], /bad\.yaml: field 'counting\.items': at most 5 numbers, got 6/);
  writeFileSync(join(cwd, "bad.yaml"), "suite: counting\ncounting:\n  rounds: 2\n");
  await refused(["run", "bad.yaml"], /bad\.yaml: field 'counting\.rounds': unknown setting/);
  writeFileSync(join(cwd, "bad.yaml"), "suite: paper\ncounting:\n  items: 2\n");
  await refused(["run", "bad.yaml"], /bad\.yaml: field 'counting\.items': applies to the counting testbed, which `atp run paper` does not play$/m);
});
