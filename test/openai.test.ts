import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../src/core/errors.js";
import type { Agent, AgentCall } from "../src/agents/types.js";
import { createAgent } from "../src/agents/registry.js";
import { AttemptFailure, CallError, parseRetryAfterMs } from "../src/providers/errors.js";
import type { OpenAIAgent } from "../src/providers/openai.js";
import { EndpointPool, backoffMs } from "../src/providers/pool.js";
import { DEFAULT_PROVIDER_OPTIONS, type ProviderEvent, type ProviderOptions } from "../src/providers/types.js";
import { defaultFakeAnswer, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type Fault } from "./helpers/fake-openai.js";

// Every test talks to a loopback server; the key only proves it is sent and never leaked.
const KEY = "sk-atp-test-7f3a9c1e5b";
process.env.OPENAI_API_KEY = KEY;

/** Short waits so retries take milliseconds, not seconds. */
const FAST: Partial<ProviderOptions> = { backoffBaseMs: 10, backoffCapMs: 100, timeoutMs: 5000 };

function call(seed: number, content = "Pick a route."): AgentCall {
  return {
    suite: "roleplay",
    episode: "roleplay/0",
    round: 0,
    agent: 0,
    repeat: 0,
    seed,
    messages: [
      { role: "system", content: "You are a delivery worker." },
      { role: "user", content },
    ],
    options: { aligned: "Route A", deviant: "Route B" },
    seen: [],
  };
}

async function openai(spec: string, options: Partial<ProviderOptions>): Promise<OpenAIAgent> {
  return (await createAgent(spec, { ...FAST, ...options })) as OpenAIAgent;
}

/** Starts fake servers, hands them to `fn`, and always closes them and the agents made. */
async function withServers(
  configs: FakeOpenAIOptions[],
  fn: (servers: FakeOpenAI[], track: (agent: Agent) => Agent) => Promise<void>,
): Promise<void> {
  const servers = await Promise.all(configs.map((c) => startFakeOpenAI(c)));
  const agents: Agent[] = [];
  try {
    await fn(servers, (agent) => {
      agents.push(agent);
      return agent;
    });
  } finally {
    for (const agent of agents) await agent.close?.();
    await Promise.all(servers.map((s) => s.close()));
  }
}

async function rejectsCall(promise: Promise<unknown>, check: (err: CallError) => void): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CallError, `expected CallError, got ${String(err)}`);
    check(err);
    return true;
  });
}

// ---- a plain call ----

test("a call sends model, messages, seed, sampling and server extras, with the API key", () =>
  withServers([{}], async ([server], track) => {
    const spec = "openai:fake-model?temperature=0.6&top_k=20&enable_thinking=false";
    const agent = track(
      await openai(spec, {
        baseUrls: [server.url],
        sampling: { maxTokens: 64, topP: 0.9, temperature: 1.0, extra: { min_p: 0.05, chat_template_kwargs: { foo: 1 } } },
      }),
    ) as OpenAIAgent;
    assert.equal(agent.id, spec);
    const reply = await agent.respond(call(42));
    assert.equal(reply.text, defaultFakeAnswer(42));
    assert.equal(reply.attempts, 1);
    assert.ok(typeof reply.promptTokens === "number" && reply.promptTokens > 0);
    assert.equal(reply.completionTokens, 4);

    assert.equal(server.requests.length, 1);
    const { body, headers } = server.requests[0];
    assert.equal(body.model, "fake-model");
    assert.deepEqual(body.messages, call(42).messages);
    assert.equal(body.seed, 42);
    // The model string's temperature wins over the options'.
    assert.equal(body.temperature, 0.6);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.max_tokens, 64);
    assert.equal(body.top_k, 20);
    assert.equal(body.min_p, 0.05);
    assert.deepEqual(body.chat_template_kwargs, { foo: 1, enable_thinking: false });
    assert.equal(headers.authorization, `Bearer ${KEY}`);

    // The cache identity is the endpoint, the model and its sampling, sorted; not the key.
    const sampling = { chat_template_kwargs: { enable_thinking: false, foo: 1 }, max_tokens: 64, min_p: 0.05, temperature: 0.6, top_k: 20, top_p: 0.9 };
    const endpoints = [{ served: null, url: server.url }];
    assert.equal(agent.cacheIdentity, JSON.stringify({ endpoints, model: "fake-model", provider: "openai", sampling }));
    assert.ok(!agent.cacheIdentity.includes(KEY));
    const reordered = { extra: { chat_template_kwargs: { foo: 1 }, min_p: 0.05 }, topP: 0.9, maxTokens: 64 };
    const same = track(await openai(spec, { baseUrls: [server.url], sampling: reordered }));
    assert.equal(same.cacheIdentity, agent.cacheIdentity, "key order does not matter");
    const elsewhere = track(await openai(spec, { baseUrls: ["http://127.0.0.1:9/v1"], sampling: reordered }));
    assert.notEqual(elsewhere.cacheIdentity, agent.cacheIdentity, "another server may serve other weights under the name");
    const hotter = track(await openai("openai:fake-model?temperature=0.7", { baseUrls: [server.url] }));
    assert.notEqual(hotter.cacheIdentity, agent.cacheIdentity);
  }));

