/**
 * Ctrl-C and SIGTERM through the real `atp` command against a loopback OpenAI-compatible server:
 * the run stops at once even with calls hanging in flight, exits 130 / 143, is marked interrupted
 * in the store, says what it saved and how to continue, and `atp resume` ends it exactly as an
 * uninterrupted run with the same seed. A pair run (`atp align pairs`) stops the same way, and the
 * same command ends it as an uninterrupted one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { choosingAnswer, startFakeOpenAI } from "./helpers/fake-openai.js";
import { repoRoot } from "./helpers/paper.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");

function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function query<T>(db: string, sql: string): T | undefined {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return conn.prepare(sql).get() as T;
    } finally {
      conn.close();
    }
  } catch {
    return undefined; // not created yet
  }
}

const savedRounds = (db: string) => query<{ n: number }>(db, "SELECT count(*) AS n FROM rounds")?.n ?? 0;
const runStatus = (db: string, id: string) => query<{ status: string }>(db, `SELECT status FROM runs WHERE id = '${id}'`)?.status;

/**
 * Starts `atp`, waits until `ready()` (polled), sends `signal`, and returns the exit code, stderr
 * and how long the process took to exit after the signal.
 */
async function stopMidway(args: string[], cwd: string, ready: () => boolean, signal: NodeJS.Signals) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error("the run did not get far enough in time");
    if (child.exitCode !== null) throw new Error(`the run ended before it could be stopped: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const sent = Date.now();
  child.kill(signal);
  const code = await exited;
  return { code, stderr, exitMs: Date.now() - sent };
}

test("Ctrl-C and SIGTERM stop a run cleanly, say how to resume, and the resumed run equals an uninterrupted one", async () => {
  // While `hang` is set, every new request hangs until its client gives up on it.
  let hang = false;
  const server = await startFakeOpenAI({ latencyMs: 15, capacity: 16, respond: (body) => choosingAnswer(body), fault: () => (hang ? { hang: true } : undefined) });
  const dir = mkdtempSync(join(tmpdir(), "atp-stop-"));
  try {
    const common = ["--model", "openai:fake-model", "--base-url", server.url, "--seed", "7", "--concurrency", "16"];
    const db = join(dir, "stopped.db");

    // Ctrl-C while calls hang: the run must not wait for them (the request timeout is 120 s).
    const first = await stopMidway(["run", "paper", ...common, "--db", db, "--run-id", "stopped"], dir, () => {
      if (savedRounds(db) >= 40) hang = true;
      return hang && server.inFlight >= 16;
    }, "SIGINT");
    hang = false;
    assert.equal(first.code, 130, first.stderr);
    assert.ok(first.exitMs < 10_000, `stopped ${first.exitMs} ms after Ctrl-C`);
    const saved = savedRounds(db);
    const message = first.stderr.match(/stopped by SIGINT: run stopped has (\d+) of 92 episodes finished and (\d+) rounds saved in (.+); calls in flight were abandoned/);
    assert.ok(message, first.stderr);
    assert.equal(Number(message[2]), saved, "the message counts the rounds the store holds");
    assert.equal(message[3], db);
    assert.ok(first.stderr.includes(`Continue it with: atp resume stopped --db ${db}`), first.stderr);
    assert.equal(runStatus(db, "stopped"), "interrupted");

    // SIGTERM in a resumed session.
    const second = await stopMidway(["resume", "stopped", "--db", db], dir, () => savedRounds(db) >= saved + 60, "SIGTERM");
    assert.equal(second.code, 143, second.stderr);
    assert.match(second.stderr, /stopped by SIGTERM: run stopped has \d+ of 92 episodes finished/);
    assert.equal(runStatus(db, "stopped"), "interrupted");
    assert.ok(savedRounds(db) >= saved + 60);

    const resumed = await atp(["resume", "stopped", "--db", db, "--transcript", join(dir, "resumed.jsonl")], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(runStatus(db, "stopped"), "done");
    const whole = await atp(["run", "paper", ...common, "--db", join(dir, "whole.db"), "--run-id", "whole", "--transcript", join(dir, "whole.jsonl")], dir);
    assert.equal(whole.code, 0, whole.stderr);
    assert.ok(readFileSync(join(dir, "resumed.jsonl"), "utf8") === readFileSync(join(dir, "whole.jsonl"), "utf8"), "the stopped and resumed run's transcript is byte-identical to the uninterrupted one");
    assert.equal(resumed.stdout.split("\n").slice(1).join("\n"), whole.stdout.split("\n").slice(1).join("\n"));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const savedAnswers = (db: string) => query<{ n: number }>(db, "SELECT count(*) AS n FROM pair_attempts WHERE error IS NULL")?.n ?? 0;
const pairRunStatus = (db: string, id: string) => query<{ status: string }>(db, `SELECT status FROM pair_runs WHERE id = '${id}'`)?.status;

test("Ctrl-C and SIGTERM stop a pair run as they stop a run, and the same command then writes the pairs of an uninterrupted run", async () => {
  let hang = false;
  const server = await startFakeOpenAI({ latencyMs: 15, capacity: 8, respond: (body) => choosingAnswer(body), fault: () => (hang ? { hang: true } : undefined) });
  const dir = mkdtempSync(join(tmpdir(), "atp-stop-pairs-"));
  try {
    const common = ["align", "pairs", "--suite", "roleplay", "--variants", "2", "--model", "openai:fake-model", "--base-url", server.url, "--concurrency", "8", "--seed", "4"];
    const db = join(dir, "stopped.db");
    const args = [...common, "--db", db, "--run-id", "p", "--out", join(dir, "resumed.jsonl")];

    const first = await stopMidway(args, dir, () => {
      if (savedAnswers(db) >= 10) hang = true;
      return hang && server.inFlight >= 8;
    }, "SIGINT");
    hang = false;
    assert.equal(first.code, 130, first.stderr);
    assert.ok(first.exitMs < 10_000, `stopped ${first.exitMs} ms after Ctrl-C`);
    assert.match(first.stderr, /atp: SIGINT: stopping, calls in flight are abandoned \(Ctrl-C again quits at once\)/);
    const message = first.stderr.match(/stopped by SIGINT: pair run p has (\d+) of (\d+) items finished and (\d+) answers saved in (.+); calls in flight were abandoned/);
    assert.ok(message, first.stderr);
    assert.equal(Number(message[3]), savedAnswers(db), "the message counts the answers the store holds");
    assert.equal(message[4], db);
    assert.ok(first.stderr.includes(`Continue it with the same command: atp align pairs ... --run-id p --db ${db}`), first.stderr);
    assert.equal(pairRunStatus(db, "p"), "interrupted");
    assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM pair_attempts WHERE error IS NOT NULL")?.n, 0, "an abandoned call is not saved as a failed one");
    assert.equal(query<{ n: number }>(db, "SELECT count(*) AS n FROM run_locks")?.n, 0, "the lock is released");
    const listed = await atp(["runs", "--db", db, "--json"], dir);
    assert.equal(JSON.parse(listed.stdout)[0].status, "interrupted");

    const saved = savedAnswers(db);
    const second = await stopMidway(args, dir, () => savedAnswers(db) >= saved + 10, "SIGTERM");
    assert.equal(second.code, 143, second.stderr);
    assert.match(second.stderr, /continuing pair run p: \d+ answers already saved/);
    assert.match(second.stderr, /stopped by SIGTERM: pair run p has \d+ of \d+ items finished/);
    assert.equal(pairRunStatus(db, "p"), "interrupted");

    const resumed = await atp(args, dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(pairRunStatus(db, "p"), "done");
    const whole = await atp([...common, "--db", join(dir, "whole.db"), "--run-id", "w", "--out", join(dir, "whole.jsonl")], dir);
    assert.equal(whole.code, 0, whole.stderr);
    const expected = readFileSync(join(dir, "whole.jsonl"), "utf8");
    assert.ok(expected.length > 0, "the run makes pairs");
    assert.ok(readFileSync(join(dir, "resumed.jsonl"), "utf8") === expected, "the stopped and continued pair run writes the pairs of the uninterrupted one");
    assert.equal(resumed.stdout.split("\n").slice(1).join("\n"), whole.stdout.split("\n").slice(1).join("\n").replace("whole.jsonl", "resumed.jsonl"));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
