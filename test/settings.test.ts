/** Run files with server settings, `.env`, and `atp init`: the real command line in a fresh folder. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDotenv, loadDotenv } from "../src/core/dotenv.js";
import { InputError } from "../src/core/errors.js";
import { configFromRecord, configRecord, defaultConfig, loadConfigFile } from "../src/run/config.js";
import { startFakeOpenAI } from "./helpers/fake-openai.js";
import { atp, cleanEnv as baseEnv } from "./helpers/atp-cli.js";
import { repoRoot } from "./helpers/paper.js";

const root = mkdtempSync(join(tmpdir(), "atp-settings-"));
after(() => rmSync(root, { recursive: true, force: true }));
const cleanEnv = (extra: Record<string, string> = {}) => baseEnv(join(root, "cache"), extra);

const dir = () => mkdtempSync(join(root, "t-"));
const tables = (stdout: string) => stdout.split("\n").slice(1).join("\n");

test("atp init writes a run file that runs as written and refuses to overwrite it", async () => {
  const cwd = dir();
  const init = await atp(["init"], cwd);
  assert.equal(init.code, 0, init.stderr);
  const text = readFileSync(join(cwd, "atp.yaml"), "utf8");
  assert.match(text, /^# .*docs\/config\.md/m, "the file is commented");
  const fromFile = await atp(["run", "atp.yaml"], cwd);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const fromFlags = await atp(["run", "paper", "--seed", "0"], cwd);
  assert.equal(tables(fromFile.stdout), tables(fromFlags.stdout), "the file holds the paper's settings");

  writeFileSync(join(cwd, "mine.yaml"), "suite: roleplay\n");
  const again = await atp(["init", "mine.yaml"], cwd);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /mine\.yaml already exists/);
  assert.equal(readFileSync(join(cwd, "mine.yaml"), "utf8"), "suite: roleplay\n", "left as it was");
});

test("init's commented server and sampling settings, uncommented, reach the server; the key comes from .env", async () => {
  const server = await startFakeOpenAI();
  try {
    const cwd = dir();
    assert.equal((await atp(["init", "real.yaml"], cwd)).code, 0);
    const keys = ["baseUrl", "concurrency", "timeout", "retries", "temperature", "topP", "maxTokens", "topK", "extra"];
    const text = readFileSync(join(cwd, "real.yaml"), "utf8")
      .replace(/^model: .*$/m, "model: openai:fake-model")
      .replace(new RegExp(`^# (${keys.join("|")}): `, "gm"), "$1: ")
      .replace(/^baseUrl: .*$/m, `baseUrl: ${server.url}`);
    writeFileSync(join(cwd, "real.yaml"), text);
    writeFileSync(join(cwd, ".env"), "# the key\nOPENAI_API_KEY='sk-from-dotenv'\n");
    const r = await atp(["run", "real.yaml", "--rounds", "1", "--top-k", "7"], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(server.requests.length > 0);
    const { body, headers } = server.requests[0];
    assert.equal(body.model, "fake-model");
    assert.equal(body.temperature, 0.6);
    assert.equal(body.top_p, 0.95);
    assert.equal(body.max_tokens, 4096);
    assert.equal(body.top_k, 7, "a flag overrides the run file");
    assert.deepEqual(body.chat_template_kwargs, { enable_thinking: false });
    assert.equal(headers.authorization, "Bearer sk-from-dotenv");

    const before = server.requests.length;
    const shell = await atp(["run", "real.yaml", "--rounds", "1", "--no-cache"], cwd, cleanEnv({ OPENAI_API_KEY: "sk-from-shell" }));
    assert.equal(shell.code, 0, shell.stderr);
    assert.equal(server.requests[before].headers.authorization, "Bearer sk-from-shell", ".env never overrides the environment");
  } finally {
    await server.close();
  }
});

test("a run file with a key is refused: keys come from the environment", async () => {
  const cwd = dir();
  writeFileSync(join(cwd, "k.yaml"), "suite: paper\nmodel: openai:gpt-4o\napiKey: sk-secret\n");
  const r = await atp(["run", "k.yaml"], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /k\.yaml: field 'apiKey': keys are not read from run files: set OPENAI_API_KEY in the environment or in a \.env file/);
  assert.doesNotMatch(r.stderr, /sk-secret/);
});

test("a malformed .env stops every command with its line, exit 2", async () => {
  const cwd = dir();
  writeFileSync(join(cwd, ".env"), "A=1\nnot a setting\n");
  const r = await atp(["runs"], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\.env:2: expected NAME=value/);
});

test(".env reader: comments, export, quotes and escapes", () => {
  const text = [
    "# comment",
    "",
    "PLAIN=a b  # trailing comment",
    "export EXPORTED=1",
    "SINGLE='x # not a comment \\n'",
    'DOUBLE="line\\nnext \\"q\\""  # c',
    "EMPTY=",
    "URL=http://h:8000/v1#frag",
  ].join("\n");
  assert.deepEqual(parseDotenv(text, ".env"), {
    PLAIN: "a b",
    EXPORTED: "1",
    SINGLE: "x # not a comment \\n",
    DOUBLE: 'line\nnext "q"',
    EMPTY: "",
    URL: "http://h:8000/v1#frag",
  });
  assert.throws(() => parseDotenv('A="open', ".env"), (e: unknown) => e instanceof InputError && /\.env:1: .*not closed/.test(e.message));
  assert.throws(() => parseDotenv("A='x' y", ".env"), (e: unknown) => e instanceof InputError && /\.env:1: unexpected text/.test(e.message));
  const cwd = dir();
  writeFileSync(join(cwd, ".env"), "SET=from-file\nUNSET=from-file\n");
  const env: NodeJS.ProcessEnv = { SET: "from-shell" };
  assert.deepEqual(loadDotenv(cwd, env), ["UNSET"]);
  assert.deepEqual(env, { SET: "from-shell", UNSET: "from-file" });
  assert.deepEqual(loadDotenv(dir(), env), [], "no .env: nothing to read");
});

test("every run file in examples/ loads and validates", () => {
  const files = readdirSync(join(repoRoot, "examples")).filter((f) => f.endsWith(".yaml"));
  assert.ok(files.length >= 3);
  for (const f of files) {
    const config = loadConfigFile(join(repoRoot, "examples", f));
    assert.ok(config.suite, f);
  }
  const openai = loadConfigFile(join(repoRoot, "examples", "openai.yaml"));
  assert.deepEqual(openai.provider.baseUrls, ["http://127.0.0.1:8000/v1"]);
  assert.deepEqual(openai.sampling, { temperature: 0.6, topP: 0.95, maxTokens: 4096, topK: 20, extra: { chat_template_kwargs: { enable_thinking: false } } });
});

test("a run's record keeps each testbed's settings under its id, laid out as runs stored before kept them", () => {
  const config = defaultConfig("paper");
  const record = configRecord(config);
  assert.deepEqual(Object.keys(record), [
    "suite", "model", "sampling", "provider", "datasets", "parity", "seed", "repeats", "transcript", "db", "runId", "cache",
    "roleplay", "collusion", "tooluse", "withToolUse", "limit", "scoreTruncated", "historyReasoning",
  ]);
  assert.deepEqual(record.roleplay, { rounds: 6, historyWindow: 5, supervision: "all_unsupervised", supervisionSeed: 0, variants: 4 });
  assert.deepEqual(Object.keys(record.collusion as object), ["rounds", "agents", "thresholds", "payoffSets", "peers", "capitalMode", "startCapital", "additiveBase", "successPays", "fixedColluders", "fixedPosition", "historyWindow"]);
  assert.deepEqual(configFromRecord(JSON.parse(JSON.stringify(record))), config);
});