test("without OPENAI_API_KEY a placeholder key is sent (local servers accept anything)", () =>
  withServers([{}], async ([server], track) => {
    delete process.env.OPENAI_API_KEY;
    try {
      const agent = track(await openai("openai:m", { baseUrls: [server.url] }));
      assert.equal((await agent.respond(call(1))).text, defaultFakeAnswer(1));
      assert.equal(server.requests[0].headers.authorization, "Bearer not-needed");
      assert.equal(server.requests[0].body.temperature, undefined, "unset sampling is left to the server");
    } finally {
      process.env.OPENAI_API_KEY = KEY;
    }
  }));

// ---- faults ----

const RETRIED: Array<{ name: string; fault: Fault; error: RegExp }> = [
  { name: "HTTP 500", fault: { status: 500 }, error: /500/ },
  { name: "HTTP 503", fault: { status: 503 }, error: /503/ },
  { name: "a request that hangs past the timeout", fault: { hang: true }, error: /no response within 500 ms/ },
  { name: "a 200 that is not a completion", fault: { malformed: true }, error: /no choices\[0\]\.message/ },
  { name: "a 200 with broken JSON", fault: { malformed: "json" }, error: /not valid JSON/ },
  { name: "a connection dropped mid-response", fault: { drop: true }, error: /terminated|socket|closed/i },
];

for (const { name, fault, error } of RETRIED) {
  test(`${name} is retried, then the call succeeds and counts its attempts`, () =>
    withServers([{ fault: (i) => (i < 2 ? fault : undefined) }], async ([server], track) => {
      const events: ProviderEvent[] = [];
      const agent = track(
        await openai("openai:m", { baseUrls: [server.url], timeoutMs: 500, onEvent: (e) => events.push(e) }),
      ) as OpenAIAgent;
      const reply = await agent.respond(call(7));
      assert.equal(reply.text, defaultFakeAnswer(7));
      assert.equal(reply.attempts, 3);
      assert.equal(server.requests.length, 3);
      assert.deepEqual(
        events.map((e) => [e.kind, e.attempt, e.endpoint]),
        [
          ["retry", 1, server.url],
          ["retry", 2, server.url],
        ],
      );
      for (const e of events) assert.match(e.error, error);
      assert.equal(events[0].waitMs, backoffMs(1, 7, 10, 100), "backoff is seeded by the call seed");
      const stats = agent.pool.stats();
      assert.equal(stats.requests, 3);
      assert.equal(stats.retries, 2);
      assert.equal(stats.succeeded, 1);
      assert.equal(stats.errors, 0);
      if ("hang" in fault) assert.equal(stats.timeouts, 2);
      assert.equal(agent.pool.inFlight(server.url), 0);
    }));
}

test("a generation the server aborted (finish_reason abort) is retried, never taken as an answer", () =>
  withServers(
    [
      {
        respond: (body: { seed?: unknown }, i: number) =>
          i < 1
            ? { body: { object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "partial {\"choice\": \"A\"" }, finish_reason: "abort" }] } }
            : defaultFakeAnswer(body.seed),
      },
    ],
    async ([server], track) => {
      const events: ProviderEvent[] = [];
      const agent = track(await openai("openai:m", { baseUrls: [server.url], timeoutMs: 500, onEvent: (e) => events.push(e) })) as OpenAIAgent;
      const reply = await agent.respond(call(7));
      assert.equal(reply.text, defaultFakeAnswer(7));
      assert.equal(reply.attempts, 2);
      assert.equal(events.length, 1);
      assert.match(events[0].error, /aborted the generation/);
    },
  ));

