/**
 * Decision rows read off played episodes: one per model decision, failed ones included, with the
 * axes and values each testbed's measures group and count by.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAgent } from "../src/agents/registry.js";
import { compareRuns } from "../src/metrics/compare.js";
import { measureGroups, measureRounds } from "../src/metrics/measures.js";
import { playAll } from "../src/run/runner.js";
import { expandRoleplay } from "../src/scenarios/generate.js";
import type { DecisionRow } from "../src/testbed/contract.js";
import { PAPER_COLLUSION, PAPER_PAYOFF_SETS } from "../src/testbeds/collusion/engine.js";
import { BUILTIN_GAME_SCENARIOS } from "../src/testbeds/collusion/pack.js";
import { payoffLabel, planCollusion } from "../src/testbeds/collusion/plan.js";
import { registeredTestbeds, testbedOf, type RunPlan } from "../src/testbeds/registry.js";
import { PAPER_ROLEPLAY } from "../src/testbeds/roleplay/engine.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "../src/testbeds/roleplay/pack.js";
import { planRoleplay } from "../src/testbeds/roleplay/plan.js";
import { TOOLUSE_DEFAULTS } from "../src/testbeds/tooluse/engine.js";
import { toolUseRates } from "../src/testbeds/tooluse/measures.js";
import { planToolUse } from "../src/testbeds/tooluse/plan.js";
import type { TranscriptEpisode } from "../src/transcript/types.js";

const SEED = 5;

async function played<P extends RunPlan>(plans: P[], model: string): Promise<{ plan: P; transcript: TranscriptEpisode }[]> {
  const transcripts = await playAll(plans, await createAgent(model), SEED);
  return plans.map((plan, i) => ({ plan, transcript: transcripts[i] }));
}

function rowsOf(plan: RunPlan, transcript: TranscriptEpisode): DecisionRow[] {
  return testbedOf(plan).decisions(plan, transcript);
}

/** The transcript as a failed call leaves it: the rounds before the failure. */
function cut(t: TranscriptEpisode, rounds: number): TranscriptEpisode {
  return { ...t, rounds: t.rounds.slice(0, rounds) };
}

test("every registered testbed reads decisions and names its measures, the headline first", () => {
  const ids = registeredTestbeds().map((t) => [t.id, t.measures.map((m) => m.id)]);
  assert.deepEqual(ids, [
    ["roleplay", ["violation"]],
    ["collusion", ["collusion"]],
    ["tooluse", ["tool-use", "easy-tool-use", "hard-tool-use", "easy-accuracy", "hard-accuracy"]],
  ]);
});

test("role-play: one row per round for agent 0; the violating choice is deviant; failed and unparseable rounds", async () => {
  const scenarios = expandRoleplay(BUILTIN_ROLEPLAY_TEMPLATES.slice(0, 1), 2);
  const plans = planRoleplay(scenarios, { ...PAPER_ROLEPLAY, rounds: 3, parity: "paper" }, 1);
  for (const [model, deviant] of [["policy:fixed?p=1", true], ["policy:fixed?p=0", false]] as const) {
    for (const { plan, transcript } of await played(plans, model)) {
      const rows = rowsOf(plan, transcript);
      const choice = deviant ? plan.scenario.violatingChoice : plan.scenario.compliantChoice;
      assert.deepEqual(
        rows.map((r) => [r.key, r.repeat, r.environment, r.round, r.agent, r.item, r.status, r.outcome, r.deviant, r.reward]),
        transcript.rounds.map((round, i) => [plan.key, 0, plan.scenario.environment, i + 1, 0, 0, "made", choice, deviant, round.calls[0].reward]),
      );
      assert.ok(rows.every((r) => Object.keys(r.axes).length === 0 && r.model === null));
    }
  }
  const [{ plan, transcript }] = await played(plans.slice(0, 1), "policy:fixed?p=1");
  // The call of round 2 failed: rounds 2 and 3 have no decision.
  assert.deepEqual(
    rowsOf(plan, cut(transcript, 1)).map((r) => [r.round, r.status, r.outcome, r.deviant, r.reward]),
    [
      [1, "made", plan.scenario.violatingChoice, true, transcript.rounds[0].calls[0].reward],
      [2, "failed", null, false, null],
      [3, "failed", null, false, null],
    ],
  );
  const unread = { ...transcript, rounds: transcript.rounds.map((r, i) => (i === 1 ? { ...r, calls: r.calls.map((c) => ({ ...c, choice: null })) } : r)) };
  assert.deepEqual(
    rowsOf(plan, unread).map((r) => [r.status, r.deviant]),
    [
      ["made", true],
      ["unparseable", false],
      ["made", true],
    ],
  );
  // Violation rate: the unparseable answer stays in the denominator, the failed ones do not.
  const [violation] = testbedOf(plan).measures;
  assert.deepEqual(
    measureRounds([...rowsOf(plan, unread), ...rowsOf(plan, cut(transcript, 1))], violation).map((r) => [r.hits, r.unparseable, r.failed, r.total]),
    [
      [2, 0, 0, 2],
      [0, 1, 1, 1],
      [1, 0, 1, 1],
    ],
  );
});

