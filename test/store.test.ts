import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";

import { createAgent } from "../src/agents/registry.js";
import type { Agent } from "../src/agents/types.js";
import { PAPER_COLLUSION, PAPER_PAYOFF_SETS } from "../src/testbeds/collusion/engine.js";
import { PAPER_ROLEPLAY } from "../src/testbeds/roleplay/engine.js";
import { planCollusion } from "../src/testbeds/collusion/plan.js";
import { planRoleplay } from "../src/testbeds/roleplay/plan.js";
import type { EpisodePlan } from "../src/testbeds/registry.js";
import { runEpisode } from "../src/run/runner.js";
import { BUILTIN_GAME_SCENARIOS } from "../src/testbeds/collusion/pack.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "../src/testbeds/roleplay/pack.js";
import { expandRoleplay } from "../src/scenarios/generate.js";
import { SCHEMA_VERSION } from "../src/store/schema.js";
import { cacheKey, RunStore, type CallMeta } from "../src/store/store.js";
import type { TranscriptEpisode, TranscriptRound } from "../src/transcript/types.js";
import { transcriptText } from "../src/transcript/write.js";

const SEED = 11;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "atp-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Role-play (two repeats, so some episodes carry a repeat) and games, one with fixed colluders. */
function makePlans(): EpisodePlan[] {
  const scenarios = expandRoleplay(BUILTIN_ROLEPLAY_TEMPLATES.slice(0, 2), 2);
  const roleplay = planRoleplay(scenarios, { ...PAPER_ROLEPLAY, parity: "paper" }, 2);
  const base = { ...PAPER_COLLUSION, parity: "paper" as const };
  const games = planCollusion(BUILTIN_GAME_SCENARIOS.slice(0, 2), base, [2, 8], PAPER_PAYOFF_SETS.slice(0, 2), 1);
  const fixed = planCollusion(
    BUILTIN_GAME_SCENARIOS.slice(2, 3),
    { ...base, fixedColluders: 3, capitalMode: "additive", startCapital: 10, additiveBase: 10 },
    [4],
    PAPER_PAYOFF_SETS.slice(0, 1),
    1,
  );
  return [...roleplay, ...games, ...fixed];
}

async function play(plans: EpisodePlan[], agent: Agent): Promise<TranscriptEpisode[]> {
  const out: TranscriptEpisode[] = [];
  for (const [i, plan] of plans.entries()) {
    const outcome = await runEpisode(plan, i, agent, { seed: SEED });
    assert.ok(outcome.transcript, `episode ${i} finished`);
    out.push(outcome.transcript);
  }
  return out;
}

/** Meta for the agents the model was asked: fixed colluders (empty messages) get none. */
function metaFor(round: TranscriptRound, episode: number): CallMeta[] {
  return round.calls
    .filter((c) => c.messages.length > 0)
    .map((c) => ({
      agent: c.agent,
      latencyMs: 10 + c.agent + round.round,
      attempts: c.agent === 1 ? 2 : 1,
      promptTokens: 100 + episode,
      completionTokens: 20,
      cached: c.agent === 2,
      error: c.agent === 1 ? "HTTP 429" : undefined,
    }));
}

function newRun(id: string, plans: EpisodePlan[]) {
  return {
    id,
    suite: "all",
    model: "policy:learner",
    seed: SEED,
    parity: "paper",
    config: { repeats: 2, thresholds: [2, 8], nested: { window: null } },
    versions: { "atp-testbed": "0.1.0", node: process.version },
    plans,
  };
}

