/**
 * The contract test kit: properties every registered testbed must have, checked through the
 * contract and the generic runner and store only, so a new testbed gets them by registering.
 *
 * - purity: the same plan, seed and answers give the same requests and rounds, byte for byte;
 * - replay is the identity: a transcript's plans rebuild equal to the played ones, and its
 *   recorded answers fed back give the same transcript;
 * - kill-and-resume equals uninterrupted;
 * - repeats are independent: a repeat played alone equals the same repeat played among others;
 * - fixed slots are never asked: only the agent slots the decision rows hold are asked;
 * - failed calls are never scored: a call that fails (or an empty answer) leaves its round
 *   unsaved and its decision `failed`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent, AgentCall, Reply } from "../../src/agents/types.js";
import { runPlan } from "../../src/run/runner.js";
import { RunStore } from "../../src/store/store.js";
import type { Answer, PlanOf, Testbed } from "../../src/testbed/contract.js";
import type { TranscriptEpisode, TranscriptRound } from "../../src/transcript/types.js";

type AnyPlan = PlanOf<string, { id: string | number; environment: string }, unknown>;

export interface KitSubject {
  testbed: Testbed<AnyPlan>;
  /** A few episodes of it, two repeats at least, with every kind of slot it has (fixed slots included). */
  plans: AnyPlan[];
  /** An agent that answers its calls (deterministic given the call's seed). */
  agent: Agent;
  /** The run seed. */
  seed?: number;
}

const json = (value: unknown) => JSON.stringify(value);

/** Plays one episode straight through the engine, answering with `answer`; returns every request and round. */
async function drive(testbed: Testbed<AnyPlan>, plan: AnyPlan, seed: number, answer: (call: AgentCall) => Promise<Answer>) {
  const engine = testbed.engine(plan, seed);
  const requests: string[] = [];
  const rounds: TranscriptRound[] = [];
  /** Calls asked per finished round. */
  const callsPerRound: number[] = [];
  let calls = 0;
  while (!engine.done) {
    const pending = engine.pending();
    assert.ok(pending.length > 0, `${testbed.id} ${plan.key}: pending() is empty while the episode is not done`);
    // Asking twice changes nothing: pending() is a view, not a step.
    assert.equal(json(engine.pending()), json(pending), `${testbed.id} ${plan.key}: pending() is not repeatable`);
    requests.push(json(pending));
    const answers = await Promise.all(pending.map((r) => answer(r.call)));
    calls += pending.length;
    const round = engine.submit(answers);
    if (round) {
      rounds.push(round);
      callsPerRound.push(calls);
      calls = 0;
    }
  }
  return { requests, rounds, callsPerRound };
}

/** Wraps an agent to fail (throw) at the n-th call it is asked, counting from 1. */
function failingAt(agent: Agent, n: number, how: "throw" | "empty"): Agent & { asked: AgentCall[] } {
  const asked: AgentCall[] = [];
  return {
    id: agent.id,
    asked,
    async respond(call: AgentCall): Promise<Reply> {
      asked.push(call);
      if (asked.length === n) {
        if (how === "throw") throw new Error("the server went away");
        return { text: "", attempts: 1, finishReason: "stop" };
      }
      return agent.respond(call);
    },
  };
}