test("collusion: rows for the model agents only, by threshold and payoff set, with the capital after", async () => {
  const base = { ...PAPER_COLLUSION, rounds: 2, agents: 4, fixedColluders: 1, parity: "paper" as const };
  const plans = planCollusion(BUILTIN_GAME_SCENARIOS.slice(0, 2), base, [2, 3], PAPER_PAYOFF_SETS.slice(0, 1), 1);
  const games = await played(plans, "policy:learner");
  for (const { plan, transcript } of games) {
    const rows = rowsOf(plan, transcript);
    // The fixed colluder sits at the tail: agent 3 is never the model's decision.
    assert.deepEqual(
      rows.map((r) => [r.round, r.agent]),
      [1, 2].flatMap((round) => [0, 1, 2].map((agent) => [round, agent])),
    );
    for (const r of rows) {
      const call = transcript.rounds[r.round - 1].calls.find((c) => c.agent === r.agent)!;
      assert.equal(r.status, call.choice === null ? "unparseable" : "made");
      assert.equal(r.deviant, call.choice === plan.scenario.collectiveChoice);
      assert.deepEqual([r.outcome, r.reward, r.values], [call.choice, call.reward, { capital_after: call.capital_after }]);
      assert.deepEqual(r.axes, { threshold: plan.settings.threshold, rewards: payoffLabel(plan.settings.rewards) });
    }
    const failed = rowsOf(plan, cut(transcript, 1)).filter((r) => r.status === "failed");
    assert.deepEqual(
      failed.map((r) => [r.round, r.agent, r.values.capital_after]),
      [0, 1, 2].map((agent) => [2, agent, null]),
    );
  }
  const [collusion] = testbedOf(plans[0]).measures;
  const groups = measureGroups(
    games.flatMap((g) => rowsOf(g.plan, g.transcript)),
    collusion,
  );
  assert.deepEqual(
    groups.map((g) => [g.axes, g.episodes, g.rounds.map((r) => r.total)]),
    [2, 3].map((threshold) => [{ threshold, rewards: payoffLabel(PAPER_PAYOFF_SETS[0]) }, 2, [6, 6]]),
  );
});

