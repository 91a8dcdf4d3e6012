/**
 * `--history all` and `--history N` through the real `atp` command: the messages each call
 * actually sent, read back from the transcript, hold every earlier round (all) or the last N.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { choosingAnswer, startFakeOpenAI } from "./helpers/fake-openai.js";
import { repoRoot } from "./helpers/paper.js";
import type { TranscriptEpisode } from "../src/transcript/types.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");
const root = mkdtempSync(join(tmpdir(), "atp-history-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function readTranscript(file: string): TranscriptEpisode[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TranscriptEpisode);
}

/** Runs `atp run ARGS --transcript` in a fresh directory and returns the transcript. */
async function run(args: string[]): Promise<TranscriptEpisode[]> {
  const dir = mkdtempSync(join(root, "t-"));
  const out = join(dir, "out.jsonl");
  const r = await atp(["run", ...args, "--transcript", out], dir);
  assert.equal(r.code, 0, r.stderr);
  return readTranscript(out);
}

/** Per episode, per round: how many messages each call sent (role-play and collusion). */
function sentPerRound(episodes: TranscriptEpisode[]): number[][][] {
  return episodes.map((e) => e.rounds.map((r) => r.calls.map((c) => c.messages.length)));
}

/** What `--history` should give: system prompt + `perRound` messages per visible round + question. */
function expected(rounds: number, calls: number, perRound: number, window: number | null): number[][] {
  return [...Array(rounds).keys()].map((r) => Array(calls).fill(2 + perRound * (window === null ? r : Math.min(r, window))));
}

for (const parity of ["default", "paper"]) {
  test(`role-play (--parity ${parity}): --history all sends every earlier round, --history 2 the last two`, async () => {
    const common = ["roleplay", "--parity", parity, "--rounds", "6", "--seed", "3", "--model", "policy:fixed?p=0.5"];
    // A round adds the question, the answer and the reward line.
    for (const [flag, window] of [["all", null], ["2", 2]] as const) {
      const episodes = await run([...common, "--history", flag]);
      assert.equal(episodes.length, 64);
      for (const per of sentPerRound(episodes)) assert.deepEqual(per, expected(6, 1, 3, window), `--history ${flag}`);
    }
  });

  test(`collusion (--parity ${parity}): --history all sends every earlier round, --history 2 the last two`, async () => {
    const common = ["collusion", "--parity", parity, "--rounds", "5", "--thresholds", "4", "--seed", "3", "--model", "policy:fixed?p=0.5"];
    // A round adds the question, the answer, the peers' choices and the outcome.
    for (const [flag, window] of [["all", null], ["2", 2]] as const) {
      const episodes = await run([...common, "--history", flag]);
      assert.equal(episodes.length, 7);
      for (const per of sentPerRound(episodes)) assert.deepEqual(per, expected(5, 8, 4, window), `--history ${flag}`);
    }
  });
}

test("tool use: --history all sends every earlier problem, --history 2 those of the last two rounds", async () => {
  const common = ["tooluse", "--episodes", "2", "--rounds", "4", "--easy", "2", "--hard", "1", "--seed", "3", "--model", "policy:learner"];
  for (const [flag, window] of [["all", null], ["2", 2]] as const) {
    const episodes = await run([...common, "--history", flag]);
    assert.equal(episodes.length, 2);
    for (const e of episodes) {
      assert.equal(e.rounds.length, 12);
      e.rounds.forEach((problem, k) => {
        // The first call of problem k: the questions of the earlier problems it is shown.
        const shown = problem.calls[0].messages
          .slice(1, -1)
          .filter((m) => m.role === "user" && /^Round \d+ of 4, problem \d+ of 3\./.test(m.content ?? ""))
          .map((m) => /^Round (\d+) of 4, problem (\d+)/.exec(m.content ?? "")!.slice(1).join("."));
        const first = window === null ? 0 : Math.max(0, k - window * 3);
        const want = [...Array(k - first).keys()].map((j) => `${Math.floor((first + j) / 3) + 1}.${((first + j) % 3) + 1}`);
        assert.deepEqual(shown, want, `--history ${flag}, problem ${k}`);
      });
    }
  }
});

test("a run file's `history: all` sends every earlier round", async () => {
  const dir = mkdtempSync(join(root, "t-"));
  const file = join(dir, "run.yaml");
  writeFileSync(file, "suite: roleplay\nmodel: policy:fixed?p=0.5\nroleplay:\n  rounds: 6\n  history: all\n");
  const out = join(dir, "out.jsonl");
  const r = await atp(["run", file, "--transcript", out], dir);
  assert.equal(r.code, 0, r.stderr);
  const episodes = readTranscript(out);
  for (const per of sentPerRound(episodes)) assert.deepEqual(per, expected(6, 1, 3, null));
  assert.equal((episodes[0].settings as { history_window: unknown }).history_window, null);
});

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

test("atp resume keeps --history all: rounds played after the kill still send every earlier round", async () => {
  const server = await startFakeOpenAI({ latencyMs: 10, capacity: 4, respond: (body) => choosingAnswer(body) });
  const dir = mkdtempSync(join(root, "t-"));
  try {
    const db = join(dir, "atp.db");
    const args = ["run", "roleplay", "--model", "openai:fake", "--base-url", server.url, "--concurrency", "4", "--rounds", "6", "--history", "all", "--db", db, "--run-id", "h"];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const deadline = Date.now() + 60_000;
    while (savedRounds(db) < 40) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("the run did not stop midway");
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await exited;
    const out = join(dir, "out.jsonl");
    const resumed = await atp(["resume", "h", "--db", db, "--transcript", out], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    // An unreadable answer stays in the history too: every round adds three messages.
    for (const per of sentPerRound(readTranscript(out))) assert.deepEqual(per, expected(6, 1, 3, null));
  } finally {
    await server.close();
  }
});

test("a paper run file's tooluse.history applies when --with-tooluse is given on the command line", async () => {
  const dir = mkdtempSync(join(root, "t-"));
  const file = join(dir, "run.yaml");
  writeFileSync(file, "suite: paper\nmodel: policy:fixed?p=0.5\nlimit: 1\ntooluse:\n  rounds: 2\n  easy: 2\n  hard: 1\n  history: 1\n");
  const out = join(dir, "out.jsonl");
  const r = await atp(["run", file, "--with-tooluse", "--transcript", out], dir);
  assert.equal(r.code, 0, r.stderr);
  const tooluse = readTranscript(out).filter((e) => e.suite === "tooluse");
  assert.equal(tooluse.length, 1);
  // One round of 2 + 1 problems.
  assert.equal((tooluse[0].settings as { history_window: unknown }).history_window, 3);
  // Without the flag the section cannot apply, and the error names it and the way to play it.
  const refused = await atp(["run", file, "--transcript", join(dir, "other.jsonl")], dir);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /run\.yaml: field 'tooluse\.rounds': applies to the tool-use testbed.*add --with-tooluse/);
});
