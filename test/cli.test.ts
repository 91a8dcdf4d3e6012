/** The `atp` command as a user runs it: its real argument parsing, files and exit codes; a real child process where one is killed. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atpInProcess } from "./helpers/atp-in-process.js";
import { paperFile, repoRoot } from "./helpers/paper.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs atp in a fresh directory, so each run gets its own store (./atp-runs/atp.db). */
function atp(args: string[], cwd = scratchDir()): Promise<Result> {
  return atpInProcess(args, cwd, { ...process.env, ATP_CACHE_DIR: scratch("cache") });
}

const root = mkdtempSync(join(tmpdir(), "atp-cli-"));
after(() => rmSync(root, { recursive: true, force: true }));

function scratchDir(): string {
  return mkdtempSync(join(root, "t-"));
}

function scratch(name: string): string {
  return join(scratchDir(), name);
}

/** The tables, without the header line that names the (random) run id. */
function tables(stdout: string): string {
  return stdout.split("\n").slice(1).join("\n");
}

test("every command has --help", async () => {
  const commands = [[], ["run"], ["resume"], ["runs"], ["list"], ["export"], ["report"], ["compare"], ["view"], ["replay"], ["data"], ["data", "fetch"]];
  for (const args of [...commands, ["align"], ["align", "pairs"], ["align", "export"], ["align", "reward-server"]]) {
    const r = await atp([...args, "--help"]);
    assert.equal(r.code, 0, `${args.join(" ")} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: atp/);
  }
  const run = await atp(["run", "--help"]);
  for (const flag of ["--rounds", "--history", "--supervision", "--agents", "--thresholds", "--rewards", "--peers", "--parity", "--repeats", "--seed"]) {
    assert.ok(run.stdout.includes(flag), `run --help lists ${flag}`);
  }
});

test("run paper prints both tables, the same numbers every time and at any concurrency", async () => {
  const a = await atp(["run", "paper", "--model", "policy:learner", "--seed", "1"]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /violation rate per round \(%\), 64 episodes/);
  assert.match(a.stdout, /7 games x 8 agents = 56 decisions per round per threshold/);
  for (const t of [2, 4, 6, 8]) assert.match(a.stdout, new RegExp(`^${t}\\s+1\\.2,1\\.0,0\\.8`, "m"));
  const b = await atp(["run", "paper", "--model", "policy:learner", "--seed", "1", "--concurrency", "1"]);
  assert.equal(tables(b.stdout), tables(a.stdout));
  const c = await atp(["run", "paper", "--model", "policy:learner", "--seed", "2"]);
  assert.notEqual(tables(c.stdout), tables(a.stdout), "another seed gives other draws");
});

test("without --model the run says the agent is simulated and how to use a real model", async () => {
  const r = await atp(["run", "roleplay", "--rounds", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /simulated agent \(policy:learner\)/);
  assert.match(r.stderr, /--model/);
});

test("a transcript written by run replays identically, in both modes", async () => {
  for (const parity of ["paper", "default"]) {
    const out = scratch("run.jsonl");
    const r = await atp(["run", "collusion", "--parity", parity, "--model", "policy:imitator", "--thresholds", "2,6", "--rewards", "1.4,1.0,0.8", "--peers", "full", "--seed", "5", "--transcript", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 14);
    const replayed = scratch("replayed.jsonl");
    const check = await atp(["replay", out, "--parity", parity, "--check", "--out", replayed]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /Identical to the input/);
    assert.ok(existsSync(replayed));
  }
});

test("replay --check exits 1 and lists differences when the engine disagrees", async () => {
  const out = scratch("run.jsonl");
  assert.equal((await atp(["run", "roleplay", "--parity", "paper", "--rounds", "2", "--transcript", out])).code, 0);
  const check = await atp(["replay", out, "--parity", "default", "--check"]);
  assert.equal(check.code, 1);
  assert.match(check.stdout, /Differences from .*message 1 \(user\)/s);
});

test("a YAML run file gives the same run as the flags", async () => {
  const dir = scratch("");
  const file = join(dir, "run.yaml");
  writeFileSync(
    file,
    ["suite: collusion", "model: policy:learner?prior=0.4", "seed: 3", "collusion:", "  agents: 6", "  thresholds: [3]", "  rewards: [[1.8, 1.0, 0.8]]", "  rounds: 4"].join("\n"),
  );
  const fromYaml = await atp(["run", file]);
  const fromFlags = await atp(["run", "collusion", "--model", "policy:learner?prior=0.4", "--seed", "3", "--agents", "6", "--thresholds", "3", "--rewards", "1.8,1.0,0.8", "--rounds", "4"]);
  assert.equal(fromYaml.code, 0, fromYaml.stderr);
  assert.equal(tables(fromYaml.stdout), tables(fromFlags.stdout));
  assert.match(fromYaml.stdout, /7 games x 6 agents = 42 decisions/);
});

/** Runs a command that must fail on its input: exit 2, a message matching `message`, and no transcript. */
async function rejects(args: string[], message: RegExp): Promise<void> {
  const out = scratch("never.jsonl");
  const r = await atp([...args, "--transcript", out]);
  assert.equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.ok(!existsSync(out), "nothing is written");
}

test("bad input: clear error naming the file and field, exit 2, nothing written", async (t) => {
  const dir = scratch("");
  await rejects(["run", "roleplay", "--dataset", join(dir, "missing.json")], /missing\.json: file not found/);

  const malformed = join(dir, "malformed.json");
  writeFileSync(malformed, '[{"id": "a",\n  "environment": }]');
  await rejects(["run", "roleplay", "--dataset", malformed], /malformed\.json: not valid JSON at line 2/);

  await rejects(["run", "roleplay", "--parity", "exact"], /argument 'exact' is invalid/);
  await rejects(["run", "roleplay", "--supervision", "sometimes"], /argument 'sometimes' is invalid/);
  await rejects(["run", "collusion", "--thresholds", "2,x"], /--thresholds: expected an integer/);
  await rejects(["run", "collusion", "--rewards", "1.2,1.0"], /--rewards: expected three non-negative numbers/);
  await rejects(["run", "collusion", "--thresholds", "9"], /--thresholds: threshold 9 is more than the 8 agents/);
  await rejects(["run", "tournament"], /unknown testbed 'tournament'/);
  await rejects(["run", "roleplay", "--model", "policy:fixed?p=2"], /parameter 'p'/);
  await rejects(["run", "roleplay", "--no-such-flag"], /unknown option '--no-such-flag'/);

  const yaml = join(dir, "bad.yaml");
  writeFileSync(yaml, "suite: collusion\ncollusion:\n  thresholds: [2, four]\n");
  await rejects(["run", yaml], /bad\.yaml: field 'collusion\.thresholds\[1\]'/);
  writeFileSync(yaml, "suite: roleplay\nroleplay:\n  window: 3\n");
  await rejects(["run", yaml], /bad\.yaml: field 'roleplay\.window': unknown setting/);

  const items = paperFile(t, "data/sa_llm/question/question_64.json");
  if (!items) return;
  const broken = JSON.parse(readFileSync(items, "utf8")) as Record<string, unknown>[];
  delete broken[5].supervised_choice;
  const missing = join(dir, "missing-field.json");
  writeFileSync(missing, JSON.stringify(broken));
  await rejects(["run", "roleplay", "--dataset", missing], /missing-field\.json: field '\[5\]\.supervised_choice': missing/);
});

test("a flag, run-file key or dataset for a testbed the run does not play is an error naming it", async (t) => {
  const dir = scratch("");
  await rejects(["run", "roleplay", "--episodes", "4"], /--episodes: applies to the tool-use testbed, which `atp run roleplay` does not play/);
  await rejects(["run", "roleplay", "--agents", "4"], /--agents: applies to the collusion testbed/);
  await rejects(["run", "collusion", "--supervision-seed", "3"], /--supervision-seed: applies to the role-play testbed/);
  await rejects(["run", "tooluse", "--fixed-colluders", "1"], /--fixed-colluders: applies to the collusion testbed/);
  await rejects(["run", "paper", "--tool-protocol", "tools"], /--tool-protocol: applies to the tool-use testbed, which `atp run paper` does not play \(add --with-tooluse/);

  const yaml = join(dir, "other.yaml");
  writeFileSync(yaml, "suite: roleplay\ntooluse:\n  episodes: 3\n");
  await rejects(["run", yaml], /other\.yaml: field 'tooluse\.episodes': applies to the tool-use testbed/);
  writeFileSync(yaml, "suite: collusion\nroleplay: {}\n");
  await rejects(["run", yaml], /other\.yaml: field 'roleplay': applies to the role-play testbed/);
  // A flag on top of a run file is checked against the file's testbed.
  writeFileSync(yaml, "suite: roleplay\n");
  await rejects(["run", yaml, "--thresholds", "2"], /--thresholds: applies to the collusion testbed/);

  // `paper` plays role-play and collusion, and tool use with --with-tooluse: their flags apply.
  const paper = await atp(["run", "paper", "--variants", "1", "--agents", "4", "--thresholds", "2", "--rounds", "2", "--with-tooluse", "--episodes", "1", "--easy", "1", "--hard", "0"]);
  assert.equal(paper.code, 0, paper.stderr);
  assert.match(paper.stdout, /atp run paper: .*, 24 episodes/);

  const games = paperFile(t, "data/ma_llm/templates.json");
  if (!games) return;
  await rejects(["run", "roleplay", "--dataset", games], /--dataset .*templates\.json: holds game templates, for the collusion testbed, which `atp run roleplay` does not play/);
  writeFileSync(yaml, `suite: tooluse\ndatasets: ${games}\n`);
  await rejects(["run", yaml], /other\.yaml: field 'datasets': .*templates\.json: holds game templates/);
});

test("data fetch offline fails with a clear message and exit 1", async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const p = (server.address() as { port: number }).port;
      server.close(() => resolve(p));
    });
  });
  const r = await atp(["data", "fetch", "paper", "--base-url", `http://127.0.0.1:${port}/`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /could not reach/);
  assert.match(r.stderr, /--dataset/);
});

test("a report killed while it writes leaves no report folder; a whole one appears at once", async () => {
  const dir = scratchDir();
  const db = join(dir, "runs.db");
  assert.equal((await atp(["run", "paper", "--db", db, "--run-id", "r"], dir)).code, 0);
  const out = join(dir, "report");
  const child = spawn(process.execPath, [CLI, "report", "r", "--db", db, "--format", "md,html,csv,json", "--out", out], { cwd: dir, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  // The files go to a folder beside the target first; kill the report as soon as it starts writing there.
  const temp = `${out}.tmp-${child.pid}`;
  const deadline = Date.now() + 30_000;
  while (!existsSync(temp)) {
    assert.ok(Date.now() < deadline && child.exitCode === null, "the report wrote no temporary folder");
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  assert.ok(!existsSync(out), "no report folder after a killed report");

  const whole = await atp(["report", "r", "--db", db, "--format", "md,html,csv,json", "--out", out], dir);
  assert.equal(whole.code, 0, whole.stderr);
  for (const file of whole.stdout.trim().split("\n")) assert.ok(existsSync(file), file);
  assert.ok(existsSync(join(out, "report.md")) && existsSync(join(out, "report.html")) && existsSync(join(out, "charts")));
  // Reported again into the folder that now exists: its files are replaced, other files stay.
  writeFileSync(join(out, "notes.txt"), "mine");
  assert.equal((await atp(["report", "r", "--db", db, "--out", out], dir)).code, 0);
  assert.equal(readFileSync(join(out, "notes.txt"), "utf8"), "mine");
  assert.ok(!readdirSync(dir).some((f) => f.startsWith("report.tmp-") && f !== `report.tmp-${child.pid}`), "a finished report leaves no temporary folder");
});
