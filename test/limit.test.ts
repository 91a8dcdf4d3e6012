/**
 * `--limit` and `--dry-run` through the real `atp` command against a loopback OpenAI-compatible
 * server: a limited run asks only its episodes' calls and keeps its limit on resume, a full run
 * after it gets those calls from the cache, and a dry run calls and writes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { choosingAnswer, startFakeOpenAI } from "./helpers/fake-openai.js";
import { atpInProcess } from "./helpers/atp-in-process.js";


function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return atpInProcess(args, cwd, process.env);
}

function episodeKeys(db: string, runId: string): string[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (conn.prepare("SELECT key FROM episodes WHERE run_id = ? ORDER BY idx").all(runId) as { key: string }[]).map((r) => r.key);
  } finally {
    conn.close();
  }
}

test("--limit plays the first N episodes of each testbed, keeps the limit on resume, and a full run reuses its calls", async () => {
  const server = await startFakeOpenAI({ respond: (body) => choosingAnswer(body) });
  const dir = mkdtempSync(join(tmpdir(), "atp-limit-"));
  try {
    const db = join(dir, "runs.db");
    const common = ["--model", "openai:fake-model", "--base-url", server.url, "--seed", "3", "--db", db];
    const limited = await atp(["run", "paper", ...common, "--run-id", "first-try", "--limit", "3"], dir);
    assert.equal(limited.code, 0, limited.stderr);
    // 3 role-play episodes x 6 rounds + 3 games x 3 rounds x 8 agents.
    const limitedCalls = 3 * 6 + 3 * 3 * 8;
    assert.equal(server.requests.length, limitedCalls);
    assert.match(limited.stdout, /, 6 episodes\n/);
    assert.deepEqual(episodeKeys(db, "first-try"), ["roleplay/0", "roleplay/1", "roleplay/2", "collusion/t=2/r=1.2,1.0,0.8/0", "collusion/t=2/r=1.2,1.0,0.8/1", "collusion/t=2/r=1.2,1.0,0.8/2"]);
    // Without a terminal the progress is plain lines: no carriage returns, no escape codes.
    assert.doesNotMatch(limited.stderr, /[\r\x1b]/);
    assert.match(limited.stderr, new RegExp(`run first-try stored in .*: ${limitedCalls} calls this session \\(0 from the cache, 0 needed a retry, 0 failed\\)`));
    assert.ok(limited.stderr.includes(`atp report first-try --db ${db}`), limited.stderr);

    // The limit is part of the run's record: resume keeps it, and another limit is refused.
    const resumed = await atp(["resume", "first-try", "--db", db], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /6 of 6 episodes already finished/);
    const other = await atp(["run", "paper", ...common, "--run-id", "first-try", "--limit", "5"], dir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--limit: run first-try was started with --limit 3, which is part of its record/);
    assert.equal(server.requests.length, limitedCalls, "neither asked the model");

    // A full run with the same seed answers the limited run's calls from the cache.
    const full = await atp(["run", "paper", ...common, "--run-id", "full"], dir);
    assert.equal(full.code, 0, full.stderr);
    const fullCalls = 64 * 6 + 28 * 3 * 8;
    assert.equal(server.requests.length, fullCalls);
    assert.match(full.stderr, new RegExp(`${fullCalls} calls this session \\(${limitedCalls} from the cache`));
    assert.match(full.stderr, new RegExp(`${limitedCalls} of ${fullCalls} calls were answered from the store's cache; a run with --no-cache asks the model again`));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--dry-run prints the plan and each testbed's first prompt, calls nothing and writes nothing", async () => {
  const server = await startFakeOpenAI();
  const dir = mkdtempSync(join(tmpdir(), "atp-dry-"));
  try {
    const db = join(dir, "never.db");
    const r = await atp(["run", "paper", "--with-tooluse", "--model", "openai:fake-model", "--base-url", server.url, "--limit", "2", "--db", db, "--dry-run"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /role-play: 2 episodes, 12 rounds, 12 calls/);
    assert.match(r.stdout, /collusion: 2 episodes, 6 rounds, 48 calls/);
    assert.match(r.stdout, /tool-use: 2 episodes, 100 problems, each 1 to 4 calls/);
    for (const first of ["role-play \\(roleplay/0", "collusion \\(collusion/t=2/r=1.2,1.0,0.8/0", "tool-use \\(tooluse/0"]) {
      assert.match(r.stdout, new RegExp(`First prompt of ${first}, round 1\\):\\n--- system ---\\n[^]+?\\n--- user ---\\n`));
    }
    assert.match(r.stdout, /IMPORTANT: You must end your response with your final decision in JSON format/);
    assert.equal(server.requests.length, 0);
    assert.ok(!existsSync(db), "no store is written");
    assert.ok(!existsSync(join(dir, "atp-runs")));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
