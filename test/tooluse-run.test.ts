/**
 * The tool-use testbed wired into runs: the runner plays problems call by call with seeds from
 * their place, the store saves each scored problem whole (and a store file of an older version
 * takes them after its upgrade), a stopped run resumes to the same transcript without asking a
 * saved call again, the cache keeps tool calls, transcripts replay to themselves, and the
 * metric and table read the transcripts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createAgent } from "../src/agents/registry.js";
import { createReplayAgent, readTranscript } from "../src/agents/replay.js";
import type { Agent, AgentCall } from "../src/agents/types.js";
import { InputError } from "../src/core/errors.js";
import { wilson } from "../src/metrics/intervals.js";
import { toolUseRates } from "../src/testbeds/tooluse/measures.js";
import { toolUseTable } from "../src/testbeds/tooluse/report.js";
import { applyFlags } from "../src/cli/run.js";
import { defaultConfig, loadConfigFile } from "../src/run/config.js";
import { planAll } from "../src/run/execute.js";
import { toolUseSettings } from "../src/testbeds/tooluse/settings.js";
import { planToolUse, type ToolUsePlan } from "../src/testbeds/tooluse/plan.js";
import { planFromTranscript } from "../src/run/replay.js";
import { playAll, runPlan } from "../src/run/runner.js";
import { toolUseCallSeed } from "../src/testbeds/tooluse/index.js";
import { MIGRATIONS } from "../src/store/schema.js";
import { RunStore } from "../src/store/store.js";
import { diffTranscripts } from "../src/transcript/compare.js";
import type { ToolUseDetail, TranscriptEpisode } from "../src/transcript/types.js";
import { transcriptText, writeTranscript } from "../src/transcript/write.js";
import { TOOLUSE_DEFAULTS, type ToolUseCall, type ToolUseSettings } from "../src/testbeds/tooluse/engine.js";
import { repoRoot } from "./helpers/paper.js";

const SEED = 5;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "atp-tooluse-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function settings(over: Partial<ToolUseSettings> = {}): ToolUseSettings {
  return { ...TOOLUSE_DEFAULTS, rounds: 3, easyPerRound: 3, hardPerRound: 1, ...over };
}

/** Wraps an agent to record every call it is asked (and optionally to fail one). */
function recording(agent: Agent, failOn?: (call: AgentCall, n: number) => boolean): Agent & { calls: AgentCall[] } {
  const calls: AgentCall[] = [];
  return {
    id: agent.id,
    calls,
    async respond(call) {
      calls.push(call);
      if (failOn?.(call, calls.length)) throw new Error("the server went away");
      return agent.respond(call);
    },
  };
}

function newRun(id: string, plans: ToolUsePlan[]) {
  return { id, suite: "tooluse", model: "policy:learner", seed: SEED, parity: "default", config: {}, versions: {}, plans };
}

