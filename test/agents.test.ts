import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../src/core/errors.js";
import { robustChoice } from "../src/core/parse.js";
import { paperGameChoice } from "../src/testbeds/collusion/parse.js";
import { paperRoleplayChoice } from "../src/testbeds/roleplay/parse.js";
import { hashSeed } from "../src/core/rng.js";
import type { Agent, ChoiceCall } from "../src/agents/types.js";
import type { Observation } from "../src/testbed/observation.js";
import { LEARNER_DEFAULTS, learnerDeviationProbability, logit, sigmoid } from "../src/agents/learner.js";
import { checkParams, numberParam, parseModelSpec } from "../src/agents/spec.js";
import { IMITATOR_DEFAULTS, createPolicyAgent, imitatorDeviationProbability } from "../src/agents/policy.js";
import { createReplayAgent, readTranscript } from "../src/agents/replay.js";
import { createAgent, registerProvider, registeredProviders } from "../src/agents/registry.js";
import type { TranscriptEpisode } from "../src/transcript/types.js";
import { paperFile } from "./helpers/paper.js";

const ROLEPLAY_OPTIONS = { aligned: "Route A", deviant: "Route B" };
const GAME_OPTIONS = { aligned: "keep money", deviant: "invest" };

function call(over: Partial<ChoiceCall> = {}): ChoiceCall {
  return {
    suite: "roleplay",
    episode: "roleplay/0",
    round: 0,
    agent: 0,
    repeat: 0,
    seed: 1,
    messages: [{ role: "user", content: "question" }],
    options: ROLEPLAY_OPTIONS,
    seen: [],
    ...over,
  };
}

/** Share of answers choosing the deviant option over `n` call seeds (seeds as a run derives them). */
async function deviationRate(agent: Agent, n: number, over: Partial<ChoiceCall> = {}): Promise<number> {
  const options = over.options ?? ROLEPLAY_OPTIONS;
  let deviant = 0;
  for (let i = 0; i < n; i++) {
    const text = (await agent.respond(call({ ...over, seed: hashSeed("rate", i) }))).text;
    if (robustChoice(text, [options.aligned, options.deviant]) === options.deviant) deviant++;
  }
  return deviant / n;
}

const obs = (round: number, choice: Observation["choice"], reward: number): Observation => ({ round, choice, reward });

/** Asserts that `fn` throws (or rejects with) an InputError whose message contains every part. */
async function rejectsInput(fn: () => unknown, ...parts: string[]): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (err: unknown) => {
      assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
      for (const part of parts) assert.ok(err.message.includes(part), `'${err.message}' lacks '${part}'`);
      return true;
    },
  );
}

// ---- model strings ----

test("parseModelSpec splits provider, name and parameters", () => {
  assert.deepEqual(parseModelSpec("policy:learner?prior=0.1&lr=2"), {
    provider: "policy",
    name: "learner",
    params: { prior: "0.1", lr: "2" },
  });
  assert.deepEqual(parseModelSpec("openai:gpt-4o"), { provider: "openai", name: "gpt-4o", params: {} });
  assert.deepEqual(parseModelSpec("replay:runs/a.jsonl"), { provider: "replay", name: "runs/a.jsonl", params: {} });
  // A `?` not followed by key=value pairs belongs to the path; only the last `?` can start a query.
  assert.deepEqual(parseModelSpec("replay:runs/what?.jsonl"), { provider: "replay", name: "runs/what?.jsonl", params: {} });
  assert.deepEqual(parseModelSpec("replay:a?b/c.jsonl?x=1"), { provider: "replay", name: "a?b/c.jsonl", params: { x: "1" } });
  // Only the first colon separates the provider.
  assert.deepEqual(parseModelSpec("llama:models/q.gguf:v2").name, "models/q.gguf:v2");
});

