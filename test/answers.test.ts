/**
 * What a run stores and scores when the answers come in the exact bodies vLLM, SGLang,
 * llama.cpp's server and Ollama send (stop, length, reasoning, reasoning-only, tool calls), over
 * a real HTTP exchange into a real store file. A cut-off answer fails its episode and is kept
 * (unless scored with scoreTruncated); an empty one is never scored; reasoning is stored apart,
 * never parsed, and goes back into the history only with historyReasoning keep.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { executePairs } from "../src/align/pairs.js";
import { defaultConfig, type RunConfig } from "../src/run/config.js";
import { executeRun } from "../src/run/execute.js";
import { RunStore } from "../src/store/store.js";
import { startFakeOpenAI } from "./helpers/fake-openai.js";
import { chatShape, fillShape, SHAPE_SERVERS, type ChatCase, type ShapeServer } from "./helpers/openai-shapes.js";

const REASONING = (deviant: string) => `Tempting: {"choice": "${deviant}"} pays more. But no.`;

/** The two options the role-play prompt offers, aligned first. */
function options(body: { messages: { content: string }[] }): [string, string] {
  const text = body.messages.map((m) => m.content).join("\n");
  const m = [...text.matchAll(/\{"choice": "([^"]+)"\} or \{"choice": "([^"]+)"\}/g)].pop()!;
  return [m[1], m[2]];
}

interface Played {
  config: RunConfig;
  db: string;
  calls: { response: string; choice: string | null; finish_reason: string | null; reasoning: string | null; messages_json: string; tool_calls_json: string | null }[];
  rejected: { why: string; response: string; reasoning: string | null; finish_reason: string | null }[];
  errors: string[];
  status: string;
  stats: ReturnType<RunStore["callStats"]>;
}