function count(db: Database.Database, table: string, runId: string): number {
  return db.prepare<[string], number>(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(runId)!;
}

test("a run saved round by round reads back exactly, from a reopened file", async (t) => {
  const file = join(tempDir(t), "nested", "runs", "atp.db");
  const plans = makePlans();
  const transcripts = await play(plans, await createAgent("policy:learner"));
  const last = plans.length - 1;

  const store = RunStore.open(file);
  store.createRun({ ...newRun("r1", plans), versions: { "atp-testbed": "0.1.0", ...store.libraryVersions() } });
  assert.deepEqual(
    store.episodeStates("r1").map((e) => e.status),
    plans.map(() => "pending"),
  );
  for (const [i, episode] of transcripts.entries()) {
    // The last episode stops after one round, as a killed run would leave it.
    const rounds = i === last ? episode.rounds.slice(0, 1) : episode.rounds;
    for (const round of rounds) store.saveRound("r1", i, round, metaFor(round, i));
    if (i !== last) store.finishEpisode("r1", i);
  }
  store.close();

  const again = RunStore.open(file);
  t.after(() => again.close());
  assert.equal(again.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  assert.equal(again.db.pragma("journal_mode", { simple: true }), "wal");
  assert.equal(again.db.pragma("foreign_keys", { simple: true }), 1);

  assert.deepEqual(again.loadPlans("r1"), plans);
  for (const [i, episode] of transcripts.entries()) {
    assert.deepEqual(again.savedRounds("r1", i), i === last ? episode.rounds.slice(0, 1) : episode.rounds);
  }
  // Supervision appears only in role-play rounds, capitals only in game calls.
  assert.ok("supervision" in again.savedRounds("r1", 0)[0]);
  assert.ok(!("supervision" in again.savedRounds("r1", last)[0]));
  assert.ok(!("capital_before" in again.savedRounds("r1", 0)[0].calls[0]));

  const exported = again.exportTranscript("r1");
  assert.deepEqual(exported, transcripts.slice(0, last));
  // Byte-identical JSON lines: same values and the same key order as the runner writes.
  assert.equal(transcriptText(exported), transcriptText(transcripts.slice(0, last)));
  assert.ok(exported.some((e) => e.repeat === 1));
  const partial = again.exportTranscript("r1", { includeUnfinished: true });
  assert.deepEqual(partial, [...transcripts.slice(0, last), { ...transcripts[last], rounds: transcripts[last].rounds.slice(0, 1) }]);

  const states = again.episodeStates("r1");
  assert.deepEqual(
    states.map((s) => [s.idx, s.key, s.repeat, s.status, s.roundsSaved]),
    plans.map((p, i) => [i, p.key, p.repeat, i === last ? "running" : "done", i === last ? 1 : transcripts[i].rounds.length]),
  );

  const run = again.getRun("r1")!;
  assert.equal(run.status, "running");
  assert.equal(run.episodeCount, plans.length);
  assert.deepEqual(run.config, newRun("r1", plans).config);
  assert.match(run.versions["better-sqlite3"], /^\d+\.\d+\.\d+/);
  assert.match(run.versions.sqlite, /^3\./);
  assert.equal(run.finishedAt, null);
  assert.ok(run.updatedAt >= run.createdAt);

  // Stats over the metas we saved: fixed colluders had none and do not count.
  const metas = transcripts.flatMap((e, i) => (i === last ? e.rounds.slice(0, 1) : e.rounds).flatMap((r) => metaFor(r, i)));
  const uncached = metas.filter((m) => !m.cached);
  const prompt = metas.reduce((s, m) => s + (m.promptTokens ?? 0), 0);
  const stats = again.callStats("r1");
  assert.equal(stats.calls, metas.length);
  assert.equal(stats.cached, metas.filter((m) => m.cached).length);
  assert.equal(stats.errors, metas.filter((m) => m.error !== undefined).length);
  assert.equal(stats.promptTokens, prompt);
  assert.equal(stats.totalTokens, prompt + 20 * metas.length);
  assert.ok(Math.abs(stats.meanLatencyMs! - uncached.reduce((s, m) => s + m.latencyMs, 0) / uncached.length) < 1e-9);

  again.setRunStatus("r1", "done");
  assert.ok(again.getRun("r1")!.finishedAt);
  again.setRunStatus("r1", "running");
  assert.equal(again.getRun("r1")!.finishedAt, null);
});

test("saveRound is one transaction, in order, once", async (t) => {
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  const plans = makePlans().filter((p) => p.suite === "collusion").slice(0, 1);
  const [episode] = await play(plans, await createAgent("policy:learner"));
  store.createRun(newRun("r", plans));
  const [r0, r1] = episode.rounds;

  // The second call repeats agent 0, so its insert fails after the round and one call went in.
  const broken: TranscriptRound = { ...r0, calls: [r0.calls[0], { ...r0.calls[0] }] };
  assert.throws(() => store.saveRound("r", 0, broken, metaFor(broken, 0).slice(0, 1)), /UNIQUE|PRIMARY/);
  assert.equal(count(store.db, "rounds", "r"), 0);
  assert.equal(count(store.db, "calls", "r"), 0);
  assert.equal(store.episodeStates("r")[0].status, "pending");
  assert.deepEqual(store.savedRounds("r", 0), []);

  assert.throws(() => store.saveRound("r", 0, r1, metaFor(r1, 0)), /round 1 saved before round 0/);
  assert.throws(() => store.saveRound("r", 0, r0, [...metaFor(r0, 0), { agent: 99, latencyMs: 1, attempts: 1, cached: false }]), /agent 99/);
  assert.throws(() => store.saveRound("r", 1, r0, metaFor(r0, 0)), /no run 'r' episode 1/);

  store.saveRound("r", 0, r0, metaFor(r0, 0));
  assert.equal(store.episodeStates("r")[0].status, "running");
  const calls = count(store.db, "calls", "r");
  assert.equal(calls, r0.calls.length);
  assert.throws(() => store.saveRound("r", 0, r0, metaFor(r0, 0)), /round 0 is already saved/);
  assert.equal(count(store.db, "rounds", "r"), 1);
  assert.equal(count(store.db, "calls", "r"), calls);
  assert.deepEqual(store.savedRounds("r", 0), [r0]);
});

test("failed episodes keep their error and rounds, and go back to pending", async (t) => {
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  const plans = makePlans().slice(0, 3);
  const [episode] = await play(plans.slice(0, 1), await createAgent("policy:learner"));
  store.createRun(newRun("r", plans));
  store.saveRound("r", 0, episode.rounds[0], metaFor(episode.rounds[0], 0));

  store.failEpisode("r", 0, "provider: 500 after 3 attempts");
  store.failEpisode("r", 2, "timeout");
  const failed = store.episodeStates("r");
  assert.deepEqual(
    failed.map((s) => [s.status, s.error, s.attemptsFailed, s.roundsSaved]),
    [
      ["failed", "provider: 500 after 3 attempts", 1, 1],
      ["pending", null, 0, 0],
      ["failed", "timeout", 1, 0],
    ],
  );
  assert.throws(() => store.saveRound("r", 0, episode.rounds[1], metaFor(episode.rounds[1], 0)), /is failed/);
  assert.deepEqual(store.exportTranscript("r"), []);

  assert.equal(store.resetFailed("r"), 2);
  assert.equal(store.resetFailed("r"), 0);
  const reset = store.episodeStates("r");
  assert.deepEqual(
    reset.map((s) => [s.status, s.error, s.attemptsFailed, s.roundsSaved]),
    [
      ["pending", "provider: 500 after 3 attempts", 1, 1],
      ["pending", null, 0, 0],
      ["pending", "timeout", 1, 0],
    ],
  );
  store.failEpisode("r", 0, "again");
  assert.equal(store.episodeStates("r")[0].attemptsFailed, 2);
  store.resetFailed("r");
  // The resumed episode continues from its saved round.
  for (const round of episode.rounds.slice(1)) store.saveRound("r", 0, round, metaFor(round, 0));
  store.finishEpisode("r", 0);
  const done = store.episodeStates("r")[0];
  assert.deepEqual([done.status, done.error, done.attemptsFailed], ["done", null, 2]);
  assert.deepEqual(store.exportTranscript("r"), [episode]);

  assert.throws(() => store.failEpisode("r", 9, "x"), /no run 'r' episode 9/);
  assert.throws(() => store.resetFailed("nope"), /no run 'nope'/);
});

test("runs: unique ids, newest first", (t) => {
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  const plans = makePlans().slice(0, 2);
  for (const id of ["a", "b", "c"]) store.createRun(newRun(id, plans));
  assert.throws(() => store.createRun(newRun("b", plans.slice(0, 1))), /run 'b' already exists/);
  assert.equal(store.getRun("b")!.episodeCount, 2);
  assert.equal(count(store.db, "episodes", "b"), 2);
  assert.deepEqual(
    store.listRuns().map((r) => r.id),
    ["c", "b", "a"],
  );
  assert.equal(store.getRun("zzz"), undefined);
  assert.throws(() => store.loadPlans("zzz"), /no run 'zzz'/);
  assert.throws(() => store.setRunStatus("zzz", "done"), /no run 'zzz'/);
});

test("the response cache, keyed so that repeats stay apart", (t) => {
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  const parts = {
    identity: "openai:gpt?temperature=1",
    messages: [{ role: "user", content: "hi" }],
    episode: "roleplay/0",
    round: 2,
    agent: 0,
    repeat: 0,
    seed: 12345,
  };
  const key = cacheKey(parts);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.notEqual(cacheKey({ ...parts, repeat: 1 }), key);
  assert.notEqual(cacheKey({ ...parts, agent: 1 }), key);
  assert.notEqual(cacheKey({ ...parts, seed: 54321 }), key);
  // Canonical: the order in which object keys were written does not matter.
  assert.equal(
    cacheKey({ seed: 12345, repeat: 0, agent: 0, round: 2, episode: "roleplay/0", messages: [{ content: "hi", role: "user" }], identity: parts.identity }),
    key,
  );

  assert.equal(store.cacheGet(key), undefined);
  store.cachePut(key, { text: "answer", promptTokens: 12, completionTokens: 3 });
  assert.deepEqual(store.cacheGet(key), { text: "answer", promptTokens: 12, completionTokens: 3 });
  store.cachePut(key, { text: "newer" });
  assert.deepEqual(store.cacheGet(key), { text: "newer" });
  assert.equal(store.cacheGet(cacheKey({ ...parts, repeat: 1 })), undefined);
});

test("a second connection reads while a run writes (WAL)", async (t) => {
  const file = join(tempDir(t), "atp.db");
  const store = RunStore.open(file);
  t.after(() => store.close());
  const plans = makePlans().slice(0, 1);
  const [episode] = await play(plans, await createAgent("policy:learner"));
  store.createRun(newRun("r", plans));
  const reader = new Database(file, { readonly: true, timeout: 200 });
  t.after(() => reader.close());
  const roundsOf = reader.prepare<[string], number>("SELECT count(*) FROM rounds WHERE run_id = ?").pluck();

  // Inside the writer's open transaction the reader neither blocks nor sees uncommitted rows.
  store.db.transaction(() => {
    store.saveRound("r", 0, episode.rounds[0], metaFor(episode.rounds[0], 0));
    assert.equal(roundsOf.get("r"), 0);
  })();
  assert.equal(roundsOf.get("r"), 1);

  // A reader holding a snapshot does not stop the writer from committing (it would without WAL).
  reader.exec("BEGIN");
  assert.equal(roundsOf.get("r"), 1);
  store.saveRound("r", 0, episode.rounds[1], metaFor(episode.rounds[1], 0));
  assert.equal(roundsOf.get("r"), 1);
  reader.exec("COMMIT");
  assert.equal(roundsOf.get("r"), 2);

  // A second RunStore on the same file sees the same run.
  const other = RunStore.open(file);
  t.after(() => other.close());
  assert.deepEqual(other.savedRounds("r", 0), episode.rounds.slice(0, 2));
});

test("the runner saves through the store, and the export equals its transcripts", async (t) => {
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  const plans = makePlans().filter((_, i, all) => i === 0 || i === all.length - 1);
  const agent = await createAgent("policy:learner");
  store.createRun(newRun("r", plans));
  const transcripts: TranscriptEpisode[] = [];
  for (const [i, plan] of plans.entries()) {
    const outcome = await runEpisode(plan, i, agent, { seed: SEED, store: { store, runId: "r" } });
    transcripts.push(outcome.transcript!);
  }
  assert.deepEqual(transcripts, await play(plans, agent));
  assert.deepEqual(store.exportTranscript("r"), transcripts);
  // Only asked agents count as calls: the fixed colluders of the game do not.
  const asked = plans[1].suite === "collusion" ? plans[1].settings.agents - plans[1].settings.fixedColluders : 0;
  assert.equal(store.callStats("r").calls, transcripts[0].rounds.length + asked * transcripts[1].rounds.length);
});

test("a run killed with SIGKILL leaves only whole rounds, and the file reopens", async (t) => {
  const file = join(tempDir(t), "atp.db");
  const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  // A child plays many game episodes through the runner into the store until it is killed.
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `
      import { createAgent } from ${url("../src/agents/registry.js")};
      import { PAPER_COLLUSION } from ${url("../src/testbeds/collusion/engine.js")};
      import { planCollusion } from ${url("../src/testbeds/collusion/plan.js")};
      import { runPlan } from ${url("../src/run/runner.js")};
      import { BUILTIN_GAME_SCENARIOS } from ${url("../src/testbeds/collusion/pack.js")};
      import { RunStore } from ${url("../src/store/store.js")};
      const plans = planCollusion(BUILTIN_GAME_SCENARIOS, { ...PAPER_COLLUSION, parity: "paper" }, [4], [PAPER_COLLUSION.rewards], 100);
      const store = RunStore.open(process.argv[1]);
      store.createRun({ id: "k", suite: "collusion", model: "policy:learner", seed: 1, parity: "paper", config: {}, versions: {}, plans });
      await runPlan(plans, await createAgent("policy:learner"), { seed: 1, store: { store, runId: "k" } });
      `,
      file,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  t.after(() => child.kill("SIGKILL"));

  // Kill it once some rounds are in, while it is still writing.
  const deadline = Date.now() + 20_000;
  let saved = 0;
  while (saved < 30 && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      const reader = new Database(file, { readonly: true, fileMustExist: true });
      saved = reader.prepare("SELECT count(*) FROM rounds").pluck().get() as number;
      reader.close();
    } catch {
      // The file or its tables may not exist yet.
    }
  }
  assert.equal(child.exitCode, null, `the child stopped on its own: ${stderr}`);
  child.kill("SIGKILL");
  await exited;

  const store = RunStore.open(file);
  t.after(() => store.close());
  const states = store.episodeStates("k");
  assert.ok(states.reduce((n, s) => n + s.roundsSaved, 0) >= 30);
  assert.ok(states.some((s) => s.status !== "done"), "killed before the end");
  const agents = PAPER_COLLUSION.agents;
  const perRound = store.db
    .prepare<[], { n: number }>("SELECT count(c.agent) AS n FROM rounds r LEFT JOIN calls c USING (run_id, episode_idx, round) GROUP BY r.run_id, r.episode_idx, r.round")
    .all();
  assert.ok(perRound.every((r) => r.n === agents), "every saved round has all its calls");
  for (const s of states) {
    const rounds = store.savedRounds("k", s.idx);
    assert.deepEqual(
      rounds.map((r) => r.round),
      [...rounds.keys()],
    );
    if (s.status === "done") assert.equal(rounds.length, PAPER_COLLUSION.rounds);
  }
});

test("a file from a newer schema is refused; ':memory:' works", (t) => {
  const file = join(tempDir(t), "future.db");
  RunStore.open(file).close();
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => RunStore.open(file), /newer than this atp supports/);

  const memory = RunStore.open(":memory:");
  memory.createRun(newRun("m", makePlans().slice(0, 1)));
  assert.deepEqual(memory.loadPlans("m"), makePlans().slice(0, 1));
  memory.close();
});