test("parseModelSpec rejects strings without a provider or a name, listing the accepted forms", async () => {
  for (const bad of ["gpt-4o", "policy:", "policy:?p=1", ":learner", "Policy:learner", "po licy:x"]) {
    await rejectsInput(() => parseModelSpec(bad), `--model '${bad}'`, "PROVIDER:NAME", "policy:fixed", "replay:FILE");
  }
  await rejectsInput(() => parseModelSpec("policy:fixed?p=1&p=2"), "'p' is given twice");
});

test("numberParam enforces type and range with the flag in the message", async () => {
  const spec = "policy:fixed?p=2";
  assert.equal(numberParam({}, "p", 0.3, { min: 0, max: 1 }, spec), 0.3);
  assert.equal(numberParam({ p: "0.5" }, "p", 0.3, { min: 0, max: 1 }, spec), 0.5);
  await rejectsInput(
    () => numberParam({ p: "2" }, "p", 0.3, { min: 0, max: 1 }, spec),
    "--model 'policy:fixed?p=2': parameter 'p' must be a number between 0 and 1",
  );
  for (const bad of ["", "abc", "NaN", "Infinity", "-0.1"]) {
    await rejectsInput(() => numberParam({ p: bad }, "p", 0.3, { min: 0, max: 1 }, spec), "parameter 'p'");
  }
  await rejectsInput(() => numberParam({ n: "1.5" }, "n", 1, { min: 0, integer: true }, spec), "an integer >= 0");
  await rejectsInput(() => numberParam({ q: "0" }, "q", 0.5, { min: 0, max: 1, open: true }, spec), "strictly between 0 and 1");
  await rejectsInput(() => checkParams({ q: "1" }, ["p", "noise"], "policy:fixed?q=1"), "unknown parameter 'q'", "p, noise");
});

test("policy strings are validated when the agent is made", async () => {
  await rejectsInput(() => createAgent("policy:fixed?p=2"), "--model 'policy:fixed?p=2': parameter 'p' must be a number between 0 and 1");
  await rejectsInput(() => createAgent("policy:fixed?q=0.1"), "unknown parameter 'q'", "accepted: p, noise");
  await rejectsInput(() => createAgent("policy:learner?prior=0"), "parameter 'prior'", "strictly between 0 and 1");
  await rejectsInput(() => createAgent("policy:learner?lr=-1"), "parameter 'lr'");
  await rejectsInput(() => createAgent("policy:imitator?wPeer=1"), "unknown parameter 'wPeer'", "wPeers");
  await rejectsInput(() => createAgent("policy:fixed?noise=1.5"), "parameter 'noise'");
  await rejectsInput(() => createAgent("policy:greedy"), "unknown policy 'greedy'", "fixed, learner, imitator");
});

// ---- policy agents ----

test("policy answers are deterministic in the call seed and in the testbed's format", async () => {
  const a = await createAgent("policy:fixed?p=0.5");
  const b = await createAgent("policy:fixed?p=0.5");
  assert.equal(a.id, "policy:fixed?p=0.5");
  const seen = new Set<string>();
  for (let seed = 0; seed < 50; seed++) {
    const text = (await a.respond(call({ seed }))).text;
    assert.equal(text, (await b.respond(call({ seed }))).text, "same seed, same answer");
    assert.equal(text, (await a.respond(call({ seed }))).text, "stateless across calls");
    const lines = text.split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^\{"choice": "Route [AB]"\}$/);
    // Both parsers read the intended option (the sentence never mentions one).
    const parsed = paperRoleplayChoice(text, "Route A", "Route B");
    assert.equal(parsed, robustChoice(text, ["Route A", "Route B"]));
    assert.equal(parsed, JSON.parse(lines[1]).choice);
    seen.add(parsed ?? "null");
  }
  assert.deepEqual([...seen].sort(), ["Route A", "Route B"], "p=0.5 gives both options over 50 seeds");
});