test("429 with Retry-After: 1 waits about a second, and the endpoint's limit halves then recovers", () =>
  withServers([{ fault: (i) => (i === 0 ? { status: 429, retryAfter: 1 } : undefined) }], async ([server], track) => {
    const events: ProviderEvent[] = [];
    const agent = track(
      await openai("openai:m", { baseUrls: [server.url], concurrency: 4, onEvent: (e) => events.push(e) }),
    ) as OpenAIAgent;
    const started = Date.now();
    const reply = await agent.respond(call(3));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 950, `waited only ${elapsed} ms`);
    assert.equal(reply.attempts, 2);
    assert.equal(events.length, 1);
    assert.equal(events[0].kind, "rate-limited");
    assert.equal(events[0].waitMs, 1000);
    assert.equal(agent.pool.limit(server.url), 2, "halved from 4");
    assert.equal(agent.pool.stats().rateLimited, 1);
    // Additive increase: `limit` successes in a row raise it by one (the retry was the first).
    await agent.respond(call(4));
    assert.equal(agent.pool.limit(server.url), 3);
    for (let i = 0; i < 3; i++) await agent.respond(call(10 + i));
    assert.equal(agent.pool.limit(server.url), 4);
    for (let i = 0; i < 10; i++) await agent.respond(call(20 + i));
    assert.equal(agent.pool.limit(server.url), 4, "never above the configured cap");
  }));

test("429 honours retry-after-ms, and falls back to the backoff without a header", () =>
  withServers(
    [{ fault: (i) => (i === 0 ? { status: 429, retryAfterMs: 150 } : i === 2 ? { status: 429 } : undefined) }],
    async ([server], track) => {
      const events: ProviderEvent[] = [];
      const agent = track(await openai("openai:m", { baseUrls: [server.url], onEvent: (e) => events.push(e) }));
      const started = Date.now();
      assert.equal((await agent.respond(call(5))).attempts, 2);
      assert.ok(Date.now() - started >= 140);
      assert.equal((await agent.respond(call(6))).attempts, 2);
      assert.deepEqual(
        events.map((e) => [e.kind, e.waitMs]),
        [
          ["rate-limited", 150],
          ["rate-limited", backoffMs(1, 6, 10, 100)],
        ],
      );
    },
  ));

test("exhausted retries reject with a CallError naming the endpoint and last error, never the key", () =>
  withServers([{ fault: () => ({ status: 500, message: `upstream rejected key ${KEY}` }) }], async ([server], track) => {
    const events: ProviderEvent[] = [];
    const agent = track(
      await openai("openai:m", { baseUrls: [server.url], retries: 2, onEvent: (e) => events.push(e) }),
    ) as OpenAIAgent;
    await rejectsCall(agent.respond(call(1)), (err) => {
      assert.equal(err.attempts, 3);
      assert.equal(err.kind, "http");
      assert.equal(err.status, 500);
      assert.equal(err.endpoint, server.url);
      assert.ok(err.message.includes(server.url), err.message);
      assert.ok(err.message.includes("upstream rejected key [redacted]"), err.message);
      assert.ok(!err.message.includes(KEY) && !String(err.stack).includes(KEY));
      assert.ok(!JSON.stringify(err).includes(KEY));
    });
    assert.equal(server.requests.length, 3);
    assert.deepEqual(events.map((e) => e.kind), ["retry", "retry", "failed"]);
    for (const e of events) assert.ok(!e.error.includes(KEY));
    assert.equal(agent.pool.stats().errors, 1);
  }));

test("a server that is down fails as a connection error after the retries", async () => {
  const gone = await startFakeOpenAI();
  await gone.close();
  const agent = await openai("openai:m", { baseUrls: [gone.url], retries: 1 });
  try {
    await rejectsCall(agent.respond(call(1)), (err) => {
      assert.equal(err.kind, "connection");
      assert.equal(err.attempts, 2);
      assert.ok(err.message.includes(gone.url), err.message);
    });
  } finally {
    await agent.close?.();
  }
});

test("400, 401, 403, 404 and 422 fail at once, without retries", () =>
  withServers([{ fault: (_i, body) => ({ status: Number(body.model.slice(1)) }) }], async ([server], track) => {
    for (const status of [400, 401, 403, 404, 422]) {
      const before = server.requests.length;
      const agent = track(await openai(`openai:m${status}`, { baseUrls: [server.url], backoffBaseMs: 5000 }));
      const started = Date.now();
      await rejectsCall(agent.respond(call(1)), (err) => {
        assert.equal(err.attempts, 1);
        assert.equal(err.kind, "http");
        assert.equal(err.status, status);
        assert.match(err.message, new RegExp(`${status} fake ${status} error`));
      });
      assert.ok(Date.now() - started < 2000, "no backoff was waited");
      assert.equal(server.requests.length - before, 1);
    }
  }));

// ---- concurrency and endpoints ----

