/**
 * Real endpoints as researchers meet them, through the real `atp` command: the check before a
 * run (dead port, unknown host, URL without a scheme, wrong key, unknown model, no /models),
 * the error bodies of vLLM, SGLang, llama.cpp and Ollama reaching the message, server text made
 * printable, keys in --base-url kept out of the store, reports and viewer, and the cache keyed
 * by the server and the weights it reports.
 */
import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createAgent } from "../src/agents/registry.js";
import type { AgentCall } from "../src/agents/types.js";
import { printable } from "../src/providers/errors.js";
import type { OpenAIAgent } from "../src/providers/openai.js";
import { choosingAnswer, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type ServerShape } from "./helpers/fake-openai.js";
import { serverShape, type ShapeServer } from "./helpers/openai-shapes.js";
import { repoRoot } from "./helpers/paper.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");
const KEY = "sk-endpoints-test-4d2b8e";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

const root = mkdtempSync(join(tmpdir(), "atp-endpoints-"));
after(() => rmSync(root, { recursive: true, force: true }));

function scratchDir(): string {
  return mkdtempSync(join(root, "t-"));
}

function atp(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, OPENAI_API_KEY: KEY, ...env } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === "number" ? code : 1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A reader of the shapes copy for this test, or null after skipping it when the copy is missing. */
function shapes(t: TestContext): ((server: ShapeServer, name: string) => ServerShape) | null {
  if (serverShape(t, "vllm", "models") === null) return null;
  return (server, name) => {
    const found = serverShape(t, server, name);
    if (found === null) throw new Error(`no shape ${server}.${name}`);
    return found;
  };
}

/** A port nothing listens on: bound, then released. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function withServer(options: FakeOpenAIOptions, fn: (server: FakeOpenAI) => Promise<void>): Promise<void> {
  const server = await startFakeOpenAI({ respond: choosingAnswer, ...options });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** A short role-play run: 64 calls. */
function roleplay(model: string, baseUrl: string, db: string, extra: string[] = []): string[] {
  return ["run", "roleplay", "--model", model, "--base-url", baseUrl, "--rounds", "1", "--db", db, ...extra];
}

/**
 * Asserts a refused run: exit 2, the cause named, no store written, and within seconds: well
 * under the ~30 s the default retries would take (the bound leaves room for a busy machine).
 */
function assertRefused(r: Result, db: string, cause: RegExp, withinMs = 15_000): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, cause);
  assert.ok(r.ms < withinMs, `refused in ${r.ms} ms`);
  assert.ok(!existsSync(db), "no store is written");
}

/** Unknown names answered as the server does, for every model the models shape does not list. */
function unknownModels(models: ServerShape, unknown: ServerShape): FakeOpenAIOptions["fault"] {
  const ids = new Set(((models.body as { data: { id: string }[] }).data ?? []).map((m) => m.id));
  return (_i, body) => (ids.has(body.model) ? undefined : { reply: unknown });
}