test("game answers use the game's options and parse with the game parser", async () => {
  const agent = await createAgent("policy:fixed?p=0.5");
  const choices = new Set<string | null>();
  for (let seed = 0; seed < 30; seed++) {
    const text = (await agent.respond(call({ suite: "collusion", options: GAME_OPTIONS, seed }))).text;
    choices.add(paperGameChoice(text, "invest", "keep money"));
  }
  assert.deepEqual([...choices].sort(), ["invest", "keep money"]);
});

test("policy:fixed deviates at its p (2000 seeds)", async () => {
  const rate = await deviationRate(await createAgent("policy:fixed"), 2000);
  assert.ok(rate >= 0.27 && rate <= 0.33, `rate ${rate}`);
  assert.equal(await deviationRate(await createAgent("policy:fixed?p=0"), 200), 0);
  assert.equal(await deviationRate(await createAgent("policy:fixed?p=1"), 200), 1);
});

test("noise=1 leaves out the JSON line, so the answer is unparseable", async () => {
  const agent = await createAgent("policy:fixed?p=0.5&noise=1");
  for (let seed = 0; seed < 40; seed++) {
    const text = (await agent.respond(call({ seed }))).text;
    assert.ok(!text.includes("{") && !text.toLowerCase().includes("choice"), text);
    assert.equal(paperRoleplayChoice(text, "Route A", "Route B"), null);
    assert.equal(robustChoice(text, ["Route A", "Route B"]), null);
    const game = (await agent.respond(call({ seed, suite: "collusion", options: GAME_OPTIONS }))).text;
    assert.equal(paperGameChoice(game, "invest", "keep money"), null);
  }
  // Noise is drawn after the decision, so it never changes which side the sentence takes.
  const clean = await createAgent("policy:fixed?p=0.5");
  for (let seed = 0; seed < 20; seed++) {
    assert.ok(((await clean.respond(call({ seed }))).text).startsWith((await agent.respond(call({ seed }))).text));
  }
});

test("learner with no history deviates at its prior", async () => {
  assert.ok(Math.abs(learnerDeviationProbability([], LEARNER_DEFAULTS) - 0.15) < 1e-12);
  assert.ok(Math.abs(learnerDeviationProbability([], { prior: 0.4, lr: 1.5 }) - 0.4) < 1e-12);
  const rate = await deviationRate(await createAgent("policy:learner"), 2000);
  assert.ok(rate >= 0.12 && rate <= 0.18, `rate ${rate}`);
});

test("learner update matches the rule computed by hand", () => {
  // seen: complied for 2.0, then deviated for 3.0: mean 2.5, sd 0.5, advantages -1 and +1.
  // Round 0: a = 0, p = 0.15:  z1 = logit(0.15) + 1.5 * (-1) * (0 - 0.15) = z0 + 0.225
  // Round 1: a = 1:            z2 = z1 + 1.5 * (+1) * (1 - sigmoid(z1))
  const z0 = -1.7346010553881064;
  assert.ok(Math.abs(logit(0.15) - z0) < 1e-12);
  const z1 = z0 + 0.225;
  const z2 = z1 + 1.5 * (1 - sigmoid(z1));
  assert.ok(Math.abs(sigmoid(z2) - 0.4301846215897209) < 1e-9);
  const p = learnerDeviationProbability([obs(0, "aligned", 2.0), obs(1, "deviant", 3.0)], LEARNER_DEFAULTS);
  assert.ok(Math.abs(p - 0.4301846215897209) < 1e-9, `p ${p}`);
});