test("the runner plays each problem call by call: seeds from the place, the transcript format, the store's copy", async (t) => {
  for (const protocol of ["text", "tools"] as const) {
    const plans = planToolUse(3, settings({ protocol }), 2);
    const agent = recording(await createAgent("policy:learner"));
    const store = RunStore.open(join(tempDir(t), "atp.db"));
    try {
      store.createRun(newRun("r", plans));
      const outcomes = await runPlan(plans, agent, { seed: SEED, store: { store, runId: "r" } });
      const transcripts = outcomes.map((o) => o.transcript!);
      assert.equal(transcripts.length, 6);
      // The store gives back the very same lines.
      assert.equal(transcriptText(store.exportTranscript("r")), transcriptText(transcripts));

      // Every call has its own seed, a pure function of its place.
      const calls = agent.calls as ToolUseCall[];
      assert.equal(new Set(calls.map((c) => c.seed)).size, calls.length);
      for (const c of calls) {
        assert.equal(c.suite, "tooluse");
        assert.equal(c.seed, toolUseCallSeed(SEED, c.episode, c.repeat, c.round, c.problem, c.turn));
        assert.equal(c.tools !== undefined, protocol === "tools");
        assert.equal(c.tooluse?.problem, `round${c.round + 1}/${c.tooluse!.kind}${(c.problem % 4) + 1 - (c.tooluse!.kind === "hard" ? 3 : 0)}`);
      }

      for (const e of transcripts) {
        assert.equal(e.suite, "tooluse");
        assert.equal(e.environment, "calculator");
        assert.deepEqual(e.settings, { rounds: 3, easy_per_round: 3, hard_per_round: 1, tool_cost: -0.7, direct_cost: -0.2, easy_reward: 1.2, hard_reward: 5, max_tool_calls: 3, protocol, history_window: null, difficulty: 3 });
        assert.equal(e.rounds.length, 12);
        e.rounds.forEach((r, i) => {
          assert.equal(r.round, i);
          const d = r.detail!;
          assert.equal(d.evolution_round, Math.floor(i / 4));
          assert.equal(d.kind, i % 4 === 3 ? "hard" : "easy");
          assert.equal(d.used_tool, r.calls.length > 1);
          assert.equal(d.used_tool, d.tool_calls.length > 0);
          // Tool calls answered with results, then the scored answer with the reward.
          r.calls.forEach((c, k) => {
            const last = k === r.calls.length - 1;
            assert.equal(c.choice, last ? d.answer : "calculator");
            const reward = (d.correct ? (d.kind === "easy" ? 1.2 : 5) : 0) + (d.used_tool ? -0.7 : -0.2);
            assert.equal(c.reward, last ? Number(reward.toPrecision(12)) : 0);
            assert.equal(c.tool_calls !== undefined, protocol === "tools" && !last);
          });
          assert.match(r.outcome, /Reward: .* in total\.$/);
        });
        // Under the tools protocol the history carries tool turns, each after its call.
        const lastMessages = e.rounds.at(-1)!.calls[0].messages;
        if (protocol === "tools") assert.ok(lastMessages.some((m) => m.role === "tool" && m.tool_call_id !== undefined));
        else assert.ok(lastMessages.every((m) => m.role !== "tool" && m.tool_calls === undefined));
      }
    } finally {
      store.close();
    }
  }
});

test("a transcript of a tool-use run replays to itself, and a tampered one does not", async (t) => {
  const dir = tempDir(t);
  const plans = planToolUse(2, settings({ protocol: "tools" }), 1);
  const played = await playAll(plans, await createAgent("policy:tooluse"), SEED);
  const file = join(dir, "run.jsonl");
  writeTranscript(file, played);
  const recorded = readTranscript(file);
  const replayed = await playAll(planFromTranscript(recorded, [], "paper", file), createReplayAgent(file), 0);
  assert.deepEqual(diffTranscripts(recorded, replayed), []);
  assert.equal(transcriptText(replayed), transcriptText(played));

  // Another reward in the settings: same answers, other rewards and feedback.
  const cheaper = recorded.map((e) => ({ ...e, settings: { ...e.settings, tool_cost: -0.1 } }));
  const tampered = join(dir, "tampered.jsonl");
  writeTranscript(tampered, cheaper);
  const again = await playAll(planFromTranscript(readTranscript(tampered), [], "paper", tampered), createReplayAgent(tampered), 0);
  const diffs = diffTranscripts(recorded, again, 1000);
  assert.ok(diffs.some((d) => /problem \d+: outcome/.test(d)), diffs.join("\n"));
  assert.ok(diffs.some((d) => /call \d+: reward expected/.test(d)));

  // A recorded tool call changed: the calculator runs something else.
  const edited = structuredClone(recorded);
  const round = edited[0].rounds.find((r) => r.calls[0].tool_calls)!;
  round.calls[0].tool_calls![0].function.arguments = '{"expression": "1+1"}';
  writeTranscript(tampered, edited);
  const other = await playAll(planFromTranscript(readTranscript(tampered), [], "paper", tampered), createReplayAgent(tampered), 0);
  assert.ok(diffTranscripts(recorded, other, 1000).some((d) => /detail|tool calls differ/.test(d)));

  // Tool turns are refused where they cannot occur.
  const roleplayWithTool = { ...recorded[0], suite: "roleplay" };
  writeTranscript(tampered, [roleplayWithTool as TranscriptEpisode]);
  assert.throws(() => readTranscript(tampered), (err: unknown) => err instanceof InputError && /system, user or assistant|absent outside tool-use/.test(err.message));

  // Replay finds a call by its problem and turn, and names them when it has no answer or two.
  const name = recorded[0].episode;
  const missing: ToolUseCall = { suite: "tooluse", episode: name, round: 0, problem: 0, turn: 9, agent: 0, repeat: 0, seed: 0, messages: [], seen: [] };
  await assert.rejects(() => createReplayAgent(file).respond(missing), (err: Error) => err.message.includes(`no recorded answer for episode '${name}', repeat 0, problem 0, turn 9`));
  const twice = structuredClone(recorded[0]);
  twice.rounds[0].calls[0].response += " (edited)";
  writeTranscript(tampered, [recorded[0], twice]);
  assert.throws(
    () => createReplayAgent(tampered),
    (err: unknown) => err instanceof InputError && err.message.endsWith(`conflicting recorded answers for episode '${name}', repeat 0, problem 0, turn 0`),
  );
});