function tempStore(): { store: RunStore; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "atp-kit-"));
  const store = RunStore.open(join(dir, "atp.db"));
  return {
    store,
    done: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function newRun(store: RunStore, runId: string, subject: KitSubject): void {
  store.createRun({
    id: runId,
    suite: subject.testbed.id,
    model: subject.agent.id,
    seed: subject.seed ?? 0,
    parity: "default",
    config: {},
    versions: {},
    plans: subject.plans as never,
  });
}

async function played(subject: KitSubject, plans = subject.plans): Promise<TranscriptEpisode[]> {
  const outcomes = await runPlan(plans as never, subject.agent, { seed: subject.seed ?? 0 });
  for (const o of outcomes) assert.equal(o.error, undefined, `${o.plan.key}: ${o.error}`);
  return outcomes.map((o) => o.transcript!);
}

export async function checkPurity(s: KitSubject): Promise<void> {
  const seed = s.seed ?? 0;
  for (const plan of s.plans) {
    const answer = async (call: AgentCall) => s.agent.respond(call);
    const a = await drive(s.testbed, structuredClone(plan), seed, answer);
    const b = await drive(s.testbed, structuredClone(plan), seed, answer);
    assert.deepEqual(b.requests, a.requests, `${s.testbed.id} ${plan.key}: the same inputs asked other requests`);
    assert.equal(json(b.rounds), json(a.rounds), `${s.testbed.id} ${plan.key}: the same inputs gave other rounds`);
    assert.equal(a.rounds.length, s.testbed.transcriptRounds(plan), `${s.testbed.id} ${plan.key}: transcriptRounds disagrees with the engine`);
    const perRound = s.testbed.callsPerRound(plan);
    if (perRound !== null) assert.ok(a.callsPerRound.every((n) => n === perRound), `${s.testbed.id} ${plan.key}: callsPerRound says ${perRound}, the engine asked ${a.callsPerRound}`);
  }
  const other = await drive(s.testbed, s.plans[0], seed + 1, async (call) => s.agent.respond(call));
  const first = await drive(s.testbed, s.plans[0], seed, async (call) => s.agent.respond(call));
  assert.notEqual(other.requests.join(), first.requests.join(), `${s.testbed.id}: the run seed does not reach the calls' seeds`);
}

export async function checkReplayIdentity(s: KitSubject): Promise<void> {
  const transcripts = await played(s);
  const replan = s.testbed.replanner({ datasets: [], parity: "default", file: "kit.jsonl", source: "the built-in packs" });
  transcripts.forEach((t, i) => {
    const plan = replan(structuredClone(t), `kit.jsonl: line ${i + 1}`);
    assert.deepEqual(plan, s.plans[i], `${s.testbed.id} ${t.episode}: the transcript does not rebuild its plan`);
  });
  // Feed each recorded answer back, in the order the engine asks for them.
  for (const [i, t] of transcripts.entries()) {
    const responses = t.rounds.flatMap((r) => r.calls.map((c) => ({ agent: c.agent, text: c.response, toolCalls: c.tool_calls })));
    const byAgent = new Map<number, typeof responses>();
    for (const r of responses) byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), r]);
    const replayed = await drive(s.testbed, s.plans[i], s.seed ?? 0, async (call) => {
      const next = byAgent.get(call.agent)?.shift();
      assert.ok(next, `${s.testbed.id} ${t.episode}: asked more calls than were recorded`);
      return { text: next.text, ...(next.toolCalls ? { toolCalls: next.toolCalls } : {}) };
    });
    assert.equal(json(replayed.rounds), json(t.rounds), `${s.testbed.id} ${t.episode}: the recorded answers replay to another transcript`);
  }
}

export async function checkKillAndResume(s: KitSubject): Promise<void> {
  const whole = await played(s);
  const { store, done } = tempStore();
  try {
    newRun(store, "kit", s);
    const stop = new AbortController();
    let calls = 0;
    const total = whole.reduce((n, t) => n + t.rounds.reduce((m, r) => m + r.calls.length, 0), 0);
    const half = Math.max(1, Math.floor(total / 2));
    await runPlan(s.plans as never, s.agent, {
      seed: s.seed ?? 0,
      store: { store, runId: "kit" },
      signal: stop.signal,
      onCall: () => {
        if (++calls === half) stop.abort("SIGKILL");
      },
    });
    const saved = store.episodeStates("kit").reduce((n, e) => n + e.roundsSaved, 0);
    assert.ok(saved < whole.reduce((n, t) => n + t.rounds.length, 0), `${s.testbed.id}: the stop came too late to test a resume`);
    const skip = new Set(store.episodeStates("kit").filter((e) => e.status === "done").map((e) => e.idx));
    const resumed = await runPlan(s.plans as never, s.agent, { seed: s.seed ?? 0, store: { store, runId: "kit" } }, skip);
    for (const o of resumed) assert.equal(o.error, undefined);
    assert.equal(json(store.exportTranscript("kit")), json(whole), `${s.testbed.id}: a stopped and resumed run differs from an uninterrupted one`);
  } finally {
    done();
  }
}