test("learner drifts toward deviation when it pays more, away when it is caught", () => {
  const P = (seen: Observation[]) => learnerDeviationProbability(seen, LEARNER_DEFAULTS);
  // A small premium (2.1 against 2.0) is noticed as much as a large one: the advantage is normalised.
  const small = P([obs(0, "aligned", 2.0), obs(1, "deviant", 2.1), obs(2, "deviant", 2.1)]);
  const large = P([obs(0, "aligned", 2000), obs(1, "deviant", 3000), obs(2, "deviant", 3000)]);
  assert.ok(small > 0.15, `small ${small}`);
  assert.ok(Math.abs(small - large) < 1e-9, `${small} vs ${large}`);
  // More rounds of paying deviations push further.
  assert.ok(P([obs(0, "aligned", 2.0), obs(1, "deviant", 2.1), obs(2, "deviant", 2.1), obs(3, "deviant", 2.1)]) > P([obs(0, "aligned", 2.0), obs(1, "deviant", 2.1)]));
  // Equal rewards carry no advantage: an agent that only complied stays at its prior.
  const compliant = P([obs(0, "aligned", 2.0), obs(1, "aligned", 2.0), obs(2, "aligned", 2.0)]);
  assert.ok(Math.abs(compliant - 0.15) < 1e-12);
  // Caught: deviation paid 0 after compliance had paid 2.0.
  const caught = P([obs(0, "aligned", 2.0), obs(1, "deviant", 0)]);
  assert.ok(caught < 0.15 && caught < compliant, `caught ${caught}`);
  // Unparseable rounds do not move the policy themselves but count toward the mean.
  assert.ok(Math.abs(P([obs(0, null, 0)]) - 0.15) < 1e-12);
  assert.ok(P([obs(0, null, 0), obs(1, "deviant", 2.0)]) > 0.15);
  // lr = 0 never learns.
  assert.ok(Math.abs(learnerDeviationProbability([obs(0, "deviant", 5), obs(1, "aligned", 1)], { prior: 0.15, lr: 0 }) - 0.15) < 1e-12);
});

test("learner agent's deviation rate follows its probability", async () => {
  const seen = [obs(0, "aligned", 2.0), obs(1, "deviant", 3.0)];
  const p = learnerDeviationProbability(seen, LEARNER_DEFAULTS);
  const rate = await deviationRate(await createAgent("policy:learner"), 2000, { seen, round: 2 });
  assert.ok(Math.abs(rate - p) < 0.035, `rate ${rate} vs p ${p}`);
});

test("imitator follows peers and whether collusion paid, by the formula", async () => {
  const game = (peersDeviant: number, success: boolean): Observation => ({
    round: 0,
    choice: "aligned",
    reward: 0,
    peersDeviant,
    peers: 7,
    success,
  });
  const up = imitatorDeviationProbability([game(5, true)], IMITATOR_DEFAULTS);
  const down = imitatorDeviationProbability([game(1, false)], IMITATOR_DEFAULTS);
  // sigmoid(logit(0.3) + 2 * (10/7 - 1) + 1.5) and sigmoid(logit(0.3) + 2 * (2/7 - 1) - 1.5)
  assert.ok(Math.abs(up - 0.8190382342392956) < 1e-12, `up ${up}`);
  assert.ok(Math.abs(down - 0.02240373046277182) < 1e-12, `down ${down}`);
  assert.ok(up > down);
  assert.ok(Math.abs(imitatorDeviationProbability([], IMITATOR_DEFAULTS) - 0.3) < 1e-12);
  // Only the most recent round counts.
  assert.equal(imitatorDeviationProbability([game(1, false), game(5, true)], IMITATOR_DEFAULTS), up);
  // Half the peers colluding is neutral; custom weights are used.
  const half = imitatorDeviationProbability([{ ...game(3, true), peers: 6 }], { prior: 0.5, wPeers: 4, wPaid: 0 });
  assert.ok(Math.abs(half - 0.5) < 1e-12);

  const agent = await createAgent("policy:imitator");
  const rate = await deviationRate(agent, 2000, { suite: "collusion", options: GAME_OPTIONS, seen: [game(5, true)] });
  assert.ok(Math.abs(rate - up) < 0.035, `rate ${rate}`);
});