test("a run stopped mid-problem resumes to the uninterrupted transcript, asking no saved call again", async (t) => {
  const plans = planToolUse(2, settings(), 1);
  const whole = await playAll(plans, await createAgent("policy:learner"), SEED);
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  store.createRun(newRun("r", plans));

  // The first session fails on a calculator follow-up (turn 1) deep into episode 0.
  const first = recording(await createAgent("policy:learner"), (c) => c.suite === "tooluse" && c.episode === "tooluse/0" && (c as ToolUseCall).problem >= 6 && (c as ToolUseCall).turn === 1);
  const outcomes = await runPlan(plans, first, { seed: SEED, store: { store, runId: "r" } });
  assert.match(outcomes[0].error ?? "", /server went away/);
  const states = store.episodeStates("r");
  assert.equal(states[0].status, "failed");
  const saved = states[0].roundsSaved;
  assert.ok(saved >= 6 && saved < 12, `saved ${saved} problems`);
  assert.equal(states[1].status, "done");

  // The second session replays the saved problems and asks only from the failed problem on.
  store.resetFailed("r");
  const second = recording(await createAgent("policy:learner"));
  const resumed = await runPlan(plans, second, { seed: SEED, store: { store, runId: "r" } }, new Set([1]));
  assert.equal(resumed[0].error, undefined);
  const calls = second.calls as ToolUseCall[];
  assert.ok(calls.every((c) => c.problem >= saved), "no saved problem is asked again");
  assert.equal(calls[0].problem, saved);
  assert.equal(calls[0].turn, 0, "the unfinished problem starts over from its first call");
  assert.equal(transcriptText(store.exportTranscript("r")), transcriptText(whole));
});

test("the response cache keeps tool calls: a second run asks the model nothing", async (t) => {
  const plans = planToolUse(1, settings({ protocol: "tools", rounds: 2 }), 1);
  const inner = await createAgent("policy:tooluse");
  let asked = 0;
  const cached: Agent = { id: "cached", cacheIdentity: "policy-tooluse", respond: (call) => (asked++, inner.respond(call)) };
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  store.createRun(newRun("a", plans));
  store.createRun(newRun("b", plans));
  const a = await runPlan(plans, cached, { seed: SEED, store: { store, runId: "a" }, cache: store });
  const firstAsked = asked;
  assert.ok(a[0].transcript!.rounds.some((r) => r.calls.some((c) => c.tool_calls)), "the run made tool calls");
  const b = await runPlan(plans, cached, { seed: SEED, store: { store, runId: "b" }, cache: store });
  assert.equal(asked, firstAsked, "every call came from the cache");
  assert.equal(transcriptText([b[0].transcript!]), transcriptText([a[0].transcript!]));
  assert.equal(store.callStats("b").cached, store.callStats("b").calls);
});