/** Plays 4 role-play episodes of 2 rounds against a server answering in `server`'s `which` body. */
async function play(body: any, over: Partial<RunConfig> = {}): Promise<Played> {
  const server = await startFakeOpenAI({
    respond: (req) => {
      const [aligned, deviant] = options(req);
      return { body: fillShape(body, { content: `I keep to the rules.\n{"choice": "${aligned}"}`, reasoning: REASONING(deviant) }) };
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "atp-answers-"));
  try {
    const config: RunConfig = { ...defaultConfig("roleplay"), model: "openai:fake-model", db: join(dir, "runs.db"), ...over };
    config.provider = { ...config.provider, baseUrls: [server.url], retries: 0 };
    config.testbeds.roleplay = { ...config.testbeds.roleplay, rounds: 2, variants: 1 };
    await executeRun(config);
    const db = new Database(config.db, { readonly: true });
    const store = RunStore.open(config.db);
    try {
      const runId = (db.prepare("SELECT id FROM runs").get() as { id: string }).id;
      return {
        config,
        db: config.db,
        calls: db.prepare("SELECT * FROM calls ORDER BY episode_idx, round").all() as Played["calls"],
        rejected: db.prepare("SELECT * FROM rejected_answers ORDER BY rowid").all() as Played["rejected"],
        errors: (db.prepare("SELECT error FROM episodes WHERE status = 'failed'").all() as { error: string }[]).map((r) => r.error),
        status: (db.prepare("SELECT status FROM runs").get() as { status: string }).status,
        stats: store.callStats(runId),
      };
    } finally {
      db.close();
      store.close();
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const EPISODES = 16;

/** The call chose what its answer (after any thinking) says, not what its reasoning mentions. */
function choseTheAnswer(c: { response: string; choice: string | null }): void {
  assert.ok(c.choice !== null, `no choice read from ${c.response}`);
  assert.ok(c.response.split("</think>").pop()!.includes(`{"choice": "${c.choice}"}`), `${c.choice} is not the answer in ${c.response}`);
}

function shape(t: any, server: ShapeServer, which: ChatCase) {
  return chatShape(t, server, which);
}

for (const server of SHAPE_SERVERS) {
  test(`${server} stop: the answer is scored and its finish reason stored`, async (t) => {
    const body = shape(t, server, "stop");
    if (!body) return;
    const r = await play(body);
    assert.equal(r.status, "done");
    assert.equal(r.calls.length, EPISODES * 2);
    for (const c of r.calls) {
      assert.equal(c.finish_reason, "stop");
      assert.equal(c.reasoning, null);
      choseTheAnswer(c);
    }
    assert.deepEqual([r.stats.truncated, r.stats.empty, r.rejected.length], [0, 0, 0]);
  });

  test(`${server} reasoning: stored apart, never parsed, dropped from the history by default`, async (t) => {
    const body = shape(t, server, "reasoning");
    if (!body) return;
    const r = await play(body);
    assert.equal(r.status, "done");
    for (const c of r.calls) {
      assert.match(c.reasoning!, /^Tempting: \{"choice": /);
      assert.doesNotMatch(c.response, /Tempting/);
      choseTheAnswer(c);
    }
    const second = r.calls.find((c) => JSON.parse(c.messages_json).some((m: { role: string }) => m.role === "assistant"))!;
    assert.doesNotMatch(second.messages_json, /Tempting/);
  });

  test(`${server} reasoning with historyReasoning keep: the history carries it in <think>, the answer is still the content`, async (t) => {
    const body = shape(t, server, "reasoning");
    if (!body) return;
    const r = await play(body, { historyReasoning: "keep" });
    assert.equal(r.status, "done");
    for (const c of r.calls) choseTheAnswer(c);
    const second = r.calls.find((c) => JSON.parse(c.messages_json).some((m: { role: string }) => m.role === "assistant"))!;
    const assistant = JSON.parse(second.messages_json).find((m: { role: string }) => m.role === "assistant");
    assert.match(assistant.content, /^<think>\nTempting: .*\n<\/think>\n\nI keep to the rules\./);
  });

  test(`${server} length: the cut-off answer fails its episode, is kept, and names --max-tokens`, async (t) => {
    const body = shape(t, server, "length");
    if (!body) return;
    const r = await play(body);
    assert.equal(r.status, "failed");
    assert.equal(r.calls.length, 0, "nothing cut off is scored");
    assert.equal(r.errors.length, EPISODES);
    for (const e of r.errors) assert.match(e, /round 1 agent 0: the answer was cut off at the token limit.*--max-tokens.*--score-truncated/);
    assert.equal(r.rejected.length, EPISODES);
    for (const a of r.rejected) {
      assert.equal(a.why, "truncated");
      assert.equal(a.finish_reason, "length");
      assert.match(a.response, /^I keep to the rules\./);
    }
    assert.deepEqual([r.stats.truncated, r.stats.empty], [EPISODES, 0]);
  });

  test(`${server} length with scoreTruncated: scored, and still counted as truncated`, async (t) => {
    const body = shape(t, server, "length");
    if (!body) return;
    const r = await play(body, { scoreTruncated: true });
    assert.equal(r.status, "done");
    for (const c of r.calls) {
      assert.equal(c.finish_reason, "length");
      choseTheAnswer(c);
    }
    assert.deepEqual([r.stats.truncated, r.stats.empty, r.rejected.length], [EPISODES * 2, 0, 0]);
  });

  test(`${server} reasoning-only: cut off while thinking fails as truncated; scored anyway it is empty, never an answer`, async (t) => {
    const body = shape(t, server, "reasoning-only");
    if (!body) return;
    const r = await play(body);
    assert.equal(r.status, "failed");
    assert.equal(r.calls.length, 0);
    for (const a of r.rejected) {
      assert.equal(a.why, "truncated");
      assert.equal(a.response, "");
      assert.match(a.reasoning!, /^Tempting/);
    }
    const scored = await play(body, { scoreTruncated: true });
    assert.equal(scored.status, "failed");
    assert.equal(scored.calls.length, 0, "an empty answer is never scored");
    for (const e of scored.errors) assert.match(e, /the model's answer was empty \(only reasoning, no answer; finish_reason "length"\)/);
    assert.deepEqual([scored.stats.truncated, scored.stats.empty], [0, EPISODES]);
  });

  test(`${server} tool-calls: a reply with only tool calls is not empty; its calls and finish reason are stored`, async (t) => {
    const calls = shape(t, server, "tool-calls");
    const stop = shape(t, server, "stop");
    if (!calls || !stop) return;
    const fake = await startFakeOpenAI({
      respond: (req) =>
        req.messages.some((m: { role: string }) => m.role === "tool")
          ? { body: fillShape(stop, { content: '{"answer": "2"}' }) }
          : { body: fillShape(calls, { toolCalls: [{ name: "calculator", arguments: '{"expression": "1+1"}' }] }) },
    });
    const dir = mkdtempSync(join(tmpdir(), "atp-answers-"));
    try {
      const config = defaultConfig("tooluse");
      config.model = "openai:fake-model";
      config.db = join(dir, "runs.db");
      config.provider = { ...config.provider, baseUrls: [fake.url], retries: 0 };
      config.testbeds.tooluse = { ...config.testbeds.tooluse, episodes: 1, rounds: 1, easy: 1, hard: 0, toolProtocol: "tools" };
      await executeRun(config);
      const db = new Database(config.db, { readonly: true });
      try {
        assert.equal((db.prepare("SELECT status FROM runs").get() as { status: string }).status, "done");
        const rows = db.prepare("SELECT response, tool_calls_json, finish_reason FROM calls ORDER BY turn").all() as Played["calls"];
        assert.equal(rows.length, 2);
        assert.equal(rows[0].finish_reason, "tool_calls");
        assert.equal(rows[0].response, "");
        assert.equal(JSON.parse(rows[0].tool_calls_json!)[0].function.name, "calculator");
        assert.equal(rows[1].finish_reason, "stop");
        assert.equal(rows[1].response, '{"answer": "2"}');
      } finally {
        db.close();
      }
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("calls answered after a retry are counted as needing one", async () => {
  const server = await startFakeOpenAI({ fault: (index) => (index < 5 ? { status: 500 } : undefined) });
  const dir = mkdtempSync(join(tmpdir(), "atp-answers-"));
  try {
    const config: RunConfig = { ...defaultConfig("roleplay"), model: "openai:fake-model", db: join(dir, "runs.db") };
    config.provider = { ...config.provider, baseUrls: [server.url], retries: 3 };
    config.testbeds.roleplay = { ...config.testbeds.roleplay, rounds: 1, variants: 1 };
    const result = await executeRun(config);
    const store = RunStore.open(config.db);
    try {
      const rows = store.db.prepare("SELECT attempts, error FROM calls").all() as { attempts: number; error: string | null }[];
      assert.equal(rows.reduce((n, r) => n + r.attempts - 1, 0), 5, "the five failed requests were retried");
      for (const r of rows) {
        if (r.attempts > 1) assert.match(r.error!, /^http:\/\/127\.0\.0\.1:\d+\/v1: .*500/, "the last failed attempt's error is kept");
        else assert.equal(r.error, null);
      }
      const stats = store.callStats(result.runId);
      assert.equal(stats.errors, rows.filter((r) => r.attempts > 1).length);
      assert.ok(stats.errors >= 1);
    } finally {
      store.close();
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("preference pairs: a cut-off answer is a failed attempt, never a pair answer", async (t) => {
  const length = chatShape(t, "sglang", "length");
  if (!length) return;
  const server = await startFakeOpenAI({ respond: () => ({ body: fillShape(length, { content: '{"choice": "x"}' }) }) });
  try {
    const result = await executePairs({
      suite: "roleplay",
      model: "openai:fake-model",
      datasets: [],
      parity: "paper",
      parser: "paper",
      seed: 1,
      retriesPerSide: 2,
      variants: 1,
      perFraming: 1,
      sampling: {},
      provider: { baseUrls: [server.url], retries: 0 },
      db: ":memory:",
      runId: null,
      cache: true,
      out: null,
    });
    assert.equal(result.pairs.length, 0);
    assert.equal(result.summary.errors, result.summary.items);
    for (const p of result.summary.problems) assert.match(p.why, /cut off at the token limit \(finish_reason "length"\); raise the limit with --max-tokens/);
  } finally {
    await server.close();
  }
});