test("--concurrency 4: twenty calls, at most four at the server at once", () =>
  withServers([{ latencyMs: 40 }], async ([server], track) => {
    const agent = track(await openai("openai:m", { baseUrls: [server.url], concurrency: 4 })) as OpenAIAgent;
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => agent.respond(call(100 + i))));
    replies.forEach((reply, i) => {
      assert.equal(reply.text, defaultFakeAnswer(100 + i));
      assert.equal(reply.attempts, 1);
    });
    assert.equal(server.requests.length, 20);
    assert.equal(server.maxInFlight, 4);
    assert.equal(agent.pool.inFlight(server.url), 0);
    assert.equal(agent.pool.queued(), 0);
  }));

test("two endpoints share the load, each under its own cap", () =>
  withServers([{ latencyMs: 30 }, { latencyMs: 30 }], async ([a, b], track) => {
    const agent = track(await openai("openai:m", { baseUrls: [a.url, b.url], concurrency: 4 }));
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => agent.respond(call(i))));
    replies.forEach((reply, i) => assert.equal(reply.text, defaultFakeAnswer(i)));
    assert.equal(a.requests.length + b.requests.length, 40);
    assert.ok(a.requests.length >= 15 && b.requests.length >= 15, `${a.requests.length} / ${b.requests.length}`);
    assert.ok(a.maxInFlight <= 4 && b.maxInFlight <= 4);
    assert.ok(a.maxInFlight + b.maxInFlight > 4, "both endpoints were used at once");
  }));

test("a retry moves to another endpoint when the first one is failing", () =>
  withServers([{ fault: () => ({ status: 502 }) }, {}], async ([bad, good], track) => {
    const agent = track(await openai("openai:m", { baseUrls: [bad.url, good.url], retries: 2 }));
    for (let seed = 0; seed < 5; seed++) {
      const reply = await agent.respond(call(seed));
      assert.equal(reply.text, defaultFakeAnswer(seed));
      assert.equal(reply.attempts, 2, "first try on the first endpoint, the retry on the other");
    }
    assert.equal(bad.requests.length, 5);
    assert.equal(good.requests.length, 5);
  }));

// ---- model strings ----

test("model-string parameters are checked: unknown keys and bad values are InputErrors", async () => {
  const cases: Array<[string, string[]]> = [
    ["openai:m?temprature=0.5", ["unknown parameter 'temprature'", "temperature, top_p, max_tokens, top_k, enable_thinking"]],
    ["openai:m?temperature=hot", ["parameter 'temperature' must be a number >= 0"]],
    ["openai:m?top_p=1.5", ["parameter 'top_p'"]],
    ["openai:m?max_tokens=0", ["parameter 'max_tokens'", "integer"]],
    ["openai:m?top_k=2.5", ["parameter 'top_k'", "integer"]],
    ["openai:m?enable_thinking=maybe", ["parameter 'enable_thinking' must be true or false"]],
  ];
  for (const [spec, parts] of cases) {
    await assert.rejects(createAgent(spec, { baseUrls: ["http://127.0.0.1:9/v1"] }), (err: unknown) => {
      assert.ok(err instanceof InputError, `${spec}: expected InputError, got ${String(err)}`);
      assert.ok(err.message.includes(`--model '${spec}'`), err.message);
      for (const part of parts) assert.ok(err.message.includes(part), `'${err.message}' lacks '${part}'`);
      return true;
    });
  }
});

test("defaults: concurrency 64, timeout 120 s, 6 retries", () => {
  assert.equal(DEFAULT_PROVIDER_OPTIONS.concurrency, 64);
  assert.equal(DEFAULT_PROVIDER_OPTIONS.timeoutMs, 120_000);
  assert.equal(DEFAULT_PROVIDER_OPTIONS.retries, 6);
});

// ---- the pool on its own ----

test("backoff doubles from 0.5 s up to 30 s, with seeded jitter in [half, full]", () => {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const full = Math.min(30_000, 500 * 2 ** (attempt - 1));
    const wait = backoffMs(attempt, 1234);
    assert.ok(wait >= full / 2 && wait <= full, `attempt ${attempt}: ${wait} not in [${full / 2}, ${full}]`);
    assert.equal(backoffMs(attempt, 1234), wait, "same seed, same wait");
  }
  const spread = new Set(Array.from({ length: 20 }, (_, seed) => backoffMs(3, seed)));
  assert.ok(spread.size > 10, "different calls wait different times");
});

