/**
 * Runs against a loopback OpenAI-compatible server through the real `atp` command: a run killed
 * with SIGKILL mid-way and resumed ends exactly as an uninterrupted run with the same seed, and
 * nothing finished is asked twice.
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
import { diffTranscripts } from "../src/transcript/compare.js";
import type { TranscriptEpisode } from "../src/transcript/types.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");

function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function savedRounds(db: string): number {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare("SELECT count(*) AS n FROM rounds").get() as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0; // not created yet
  }
}

/** Starts `atp run`, waits until at least `rounds` rounds are saved, then kills it with SIGKILL. */
async function killMidway(args: string[], cwd: string, db: string, rounds: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 60_000;
  while (savedRounds(db) < rounds) {
    if (Date.now() > deadline) throw new Error("the run saved no rounds in time");
    if (child.exitCode !== null) throw new Error("the run finished before it could be killed; slow the server down");
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
}

test("a run killed with SIGKILL and resumed equals an uninterrupted run, asking nothing twice", async () => {
  const server = await startFakeOpenAI({ latencyMs: 15, capacity: 16, respond: (body) => choosingAnswer(body) });
  const dir = mkdtempSync(join(tmpdir(), "atp-resume-"));
  try {
    const common = ["--model", "openai:fake-model", "--base-url", server.url, "--seed", "7", "--concurrency", "16"];
    const db = join(dir, "killed.db");
    const run = ["run", "paper", ...common, "--db", db, "--run-id", "killed"];

    // Kill twice at different depths, resuming once in between.
    await killMidway(run, dir, db, 40);
    const firstKill = savedRounds(db);
    await killMidway(["resume", "killed", "--db", db], dir, db, firstKill + 60);
    const before = server.requests.length;
    const savedBefore = savedRounds(db);
    const resumed = await atp(["resume", "killed", "--db", db, "--transcript", join(dir, "resumed.jsonl")], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /continuing run killed/);

    // Calls of saved rounds are never asked again: the last session asked at most for the rest.
    const totalCalls = 64 * 6 + 28 * 3 * 8;
    const askedByLast = server.requests.length - before;
    assert.ok(askedByLast <= totalCalls - savedBefore, `asked ${askedByLast} after ${savedBefore} saved rounds`);

    const whole = await atp(["run", "paper", ...common, "--db", join(dir, "whole.db"), "--run-id", "whole", "--transcript", join(dir, "whole.jsonl")], dir);
    assert.equal(whole.code, 0, whole.stderr);
    const a = readFileSync(join(dir, "resumed.jsonl"), "utf8");
    const b = readFileSync(join(dir, "whole.jsonl"), "utf8");
    assert.equal(a.split("\n").length, 93);
    const parse = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l) as TranscriptEpisode);
    assert.deepEqual(diffTranscripts(parse(b), parse(a)), []);
    assert.ok(a === b, "the resumed run's transcript is byte-identical to the uninterrupted one");
    // Both runs print the same tables.
    assert.equal(resumed.stdout.split("\n").slice(1).join("\n"), whole.stdout.split("\n").slice(1).join("\n"));

    // atp export gives the same transcript from the store.
    const exported = await atp(["export", "killed", "--db", db, "--out", join(dir, "exported.jsonl")], dir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.ok(readFileSync(join(dir, "exported.jsonl"), "utf8") === a, "atp export writes the same transcript");
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a call that exhausts its retries fails its episode, is reported, and --retry-errors finishes it", async () => {
  let broken = true;
  const server = await startFakeOpenAI({
    respond: (body) => choosingAnswer(body),
    // While broken, every call of one role-play episode (recognised by its seed... here: its text) fails.
    fault: (_i, body) => (broken && JSON.stringify(body.messages).includes("parcel") ? { status: 500 } : undefined),
  });
  const dir = mkdtempSync(join(tmpdir(), "atp-retry-"));
  try {
    const db = join(dir, "atp.db");
    const args = ["run", "roleplay", "--model", "openai:fake-model", "--base-url", server.url, "--retries", "1", "--db", db, "--run-id", "r", "--rounds", "2"];
    const first = await atp(args, dir);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /4 episodes failed after their retries/);
    assert.match(first.stderr, /failed after 2 attempts/);
    assert.match(first.stderr, /atp resume r --db .* --retry-errors/);
    assert.match(first.stdout, /violation rate per round \(%\), 60 episodes/, "failed episodes are not scored");
    const runs = await atp(["runs", "--db", db], dir);
    assert.match(runs.stdout, /^r\s+run\s+\S+\s+failed\s+roleplay .* 60\/64 episodes \(4 failed\)/m);

    broken = false;
    const again = await atp(["resume", "r", "--db", db], dir);
    assert.equal(again.code, 1, "without --retry-errors the failed episodes stay failed");
    const retried = await atp(["resume", "r", "--db", db, "--retry-errors"], dir);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /64 episodes/);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