test("imitator in role-play behaves like the learner with its prior and lr", async () => {
  const imitator = await createAgent("policy:imitator?prior=0.2&lr=2");
  const learner = await createAgent("policy:learner?prior=0.2&lr=2");
  const seen = [obs(0, "aligned", 2.0), obs(1, "deviant", 3.0)];
  for (let seed = 0; seed < 100; seed++) {
    assert.equal((await imitator.respond(call({ seed, seen }))).text, (await learner.respond(call({ seed, seen }))).text);
  }
});

test("policy:fixed and policy:learner answer a choice of a testbed they do not know with a parseable choice line", async () => {
  const options = { aligned: "bid low", deviant: "bid high" };
  const seen = [obs(0, "aligned", 1), obs(1, "deviant", 3)];
  for (const spec of ["policy:fixed?p=0.5", "policy:learner"]) {
    const agent = await createAgent(spec);
    const chosen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const text = (await agent.respond(call({ suite: "auction", episode: "auction/0", options, seed, seen }))).text;
      assert.match(text, /^[^\n{]+\n\{"choice": "bid (low|high)"\}$/, `${spec}: ${text}`);
      const choice = robustChoice(text, [options.aligned, options.deviant]);
      assert.ok(choice !== null, `${spec}: unparseable ${text}`);
      chosen.add(choice);
    }
    assert.equal(chosen.size, 2, `${spec} takes both options over the seeds`);
  }
  // A call without two options needs the testbed's own player, which an unknown testbed has not.
  const { options: _, ...open } = call({ suite: "auction", episode: "auction/0" });
  await assert.rejects(() => createPolicyAgent("fixed", {}, "policy:fixed").respond(open), /testbed 'auction' offers no two options/);
});

test("createPolicyAgent can be used directly", async () => {
  const agent = createPolicyAgent("fixed", { p: "1" }, "policy:fixed?p=1");
  assert.equal(agent.id, "policy:fixed?p=1");
  assert.match((await agent.respond(call())).text, /\{"choice": "Route B"\}$/);
});

// ---- replay ----

function episode(name: string, responses: string[][], repeat?: number): TranscriptEpisode {
  return {
    suite: "roleplay",
    episode: name,
    scenario: 0,
    environment: "delivery worker",
    settings: { rounds: responses.length, history_window: 5, supervision: "all_unsupervised" },
    ...(repeat === undefined ? {} : { repeat }),
    rounds: responses.map((calls, round) => ({
      round,
      supervision: -1,
      calls: calls.map((response, agent) => ({
        agent,
        messages: [{ role: "user", content: "q" }],
        response,
        choice: null,
        reward: 0,
      })),
      outcome: "done",
    })),
  };
}

function withTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "atp-agents-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "replay answers with the recorded responses and fails loudly on a missing call",
  withTempDir(async (dir) => {
    const file = join(dir, "run.jsonl");
    const lines = [
      episode("roleplay/0", [["r0"], ["r1"]]),
      episode("roleplay/0", [["rep1-r0"]], 1),
      episode("roleplay/1", [["x0", "x0-agent1"]]),
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n\n");
    assert.equal(readTranscript(file).length, 3);
    const agent = await createAgent(`replay:${file}`);
    assert.equal(agent.id, `replay:${file}`);
    assert.equal((await agent.respond(call({ episode: "roleplay/0", round: 0 }))).text, "r0");
    assert.equal((await agent.respond(call({ episode: "roleplay/0", round: 1 }))).text, "r1");
    assert.equal((await agent.respond(call({ episode: "roleplay/0", round: 0, repeat: 1 }))).text, "rep1-r0");
    assert.equal((await agent.respond(call({ episode: "roleplay/1", round: 0, agent: 1 }))).text, "x0-agent1");
    await assert.rejects(
      () => agent.respond(call({ episode: "roleplay/0", round: 2, agent: 0 })),
      (err: Error) => /episode 'roleplay\/0'/.test(err.message) && /round 2/.test(err.message) && /agent 0/.test(err.message),
    );
    await assert.rejects(() => agent.respond(call({ episode: "roleplay/1", round: 0, agent: 2 })), /agent 2/);
    await assert.rejects(() => agent.respond(call({ episode: "roleplay/0", round: 1, repeat: 1 })), /repeat 1/);
    await rejectsInput(() => createAgent(`replay:${file}?x=1`), "unknown parameter 'x'");
  }),
);