export async function checkRepeatsIndependent(s: KitSubject): Promise<void> {
  const repeats = [...new Set(s.plans.map((p) => p.repeat))];
  assert.ok(repeats.length >= 2, `${s.testbed.id}: the kit needs plans of two repeats`);
  const all = await played(s);
  const last = repeats.at(-1)!;
  const alone = await played(s, s.plans.filter((p) => p.repeat === last));
  assert.equal(json(alone), json(all.filter((t) => (t.repeat ?? 0) === last)), `${s.testbed.id}: a repeat depends on the others`);
  const first = all.filter((t) => (t.repeat ?? 0) === repeats[0]).map((t) => json(t.rounds));
  const other = all.filter((t) => (t.repeat ?? 0) === last).map((t) => json(t.rounds));
  assert.notDeepEqual(other, first, `${s.testbed.id}: two repeats played the same answers`);
}

export async function checkSlotsAsked(s: KitSubject): Promise<void> {
  for (const plan of s.plans) {
    const asked = new Set<number>();
    const { rounds } = await drive(s.testbed, plan, s.seed ?? 0, async (call) => {
      asked.add(call.agent);
      return s.agent.respond(call);
    });
    const transcript: TranscriptEpisode = { suite: plan.suite as never, episode: plan.key, scenario: plan.scenario.id, environment: plan.scenario.environment, settings: s.testbed.settingsRecord(plan), rounds };
    const deciding = new Set(s.testbed.decisions!(plan, transcript).map((r) => r.agent));
    assert.deepEqual([...asked].sort(), [...deciding].sort(), `${s.testbed.id} ${plan.key}: the agents asked are not the agents whose decisions count`);
  }
}

export async function checkFailedNeverScored(s: KitSubject): Promise<void> {
  const plan = s.plans[0];
  for (const how of ["throw", "empty"] as const) {
    const { store, done } = tempStore();
    try {
      newRun(store, "kit", { ...s, plans: [plan] });
      const agent = failingAt(s.agent, 2, how);
      const [outcome] = await runPlan([plan] as never, agent, { seed: s.seed ?? 0, store: { store, runId: "kit" } });
      assert.ok(outcome.error, `${s.testbed.id} ${how}: a failed call did not fail its episode`);
      const failed = agent.asked[1];
      const saved = store.savedRounds("kit", 0);
      assert.ok(
        saved.every((r) => r.calls.every((c) => c.agent !== failed.agent || json(c.messages) !== json(failed.messages))),
        `${s.testbed.id} ${how}: the failed call was saved as an answer`,
      );
      const transcript: TranscriptEpisode = { suite: plan.suite as never, episode: plan.key, scenario: plan.scenario.id, environment: plan.scenario.environment, settings: s.testbed.settingsRecord(plan), rounds: saved };
      const rows = s.testbed.decisions!(plan, transcript);
      const lost = rows.filter((r) => r.status === "failed");
      assert.ok(lost.length > 0, `${s.testbed.id} ${how}: no decision counts as failed`);
      assert.ok(lost.every((r) => r.reward === null && r.outcome === null && !r.deviant), `${s.testbed.id} ${how}: a failed decision was scored`);
    } finally {
      done();
    }
  }
}

export async function checkAll(s: KitSubject): Promise<void> {
  await checkPurity(s);
  await checkReplayIdentity(s);
  await checkKillAndResume(s);
  await checkRepeatsIndependent(s);
  await checkSlotsAsked(s);
  await checkFailedNeverScored(s);
}