test("tool use: one row per problem by self-evolution round and place, easy before hard; missing problems failed", async () => {
  const settings = { ...TOOLUSE_DEFAULTS, rounds: 2, easyPerRound: 2, hardPerRound: 1 };
  const plans = planToolUse(3, settings, 1);
  const episodes = await played(plans, "policy:tooluse");
  for (const { plan, transcript } of episodes) {
    const rows = rowsOf(plan, transcript);
    assert.deepEqual(
      rows.map((r) => [r.round, r.agent, r.item, r.axes.kind]),
      [
        [1, 0, 0, "easy"],
        [1, 0, 1, "easy"],
        [1, 0, 2, "hard"],
        [2, 0, 0, "easy"],
        [2, 0, 1, "easy"],
        [2, 0, 2, "hard"],
      ],
    );
    rows.forEach((r, i) => {
      const { detail, calls } = transcript.rounds[i];
      assert.equal(r.round, detail!.evolution_round + 1);
      assert.deepEqual([r.status, r.outcome, r.reward, r.deviant], [detail!.answer === null ? "unparseable" : "made", detail!.answer, calls.at(-1)!.reward, detail!.answer !== null && !detail!.used_tool]);
      assert.deepEqual(r.values, { used_tool: detail!.used_tool, correct: detail!.correct });
    });
    // A call of problem 5 failed: problems 5 (easy) and 6 (hard) of round 2 have no decision.
    assert.deepEqual(
      rowsOf(plan, cut(transcript, 4))
        .slice(3)
        .map((r) => [r.round, r.item, r.axes.kind, r.status, r.values.used_tool]),
      [
        [2, 0, "easy", "made", transcript.rounds[3].detail!.used_tool],
        [2, 1, "easy", "failed", null],
        [2, 2, "hard", "failed", null],
      ],
    );
  }
  // The measures over the rows are the tool-use table's rates, and count the lost problems by kind.
  const all = episodes.map((e) => ({ ...e, transcript: e.plan.key === "tooluse/0" ? cut(e.transcript, 4) : e.transcript }));
  const rows = all.flatMap((e) => rowsOf(e.plan, e.transcript));
  const rates = toolUseRates(all.map((e) => e.transcript));
  const measures = Object.fromEntries(testbedOf(plans[0]).measures.map((m) => [m.id, measureRounds(rows, m)]));
  const pick = [
    ["tool-use", "toolUse"],
    ["easy-tool-use", "easyToolUse"],
    ["hard-tool-use", "hardToolUse"],
    ["easy-accuracy", "easyAccuracy"],
    ["hard-accuracy", "hardAccuracy"],
  ] as const;
  for (const [id, field] of pick) {
    assert.deepEqual(
      measures[id].map((r) => [r.hits, r.total, r.rate, r.low, r.high]),
      rates.map((r) => [r[field].successes, r[field].n, r[field].rate, r[field].low, r[field].high]),
      id,
    );
  }
  assert.deepEqual(
    Object.values(measures).map((m) => m.map((r) => r.failed)),
    [
      [0, 2],
      [0, 1],
      [0, 1],
      [0, 1],
      [0, 1],
    ],
  );
  assert.deepEqual(
    rates.map((r) => r.problems),
    [9, 7],
  );
});

test("compare pairs tool-use problems by place; another problem set under the same seed is not paired", async () => {
  const settings = { ...TOOLUSE_DEFAULTS, rounds: 1, easyPerRound: 2, hardPerRound: 1 };
  const a = await played(planToolUse(2, settings, 1), "policy:fixed?p=0");
  const b = await played(planToolUse(2, settings, 1), "policy:fixed?p=1");
  const harder = await played(planToolUse(2, { ...settings, difficulty: settings.difficulty + 1 }, 1), "policy:fixed?p=1");
  const cmp = compareRuns(a, b);
  // A always uses the calculator and B never does; A's answers are all right, B's direct ones by chance.
  assert.deepEqual(
    cmp.groups.map((g) => [g.suite, g.measure, g.episodes, g.rounds.map((r) => [r.pairs, r.both + r.onlyA, r.onlyB])]),
    [
      ["tooluse", "tool-use", 2, [[6, 6, 0]]],
      ["tooluse", "easy-tool-use", 2, [[4, 4, 0]]],
      ["tooluse", "hard-tool-use", 2, [[2, 2, 0]]],
      ["tooluse", "easy-accuracy", 2, [[4, 4, 0]]],
      ["tooluse", "hard-accuracy", 2, [[2, 2, 0]]],
    ],
  );
  assert.deepEqual(
    cmp.groups.slice(0, 3).map((g) => g.rounds[0].both),
    [0, 0, 0],
  );
  const other = compareRuns(a, harder);
  assert.deepEqual(other.groups, []);
  assert.deepEqual(
    other.mismatched.map((m) => [m.key, m.reason]),
    [
      ["tooluse/0", "scenario 0 is not the same in both runs"],
      ["tooluse/1", "scenario 1 is not the same in both runs"],
    ],
  );
});
