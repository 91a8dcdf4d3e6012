/**
 * The acceptance test of the testbed contract: the lever testbed, defined only in this folder,
 * is registered here and then runs, stores, resumes after kill -9, exports, replays, reports,
 * shows in the viewer (in a real browser) and compares, through the real command line.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { registerTestbed } from "../../../src/testbeds/registry.js";
import { startViewer } from "../../../src/view/server.js";
import { launchChromium } from "../../helpers/chromium.js";
import { atpInProcess } from "../../helpers/atp-in-process.js";
import { choosingAnswer, startFakeOpenAI, type FakeOpenAI } from "../../helpers/fake-openai.js";
import { repoRoot } from "../../helpers/paper.js";
import { lever } from "./lever.js";

const REGISTER = join(repoRoot, "dist", "test", "testbeds", "toy", "register.js");
const CLI = join(repoRoot, "dist", "src", "cli", "main.js");

registerTestbed(lever);

let dir: string;
let db: string;
let server: FakeOpenAI;
/** How often the learner's run pulled the lever, from its exported transcript. */
let learnerPulls: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "atp-lever-"));
  db = join(dir, "atp.db");
  server = await startFakeOpenAI({ latencyMs: 20, capacity: 2, respond: (body) => choosingAnswer(body) });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const atp = (args: string[]) => atpInProcess(args, dir);
const model = () => ["--model", "openai:fake-model", "--base-url", server.url, "--concurrency", "1"];

function savedRounds(file: string, runId: string): number {
  try {
    const conn = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare("SELECT count(*) AS n FROM rounds WHERE run_id = ?").get(runId) as { n: number }).n;
    } finally {
      conn.close();
    }
  } catch {
    return 0;
  }
}