test("a store file from before tool use is upgraded in place: its rows kept, tool-use episodes accepted", async (t) => {
  const file = join(tempDir(t), "old.db");
  const mine = MIGRATIONS.findIndex((m) => m.includes("episodes_next"));
  assert.ok(mine > 0);
  const old = new Database(file);
  old.pragma("foreign_keys = ON");
  for (const sql of MIGRATIONS.slice(0, mine)) old.exec(sql);
  old.pragma(`user_version = ${mine}`);
  old.exec(`
    INSERT INTO runs VALUES ('old', 't0', 't0', NULL, 'running', 'roleplay', 'policy:learner', 1, 'paper', '{}', '{}', 1);
    INSERT INTO episodes (run_id, idx, key, repeat, suite, scenario_json, settings_json, status)
      VALUES ('old', 0, 'roleplay/0', 0, 'roleplay', '{"id":"s","environment":"baker"}', '{"rounds":6}', 'running');
    INSERT INTO rounds VALUES ('old', 0, 0, -1, 'unsupervised', 't1');
    INSERT INTO calls VALUES ('old', 0, 0, 0, '[{"role":"user","content":"q"}]', 'a', 'A', 2.5, NULL, NULL, 12.5, 10, 5, 1, 0, NULL);
    INSERT INTO cache VALUES ('k', 'cached text', 3, 4, 't2');
  `);
  old.close();

  const store = RunStore.open(file);
  t.after(() => store.close());
  assert.deepEqual(store.savedRounds("old", 0), [
    { round: 0, supervision: -1, calls: [{ agent: 0, messages: [{ role: "user", content: "q" }], response: "a", choice: "A", reward: 2.5 }], outcome: "unsupervised" },
  ]);
  // Cached before finish reasons were kept: read as a model answer whose server said none.
  assert.deepEqual(store.cacheGet("k"), { text: "cached text", finishReason: null, promptTokens: 3, completionTokens: 4 });
  assert.deepEqual(store.callStats("old").calls, 1);
  assert.deepEqual(store.db.pragma("foreign_key_check"), []);
  assert.equal(store.db.pragma("integrity_check", { simple: true }), "ok");
  // The references point at the new tables, and cascades still reach the calls.
  const schema = store.db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE name IN ('rounds', 'calls')").all();
  assert.ok(schema.every((s) => !s.sql.includes("_next")), schema.map((s) => s.sql).join("\n"));

  const plans = planToolUse(1, settings({ rounds: 1 }), 1);
  store.createRun(newRun("new", plans));
  const [outcome] = await runPlan(plans, await createAgent("policy:learner"), { seed: SEED, store: { store, runId: "new" } });
  assert.ok(outcome.transcript);
  assert.equal(transcriptText(store.exportTranscript("new")), transcriptText([outcome.transcript]));

  store.db.prepare("DELETE FROM runs WHERE id = 'old'").run();
  assert.equal(store.db.prepare("SELECT count(*) FROM calls WHERE run_id = 'old'").pluck().get(), 0);
});

// ------------------------------------------------------------------ settings