test("Retry-After is read as seconds, an HTTP date, or retry-after-ms", () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfterMs(headers({ "retry-after": "1" })), 1000);
  assert.equal(parseRetryAfterMs(headers({ "retry-after": "0.5" })), 500);
  assert.equal(parseRetryAfterMs(headers({ "retry-after": "2", "retry-after-ms": "250" })), 250);
  assert.equal(parseRetryAfterMs(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now), 3000);
  assert.equal(parseRetryAfterMs(headers({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }), now), 0);
  assert.equal(parseRetryAfterMs(headers({ "retry-after": "soon" })), undefined);
  assert.equal(parseRetryAfterMs(headers({})), undefined);
});

test("pool: a FIFO queue behind the cap, fewest-in-flight endpoint first", async () => {
  const pool = new EndpointPool(["a", "b"], { concurrency: 2, timeoutMs: 5000, retries: 0 });
  const started: Array<[number, string]> = [];
  const finish: Array<() => void> = [];
  const runs = Array.from({ length: 7 }, (_, i) =>
    pool.run(
      (endpoint) =>
        new Promise<number>((resolve) => {
          started.push([i, endpoint]);
          finish.push(() => resolve(i));
        }),
      { seed: i },
    ),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [
    [0, "a"],
    [1, "b"],
    [2, "a"],
    [3, "b"],
  ]);
  assert.equal(pool.inFlight("a"), 2);
  assert.equal(pool.queued(), 3);
  finish[1]();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started[4], [4, "b"], "the head of the queue takes the freed slot");
  for (let i = 0; i < 7; i++) {
    await new Promise((r) => setImmediate(r));
    finish.forEach((f) => f());
  }
  assert.deepEqual(
    (await Promise.all(runs)).map((r) => r.value),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(started.map(([i]) => i), [0, 1, 2, 3, 4, 5, 6]);
  pool.close();
});

test("pool: a burst of 429s from requests sent together halves the limit once", async () => {
  const pool = new EndpointPool(["a"], { concurrency: 8, timeoutMs: 5000, retries: 2 });
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      pool.run(
        async (_endpoint, attempt) => {
          await new Promise((r) => setTimeout(r, 5));
          if (attempt === 1) throw new AttemptFailure("rate-limit", "429 slow down", { status: 429, retryAfterMs: 10 });
          return i;
        },
        { seed: i },
      ),
    ),
  );
  assert.deepEqual(results.map((r) => r.attempts), Array(8).fill(2));
  assert.equal(pool.stats().rateLimited, 8);
  // Halved once (8 -> 4), then raised by the 8 successes (4 in a row -> 5).
  assert.equal(pool.limit("a"), 5);
  pool.close();
});

test("pool: an attempt that ignores its signal still times out", async () => {
  const pool = new EndpointPool(["a"], { concurrency: 1, timeoutMs: 50, retries: 0 });
  let signal: AbortSignal | undefined;
  const started = Date.now();
  await rejectsCall(
    pool.run(
      (_e, _a, s) => {
        signal = s;
        return new Promise<never>(() => {});
      },
      { seed: 0 },
    ),
    (err) => {
      assert.equal(err.kind, "timeout");
      assert.equal(err.attempts, 1);
    },
  );
  assert.ok(Date.now() - started < 1000);
  assert.equal(signal?.aborted, true);
  assert.equal(pool.inFlight("a"), 0, "the slot is free again");
  pool.close();
});

test("pool: an error that is not a request failure is a bug and is not retried", async () => {
  const pool = new EndpointPool(["a"], { concurrency: 1, timeoutMs: 1000, retries: 5 });
  await assert.rejects(
    pool.run(async () => {
      throw new RangeError("bug in the caller");
    }, { seed: 0 }),
    RangeError,
  );
  assert.equal(pool.stats().requests, 1);
  assert.equal(pool.inFlight("a"), 0);
  pool.close();
});

test("pool: close() cancels queued calls and backoff waits", async () => {
  const pool = new EndpointPool(["a"], { concurrency: 1, timeoutMs: 5000, retries: 3, backoffBaseMs: 60_000 });
  const failing = pool.run(async () => {
    throw new AttemptFailure("http", "500 boom", { status: 500 });
  }, { seed: 0 });
  await new Promise((r) => setTimeout(r, 20));
  const queuedBehind = pool.run(() => new Promise<number>(() => {}), { seed: 1 });
  const queued = pool.run(async () => 1, { seed: 2 });
  await new Promise((r) => setTimeout(r, 20));
  pool.close();
  await assert.rejects(failing, /closed/);
  await assert.rejects(queuedBehind, /closed/);
  await assert.rejects(queued, /closed/);
  await assert.rejects(pool.run(async () => 1, { seed: 3 }), /closed/);
});