test("a registered testbed runs and prints its measure per round", async () => {
  const r = await atp(["run", "lever", "--model", "policy:learner", "--seed", "3", "--rounds", "4", "--db", db, "--run-id", "learner"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pull rate, pull = 3/);
  learnerPulls = (await atp(["export", "learner", "--db", db, "--out", join(dir, "learner.jsonl")])).code === 0
    ? readFileSync(join(dir, "learner.jsonl"), "utf8").split("\n").filter(Boolean).flatMap((l) => JSON.parse(l).rounds).filter((round: { calls: { choice: string }[] }) => round.calls[0].choice === "pull").length
    : NaN;
  assert.ok(learnerPulls > 0 && learnerPulls < 12, `the learner pulled ${learnerPulls} times`);
  // Three machines, four rounds: one table row per round with three decisions each.
  const stored = new Database(db, { readonly: true });
  try {
    const suites = stored.prepare("SELECT DISTINCT suite FROM episodes WHERE run_id = 'learner'").all() as { suite: string }[];
    assert.deepEqual(suites.map((s) => s.suite), ["lever"]);
    assert.equal((stored.prepare("SELECT count(*) AS n FROM rounds WHERE run_id = 'learner'").get() as { n: number }).n, 12);
  } finally {
    stored.close();
  }
  const bad = await atp(["run", "lever", "--rounds", "0", "--db", db]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--rounds/);
});

test("killed with SIGKILL and resumed, it equals an uninterrupted run; export and replay agree", async () => {
  const run = ["run", "lever", ...model(), "--seed", "5", "--rounds", "6", "--db", db, "--run-id", "killed"];
  const child = spawn(process.execPath, ["--import", pathToFileURL(REGISTER).href, CLI, ...run], { cwd: dir, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  while (savedRounds(db, "killed") < 5) {
    assert.equal(child.exitCode, null, "the run finished before it could be killed");
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  const saved = savedRounds(db, "killed");
  assert.ok(saved < 18, `the kill came after the run finished (${saved} rounds)`);

  const resumed = await atp(["resume", "killed", "--db", db]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const whole = await atp(["run", "lever", ...model(), "--seed", "5", "--rounds", "6", "--db", db, "--run-id", "whole", "--no-cache"]);
  assert.equal(whole.code, 0, whole.stderr);

  const killedFile = join(dir, "killed.jsonl");
  const wholeFile = join(dir, "whole.jsonl");
  assert.equal((await atp(["export", "killed", "--db", db, "--out", killedFile])).code, 0);
  assert.equal((await atp(["export", "whole", "--db", db, "--out", wholeFile])).code, 0);
  const text = readFileSync(killedFile, "utf8");
  assert.equal(text, readFileSync(wholeFile, "utf8"));
  assert.equal(text.trim().split("\n").length, 3);
  assert.equal(JSON.parse(text.split("\n")[0]).suite, "lever");

  const replayed = await atp(["replay", killedFile, "--check"]);
  assert.equal(replayed.code, 0, replayed.stderr);
  // A transcript that no longer replays is refused, naming the episode.
  const broken = text.replace(/reward \d(\.\d)?\./, "reward 9.");
  writeFileSync(join(dir, "broken.jsonl"), broken);
  const refused = await atp(["replay", join(dir, "broken.jsonl"), "--check"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /lever\/m0/);
});

test("report and compare read its decision rows", async () => {
  const out = join(dir, "report");
  const report = await atp(["report", "learner", "--db", db, "--format", "md,json,csv,html", "--out-dir", out]);
  assert.equal(report.code, 0, report.stderr);
  const md = readFileSync(join(out, "report.md"), "utf8");
  assert.match(md, /pull rate/);
  const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  assert.ok(JSON.stringify(json).includes('"pull"'), "the JSON report carries the pull measure");

  const other = await atp(["run", "lever", "--model", "policy:fixed?p=1", "--seed", "3", "--rounds", "4", "--db", db, "--run-id", "always"]);
  assert.equal(other.code, 0, other.stderr);
  const compared = await atp(["compare", "learner", "always", "--db", db, "--format", "json"]);
  assert.equal(compared.code, 0, compared.stderr);
  const c = JSON.parse(compared.stdout);
  assert.equal(c.a.episodes, 3);
  // One group per machine (the measure's `pull` axis), each one paired episode over four rounds.
  const groups = c.comparison.groups.filter((g: { measure: string }) => g.measure === "pull");
  assert.deepEqual(groups.map((g: { axes: { pull: number } }) => g.axes.pull), [1.5, 3, 2]);
  for (const group of groups) {
    assert.equal(group.episodes, 1);
    assert.equal(group.rounds.length, 4);
    // B always pulls, so every pair is B deviant: in both runs, or in B only.
    for (const row of group.rounds) {
      assert.equal(row.pairs, 1);
      assert.equal(row.rateB, 1);
      assert.equal(row.both + row.onlyB, 1);
      assert.equal(row.onlyA, 0);
    }
  }
  // The learner pulled in 3 of its 12 decisions: the other 9 are B-only discordant pairs.
  assert.equal(groups.reduce((n: number, g: { rounds: { onlyB: number }[] }) => n + g.rounds.reduce((m, r) => m + r.onlyB, 0), 0), 12 - learnerPulls);
});

test("the viewer shows the run and its measure in a browser", async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const viewer = await startViewer({ db, port: 0 });
  try {
    const page = await browser.newPage();
    await page.goto(new URL("/#/run/learner", viewer.url).href);
    await page.waitForSelector("text=pull rate", { timeout: 15_000 });
    const text = (await page.textContent("body")) ?? "";
    assert.match(text, /lever/);
    assert.match(text, /pull = 1\.5/, "the measure's groups are shown");
    // An episode shows its calls with the messages sent and the answers read.
    await page.goto(new URL("/#/run/learner/episode/1", viewer.url).href);
    await page.waitForSelector("text=The posted rule: keep the lever where it is.", { timeout: 15_000 });
    assert.match((await page.textContent("body")) ?? "", /You chose (keep|pull): reward/);
  } finally {
    await viewer.close();
    await browser.close();
  }
});