test("run settings: flags and a YAML tooluse section give the same plan; bad values name their flag", (t) => {
  const flags = applyFlags(defaultConfig("tooluse"), {
    episodes: 3,
    rounds: 4,
    easy: 2,
    hard: 3,
    difficulty: 2,
    toolCost: -0.5,
    directCost: 0,
    easyReward: 1,
    hardReward: 4,
    toolProtocol: "tools",
    maxToolCalls: 2,
    history: 2,
  });
  const file = join(tempDir(t), "run.yaml");
  writeFileSync(
    file,
    [
      "suite: tooluse",
      "tooluse:",
      "  episodes: 3",
      "  rounds: 4",
      "  easy: 2",
      "  hard: 3",
      "  difficulty: 2",
      "  toolCost: -0.5",
      "  directCost: 0",
      "  easyReward: 1",
      "  hardReward: 4",
      "  toolProtocol: tools",
      "  maxToolCalls: 2",
      "  history: 2",
    ].join("\n"),
  );
  const yaml = loadConfigFile(file);
  assert.deepEqual(planAll(yaml, []), planAll(flags, []));
  const plans = planAll(flags, []) as ToolUsePlan[];
  assert.equal(plans.length, 3);
  assert.deepEqual(plans[0].settings, {
    rounds: 4,
    easyPerRound: 2,
    hardPerRound: 3,
    costs: { tool: -0.5, direct: 0 },
    rewards: { easy: 1, hard: 4 },
    maxToolCalls: 2,
    protocol: "tools",
    // Two rounds of five problems.
    historyWindow: 10,
    difficulty: 2,
    tolerance: TOOLUSE_DEFAULTS.tolerance,
  });
  assert.equal(plans[0].scenario.problems.length, 4);

  // The paper suite plays tool use only when asked.
  assert.ok(!planAll(defaultConfig("paper"), []).some((p) => p.suite === "tooluse"));
  const withToolUse = planAll(applyFlags(defaultConfig("paper"), { withTooluse: true }), []);
  assert.equal(withToolUse.filter((p) => p.suite === "tooluse").length, 32);
  assert.equal(withToolUse.length, 64 + 28 + 32);

  assert.throws(() => applyFlags(defaultConfig("tooluse"), { easy: 0, hard: 0 }), /--hard: a round needs at least one problem/);
  assert.throws(() => applyFlags(defaultConfig("tooluse"), { difficulty: 6 }), /--difficulty: expected an integer from 1 to 5/);
  assert.throws(() => applyFlags(defaultConfig("roleplay"), { withTooluse: true }), /--with-tooluse: adds the tool-use testbed to `paper` only/);
  writeFileSync(file, "suite: tooluse\ntooluse:\n  toolProtocol: smoke\n");
  assert.throws(() => loadConfigFile(file), /field 'tooluse.toolProtocol'/);
  assert.deepEqual(toolUseSettings(defaultConfig("tooluse").testbeds.tooluse), { ...TOOLUSE_DEFAULTS, tolerance: { ...TOOLUSE_DEFAULTS.tolerance } });
  // The example run file is the default run with seed 1.
  const example = loadConfigFile(join(repoRoot, "examples", "tooluse.yaml"));
  assert.deepEqual(planAll(example, []), planAll(defaultConfig("tooluse"), []));
  assert.equal(example.seed, 1);
});

test("policy model strings in the tool-use testbed: learner and fixed play the tool-use policy, tooluse plays nothing else", async () => {
  const [plan] = planToolUse(1, settings({ rounds: 1 }), 1);
  const play = async (spec: string) => (await playAll([plan], await createAgent(spec), SEED))[0].rounds.map((r) => r.detail!.used_tool);
  assert.deepEqual(await play("policy:learner"), await play("policy:tooluse"), "the learner plays the tool-use policy with its defaults");
  assert.deepEqual(await play("policy:learner?prior=0.2"), await play("policy:tooluse?prior=0.8"), "prior is still the probability of deviating");
  assert.ok((await play("policy:fixed?p=0")).every((used) => used));
  assert.ok((await play("policy:fixed?p=1")).every((used) => !used));
  const agent = await createAgent("policy:tooluse");
  const choice: AgentCall = { suite: "roleplay", episode: "roleplay/0", round: 0, agent: 0, repeat: 0, seed: 1, messages: [], options: { aligned: "A", deviant: "B" }, seen: [] };
  await assert.rejects(agent.respond(choice), /plays only the tool-use testbed/);
  await assert.rejects(createAgent("policy:tooluse?bogus=1"), /unknown parameter 'bogus'/);
});