test(
  "readTranscript names the file, line and field of a bad line",
  withTempDir(async (dir) => {
    const good = JSON.stringify(episode("roleplay/0", [["a"]]));
    const malformed = join(dir, "malformed.jsonl");
    writeFileSync(malformed, `${good}\n{"suite": "roleplay",\n`);
    await rejectsInput(() => readTranscript(malformed), malformed, "line 2", "malformed JSON");
    await rejectsInput(() => createReplayAgent(malformed), "line 2");

    const broken = episode("roleplay/1", [["a"], ["b", "c"]]) as unknown as { rounds: { calls: Record<string, unknown>[] }[] };
    delete broken.rounds[1].calls[1].response;
    const missing = join(dir, "missing.jsonl");
    writeFileSync(missing, `${good}\n\n${JSON.stringify(broken)}\n`);
    await rejectsInput(() => readTranscript(missing), `${missing}: line 3: field 'rounds[1].calls[1].response': missing`);

    const wrongType = episode("roleplay/2", [["a"]]) as unknown as { rounds: { calls: Record<string, unknown>[] }[] };
    wrongType.rounds[0].calls[0].reward = "2.0";
    const typed = join(dir, "typed.jsonl");
    writeFileSync(typed, JSON.stringify(wrongType));
    await rejectsInput(() => readTranscript(typed), "line 1: field 'rounds[0].calls[0].reward': must be a number");

    const conflict = join(dir, "conflict.jsonl");
    writeFileSync(conflict, [good, JSON.stringify(episode("roleplay/0", [["other"]]))].join("\n"));
    await rejectsInput(() => createReplayAgent(conflict), "conflicting recorded answers", "roleplay/0");

    const unknown = join(dir, "unknown.jsonl");
    writeFileSync(unknown, JSON.stringify({ ...episode("auction/0", [["a"]]), suite: "auction" }));
    await rejectsInput(() => readTranscript(unknown), "line 1: field 'suite': must be 'roleplay', 'collusion' or 'tooluse'");

    await rejectsInput(() => readTranscript(join(dir, "absent.jsonl")), "absent.jsonl", "cannot read");
  }),
);

test("replay reads the paper's golden role-play transcript", async (t) => {
  const file = paperFile(t, "golden/roleplay-paper.jsonl");
  if (file === null) return;
  const episodes = readTranscript(file);
  assert.equal(episodes.length, 64);
  const agent = createReplayAgent(file);
  const first = episodes[0];
  const round = first.rounds[3];
  assert.equal((await agent.respond(call({ episode: first.episode, round: round.round }))).text, round.calls[0].response);
});

// ---- registry ----

test("registry: unknown prefix lists the registered ones; new providers can be added", async () => {
  await rejectsInput(() => createAgent("mystery:gpt-4o"), "unknown provider 'mystery'", "registered: llama, openai, policy, replay");
  registerProvider("echo", async (name, _params, spec) => ({ id: spec, respond: async () => ({ text: name, attempts: 1 }) }));
  assert.deepEqual(registeredProviders(), ["echo", "llama", "openai", "policy", "replay"]);
  const echo = await createAgent("echo:hello");
  assert.equal(echo.id, "echo:hello");
  assert.equal((await echo.respond(call())).text, "hello");
  assert.throws(() => registerProvider("echo", async () => echo), /already registered/);
  assert.throws(() => registerProvider("Bad Prefix", async () => echo), /prefix/);
  await rejectsInput(() => createAgent("nope:x"), "registered: echo, llama, openai, policy, replay");
});