test("a dead port, an unknown host and a URL without a scheme give exit 2 within seconds and store nothing", async () => {
  const dir = scratchDir();
  const db = join(dir, "atp.db");
  const port = await deadPort();
  const dead = await atp(roleplay("openai:m", `http://127.0.0.1:${port}/v1`, db), dir);
  assertRefused(dead, db, new RegExp(`endpoint http://127\\.0\\.0\\.1:${port}/v1: cannot connect \\(.*ECONNREFUSED`));

  const dns = await atp(roleplay("openai:m", "http://atp-no-such-host.invalid/v1", db), dir);
  assertRefused(dns, db, /endpoint http:\/\/atp-no-such-host\.invalid\/v1: cannot connect \(.*(ENOTFOUND|EAI_AGAIN)/);

  for (const url of ["127.0.0.1:8000/v1", "localhost:8000/v1"]) {
    const bare = await atp(roleplay("openai:m", url, db), dir);
    assertRefused(bare, db, new RegExp(`--base-url: '${url}' is not an http:// or https:// URL \\(did you mean http://${url}\\?\\)`));
  }

  // `atp align pairs` checks the same way before it stores anything.
  const pairs = await atp(["align", "pairs", "--suite", "roleplay", "--model", "openai:m", "--base-url", `http://127.0.0.1:${port}/v1`, "--db", db], dir);
  assertRefused(pairs, db, /cannot connect/);
});

test("a wrong key is refused before the run (401), and the key never shows", async () => {
  await withServer({ apiKey: "sk-the-right-one" }, async (server) => {
    const dir = scratchDir();
    const db = join(dir, "atp.db");
    const r = await atp(roleplay("openai:fake-model", server.url, db), dir);
    assertRefused(r, db, /refused the API key \(GET \/models: 401 Incorrect API key provided\); set OPENAI_API_KEY/);
    assert.ok(!r.stderr.includes(KEY));
    assert.equal(server.requests.length, 0, "no chat call was made");
    const ok = await atp(roleplay("openai:fake-model", server.url, db), dir, { OPENAI_API_KEY: "sk-the-right-one" });
    assert.equal(ok.code, 0, ok.stderr);
  });
});

for (const name of ["vllm", "ollama"] as const) {
  test(`${name}: an unknown model is refused with the server's own message and the models it lists`, async (t) => {
    const shape = shapes(t);
    if (!shape) return;
    const models = shape(name, "models");
    const unknown = shape(name, "error.unknown-model");
    await withServer({ models, fault: unknownModels(models, unknown) }, async (server) => {
      const dir = scratchDir();
      const db = join(dir, "atp.db");
      const r = await atp(roleplay("openai:gpt-4o", server.url, db), dir);
      const said = (unknown.body as { error: { message: string } }).error.message;
      const listed = (models.body as { data: { id: string }[] }).data.map((m) => m.id).join(", ");
      assertRefused(r, db, new RegExp(`does not serve model 'gpt-4o' \\(404 ${said.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\); it lists ${listed.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      assert.equal(server.requests.length, 1, "one one-token call, then no more");
    });
  });
}

test("Ollama with no models installed (data: null) refuses the run and says it lists none", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  const unknown = shape("ollama", "error.unknown-model");
  await withServer({ models: { status: 200, body: { object: "list", data: null } }, fault: () => ({ reply: unknown }) }, async (server) => {
    const dir = scratchDir();
    const db = join(dir, "atp.db");
    const r = await atp(roleplay("openai:gpt-4o", server.url, db), dir);
    assertRefused(r, db, /does not serve model 'gpt-4o' \(404 model 'gpt-4o' not found\); it lists no models/);
  });
});

test("llama.cpp and SGLang answer any name: the run goes on with the one model they list", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  for (const name of ["llamacpp", "sglang"] as const) {
    await withServer({ models: shape(name, "models") }, async (server) => {
      const dir = scratchDir();
      const extra = ["--extra", '{"max_completion_tokens":512,"min_p":0.1}'];
      const r = await atp(roleplay("openai:whatever-name", server.url, join(dir, "atp.db"), extra), dir);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(server.requests.length, 65, `${name}: one one-token call, then the 64 calls of the run`);
      const [probe, first] = server.requests.map((q) => q.body);
      assert.deepEqual([probe.max_tokens, probe.max_completion_tokens, probe.min_p], [1, undefined, 0.1], "the test call is the run's request, one token long");
      assert.equal(first.max_completion_tokens, 512);
    });
  }
});

test("a server without /models still runs: one one-token call checks it", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  const absent = { status: 404, body: { detail: "Not Found" } };
  await withServer({ models: absent }, async (server) => {
    const dir = scratchDir();
    const r = await atp(roleplay("openai:fake-model", server.url, join(dir, "atp.db")), dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.requests.length, 65);
  });
  // ...and when that call is refused, so is the run, with the server's words (SGLang's flat envelope).
  const flat = shape("sglang", "error.invalid-request");
  await withServer({ models: absent, fault: () => ({ reply: flat }) }, async (server) => {
    const dir = scratchDir();
    const db = join(dir, "atp.db");
    const r = await atp(roleplay("openai:fake-model", server.url, db), dir);
    assertRefused(r, db, /refused model 'fake-model': 400 max_tokens must be positive/);
  });
});

test("error bodies of every server reach the failed episode's message; escape sequences are stripped", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  const cases: [string, ServerShape][] = [
    ["sglang", shape("sglang", "error.context-length")],
    ["vllm", shape("vllm", "error.context-length")],
    ["llamacpp", shape("llamacpp", "error.context-length")],
    ["ollama", shape("ollama", "error.context-length")],
  ];
  for (const [name, answer] of cases) {
    await withServer({ fault: (i) => (i >= 4 ? { reply: answer } : undefined) }, async (server) => {
      const dir = scratchDir();
      const db = join(dir, "atp.db");
      const r = await atp(roleplay("openai:fake-model", server.url, db, ["--retries", "0", "--concurrency", "4"]), dir);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      const body = answer.body as { message?: string; error?: { message: string } };
      const said = body.error?.message ?? body.message!;
      assert.ok(r.stderr.includes(`(http): 400 ${said}`), `${name}: ${r.stderr}`);
      const store = new Database(db, { readonly: true });
      const errors = store.prepare("SELECT error FROM episodes WHERE status = 'failed'").all() as { error: string }[];
      store.close();
      assert.equal(errors.length, 60, `${name}: four episodes answered, sixty failed`);
      assert.ok(errors.every((e) => e.error.includes(said)), name);
    });
  }

  const hostile = { status: 400, body: { error: { message: "\u001b[31mbad\u001b[0m request\u001b]0;owned\u0007\r\nnext line\u0008", type: "x" } } };
  await withServer({ fault: () => ({ reply: hostile }) }, async (server) => {
    const dir = scratchDir();
    const r = await atp(roleplay("openai:fake-model", server.url, join(dir, "atp.db"), ["--retries", "0"]), dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\(http\): 400 bad request next line/);
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.stderr), "no control characters reach the terminal");
  });
});

test("the pool keeps the last error, printable and without the key, while retries go on", async () => {
  let failures = 2;
  await withServer(
    { fault: () => (failures-- > 0 ? { status: 503, message: `\u001b[1mloading\u001b[0m ${KEY}` } : undefined) },
    async (server) => {
      process.env.OPENAI_API_KEY = KEY;
      const agent = (await createAgent("openai:fake-model", { baseUrls: [server.url], backoffBaseMs: 5, backoffCapMs: 10 })) as OpenAIAgent;
      try {
        assert.equal(agent.pool.lastError(), undefined);
        const call: AgentCall = { suite: "roleplay", episode: "roleplay/0", round: 0, agent: 0, repeat: 0, seed: 1, messages: [{ role: "user", content: "hi" }], options: { aligned: "A", deviant: "B" }, seen: [] };
        const reply = await agent.respond(call);
        assert.equal(reply.attempts, 3);
        assert.deepEqual(agent.pool.lastError(), { endpoint: server.url, error: "503 loading [redacted]" });
      } finally {
        await agent.close?.();
        delete process.env.OPENAI_API_KEY;
      }
    },
  );
});

test("each server's error shapes: 5xx are retried with the server's words as the last error, 4xx fail the call with them", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  const cases: [ServerShape, boolean][] = [
    [shape("vllm", "error.internal"), true],
    [shape("sglang", "error.internal"), true],
    [shape("llamacpp", "error.loading"), true],
    [shape("ollama", "error.overloaded"), true],
    [shape("vllm", "error.invalid-request"), false],
    [shape("sglang", "error.invalid-request"), false],
    [shape("llamacpp", "error.invalid-request"), false],
    [shape("ollama", "error.invalid-request"), false],
  ];
  process.env.OPENAI_API_KEY = KEY;
  try {
    for (const [answer, retried] of cases) {
      const body = answer.body as { message?: string; error?: { message: string } };
      const said = printable(body.error?.message ?? body.message!);
      await withServer({ fault: (i) => (i === 0 ? { reply: answer } : undefined) }, async (server) => {
        const agent = (await createAgent("openai:fake-model", { baseUrls: [server.url], backoffBaseMs: 5, backoffCapMs: 10 })) as OpenAIAgent;
        try {
          const call: AgentCall = { suite: "roleplay", episode: "roleplay/0", round: 0, agent: 0, repeat: 0, seed: 1, messages: [{ role: "user", content: "hi" }], options: { aligned: "A", deviant: "B" }, seen: [] };
          if (retried) {
            assert.equal((await agent.respond(call)).attempts, 2, said);
          } else {
            await assert.rejects(agent.respond(call), (err: Error) => err.message.endsWith(`(http): ${answer.status} ${said}`));
          }
          assert.deepEqual(agent.pool.lastError(), { endpoint: server.url, error: `${answer.status} ${said}` });
        } finally {
          await agent.close?.();
        }
      });
    }
  } finally {
    delete process.env.OPENAI_API_KEY;
  }
});

test("a server still loading its model (llama.cpp's 503) is asked three times, then the run is refused", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  await withServer({ models: shape("llamacpp", "error.loading") }, async (server) => {
    const dir = scratchDir();
    const db = join(dir, "atp.db");
    const r = await atp(roleplay("openai:fake-model", server.url, db), dir);
    // Three tries, 1 s and 2 s apart.
    assertRefused(r, db, /is not ready: GET \/models answered 503 Loading model \(3 tries\)/, 25_000);
    assert.ok(r.ms >= 3000, "the check waited between its tries");
  });
});

test("a key written into --base-url never reaches the store, reports, viewer or messages; resume asks for it again", async () => {
  const secret = "hunter2-in-the-url";
  await withServer({}, async (server) => {
    const dir = scratchDir();
    const db = join(dir, "atp.db");
    const url = server.url.replace("http://", `http://researcher:${secret}@`);
    const r = await atp([...roleplay("openai:fake-model", url, db), "--run-id", "keyed"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.requests.length, 64, "the run reached the server through the URL");
    assert.ok(!(r.stdout + r.stderr).includes(secret));
    for (const file of readdirSync(dir).filter((f) => f.startsWith("atp.db"))) {
      assert.ok(!readFileSync(join(dir, file)).includes(secret), `${file} holds no key`);
    }
    const store = new Database(db, { readonly: true });
    const { config_json } = store.prepare("SELECT config_json FROM runs WHERE id = 'keyed'").get() as { config_json: string };
    store.close();
    assert.deepEqual(JSON.parse(config_json).provider.baseUrls, [server.url.replace("http://", "http://***:***@")]);

    const out = join(dir, "report");
    const report = await atp(["report", "keyed", "--db", db, "--format", "md,csv,json,html", "--out", out], dir);
    assert.equal(report.code, 0, report.stderr);
    const written = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.ok(written.length >= 4, "md, csv, json and html were written");
    for (const file of written) assert.ok(!readFileSync(join(file.parentPath, file.name)).includes(secret), `report ${file.name} holds no key`);

    const view = spawn(process.execPath, [CLI, "view", "--db", db, "--port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let text = "";
        view.stdout.on("data", (d: Buffer) => {
          text += d.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (m) resolve(m[1]);
        });
        view.on("exit", () => reject(new Error(`atp view exited: ${text}`)));
      });
      for (const path of ["api/runs", "api/runs/keyed", "api/runs/keyed/episodes", "api/runs/keyed/episodes/0"]) {
        const res = await fetch(base + path);
        assert.equal(res.status, 200, path);
        assert.ok(!(await res.text()).includes(secret), `viewer ${path} holds no key`);
      }
    } finally {
      view.kill("SIGINT");
    }

    const resumed = await atp(["resume", "keyed", "--db", db], dir);
    assert.equal(resumed.code, 2);
    assert.match(resumed.stderr, /run 'keyed' was started with a key in --base-url, which is not stored; give --base-url again/);
    const dead = await atp(["resume", "keyed", "--db", db, "--base-url", `http://127.0.0.1:${await deadPort()}/v1`], dir);
    assert.equal(dead.code, 2, "resume checks the endpoint too");
    assert.match(dead.stderr, /cannot connect/);
    const again = await atp(["resume", "keyed", "--db", db, "--base-url", url], dir);
    assert.equal(again.code, 0, again.stderr);
  });
});

test("the cache replays for the same server and asks again for another base URL or other weights under the same name", async (t) => {
  const shape = shapes(t);
  if (!shape) return;
  const models = shape("vllm", "models");
  await withServer({ models }, async (a) => {
    await withServer({ models }, async (b) => {
      const dir = scratchDir();
      const db = join(dir, "atp.db");
      const first = await atp(roleplay("openai:my-lora", a.url, db), dir);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(a.requests.length, 64);
      assert.doesNotMatch(first.stderr, /[1-9]\d* from the cache/);

      const same = await atp(roleplay("openai:my-lora", a.url, db), dir);
      assert.equal(same.code, 0, same.stderr);
      assert.equal(a.requests.length, 64, "the same server and weights replay from the cache");
      assert.match(same.stderr, /\b64 from the cache\b/);
      assert.match(same.stderr, /a run with --no-cache asks the model again/);
      assert.equal(same.stdout.split("\n").slice(1).join("\n"), first.stdout.split("\n").slice(1).join("\n"), "the same tables");

      const elsewhere = await atp(roleplay("openai:my-lora", b.url, db), dir);
      assert.equal(elsewhere.code, 0, elsewhere.stderr);
      assert.equal(b.requests.length, 64, "another base URL is asked again");

      // The adapter retrained and served under the same name: vLLM reports another root.
      (models.body as { data: { id: string; root: string }[] }).data[1].root = "/adapters/my-lora-v2";
      const retrained = await atp(roleplay("openai:my-lora", a.url, db), dir);
      assert.equal(retrained.code, 0, retrained.stderr);
      assert.equal(a.requests.length, 128, "other weights under the same name are asked again");
    });
  });
});