// ------------------------------------------------------------------ metric and table

function detail(evolution_round: number, kind: "easy" | "hard", used_tool: boolean, correct: boolean): ToolUseDetail {
  return { evolution_round, problem: `round${evolution_round + 1}/${kind}1`, kind, template: "t", used_tool, tool_calls: [], answer: correct ? "1" : "2", expected: "1", correct };
}

function episode(details: ToolUseDetail[]): TranscriptEpisode {
  return {
    suite: "tooluse",
    episode: "tooluse/0",
    scenario: 0,
    environment: "calculator",
    settings: { rounds: 2, easy_per_round: 2, hard_per_round: 1, tool_cost: -0.7, direct_cost: -0.2, easy_reward: 1.2, hard_reward: 5, max_tool_calls: 3, protocol: "text", history_window: null, difficulty: 3 },
    rounds: details.map((d, i) => ({ round: i, calls: [{ agent: 0, messages: [], response: "", choice: d.answer, reward: i }], outcome: "", detail: d })),
  };
}

test("tool-use rates per round count from the transcripts' details, with Wilson intervals", () => {
  const a = episode([detail(0, "easy", true, true), detail(0, "easy", false, true), detail(0, "hard", true, true), detail(1, "easy", false, true), detail(1, "easy", false, false), detail(1, "hard", false, false)]);
  const b = episode([detail(0, "easy", true, true), detail(0, "easy", true, true), detail(0, "hard", false, false)]);
  const roleplay = { ...a, suite: "roleplay" as const };
  const rates = toolUseRates([a, b, roleplay]);
  assert.equal(rates.length, 2);
  const [r1, r2] = rates;
  assert.equal(r1.round, 1);
  assert.equal(r1.problems, 6);
  assert.deepEqual(r1.toolUse, { successes: 4, n: 6, ...wilson(4, 6) });
  assert.deepEqual([r1.easyToolUse.successes, r1.easyToolUse.n, r1.hardToolUse.successes, r1.hardToolUse.n], [3, 4, 1, 2]);
  assert.deepEqual([r1.easyAccuracy.successes, r1.hardAccuracy.successes], [4, 1]);
  assert.equal(r1.meanReward, (0 + 1 + 2 + 0 + 1 + 2) / 6);
  // Episode b stopped after round 1: round 2 counts what there is.
  assert.equal(r2.problems, 3);
  assert.deepEqual([r2.toolUse.successes, r2.easyAccuracy.successes, r2.hardAccuracy.n], [0, 1, 1]);

  const table = toolUseTable(rates, 2).split("\n");
  assert.equal(table[0], "Tool use: rates per round (%) with 95% Wilson intervals, 2 episodes x (2 easy + 1 hard) problems per round");
  assert.match(table[1], /^\s+round 1\s+round 2$/);
  const w = wilson(4, 6);
  assert.equal(table[2].split(/\s{2,}/)[1], `66.7 [${(w.low * 100).toFixed(1)}, ${(w.high * 100).toFixed(1)}]`);
  assert.deepEqual(table.slice(2).map((l) => l.split(/\s{2,}/)[0]), ["tool use, all", "tool use, easy", "tool use, hard", "accuracy, easy", "accuracy, hard"]);
  assert.equal(toolUseTable(toolUseRates([episode([detail(0, "easy", true, true)])]), 1).split("\n")[4].trim().split(/\s{2,}/)[1], "-", "no hard problem: no rate");
  assert.equal(toolUseTable([], 0), "");
});
