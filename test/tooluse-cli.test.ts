/**
 * `atp run tooluse` as a user runs it (a real child process): the simulated learner and a
 * drifting model behind the loopback OpenAI-compatible server, under both tool protocols, print
 * tables in which tool use falls and hard-problem accuracy falls with it; a run's transcript
 * replays identically through `atp replay --check`, and `atp export` writes the same file.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { driftingToolUser, problemBook } from "./helpers/drifting-model.js";
import { startFakeOpenAI } from "./helpers/fake-openai.js";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-tooluse-cli-"));
after(() => rmSync(root, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs atp in a fresh directory (its own store); asynchronous, so a server in this process keeps answering. */
function atp(args: string[], cwd = mkdtempSync(join(root, "t-"))): Promise<Result> {
  return atpInProcess(args, cwd, process.env);
}

/** A row of the tool-use table as numbers per round (null for "-"). */
function row(stdout: string, label: string): (number | null)[] {
  const line = stdout.split("\n").find((l) => l.startsWith(label));
  assert.ok(line, `no row '${label}' in:\n${stdout}`);
  return line
    .slice(label.length)
    .trim()
    .split(/\s{2,}/)
    .map((cell) => (cell === "-" ? null : Number(/^(\d+\.\d) \[/.exec(cell)![1])));
}

/** Tool use and hard-problem accuracy fall from the first round to the last, by at least `by` points. */
function assertFalls(stdout: string, by: number): void {
  for (const label of ["tool use, all", "tool use, hard", "accuracy, hard"]) {
    const rates = row(stdout, label);
    assert.equal(rates.length, 5, label);
    assert.ok(rates[0]! - rates[4]! >= by, `${label} falls by ${by} points or more: ${rates.join(" -> ")}`);
  }
  // Easy problems stay solved: the shortcut costs nothing there.
  assert.ok(row(stdout, "accuracy, easy").every((r) => r! >= 95));
}

test("atp run tooluse --model policy:learner --seed 1: tool use falls and hard accuracy with it", async () => {
  const r = await atp(["run", "tooluse", "--model", "policy:learner", "--seed", "1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^atp run tooluse: run \S+, model policy:learner, seed 1, 32 episodes$/m);
  assert.match(r.stdout, /Tool use: rates per round \(%\) with 95% Wilson intervals, 32 episodes x \(8 easy \+ 2 hard\) problems per round/);
  assertFalls(r.stdout, 25);
  const again = await atp(["run", "tooluse", "--model", "policy:learner", "--seed", "1"]);
  assert.equal(again.stdout.split("\n").slice(1).join("\n"), r.stdout.split("\n").slice(1).join("\n"), "the same seed prints the same table");
});

for (const protocol of ["tools", "text"] as const) {
  test(`a drifting model behind an OpenAI-compatible server, --tool-protocol ${protocol}: the table shows the fall`, async () => {
    const episodes = 12;
    const server = await startFakeOpenAI({ respond: driftingToolUser(problemBook({ episodes, rounds: 5, easy: 8, hard: 2 })) });
    try {
      const args = ["run", "tooluse", "--model", "openai:fake-model", "--base-url", server.url, "--tool-protocol", protocol, "--episodes", String(episodes), "--seed", "1"];
      const r = await atp(args);
      assert.equal(r.code, 0, r.stderr);
      assertFalls(r.stdout, 40);
      const bodies = server.requests.map((q) => q.body);
      if (protocol === "tools") {
        assert.ok(bodies.every((b) => b.tools?.[0]?.function?.name === "calculator" && b.tool_choice === "auto"));
        assert.ok(bodies.some((b) => b.messages.some((m: { role: string }) => m.role === "tool")), "tool results went back as tool messages");
      } else {
        assert.ok(bodies.every((b) => b.tools === undefined));
        assert.ok(bodies.some((b) => b.messages.some((m: { role: string; content: string }) => m.role === "user" && m.content.startsWith("RESULT: "))));
      }
    } finally {
      await server.close();
    }
  });
}

test("a tool-use transcript replays identically with atp replay --check; export writes the same file", async () => {
  const dir = mkdtempSync(join(root, "replay-"));
  const out = join(dir, "run.jsonl");
  const run = await atp(["run", "tooluse", "--tool-protocol", "tools", "--episodes", "3", "--rounds", "3", "--seed", "4", "--run-id", "t", "--transcript", out], dir);
  assert.equal(run.code, 0, run.stderr);
  const lines = readFileSync(out, "utf8").trim().split("\n");
  assert.equal(lines.length, 3);
  const check = await atp(["replay", out, "--check"], dir);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /Identical to the input/);
  const exported = await atp(["export", "t", "--out", join(dir, "exported.jsonl")], dir);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(readFileSync(join(dir, "exported.jsonl"), "utf8"), readFileSync(out, "utf8"));

  // A changed reward setting: the check fails and names the problem.
  const tampered = join(dir, "tampered.jsonl");
  writeFileSync(tampered, lines.map((l) => l.replace('"hard_reward":5', '"hard_reward":4')).join("\n") + "\n");
  const bad = await atp(["replay", tampered, "--check"], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /Differences from .*tooluse\/\d problem \d+: /s);
});

test("atp run paper --with-tooluse prints all three tables; bad tool-use flags are usage errors", async () => {
  const r = await atp(["run", "paper", "--with-tooluse", "--episodes", "4", "--rounds", "2", "--seed", "2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /violation rate per round/);
  assert.match(r.stdout, /collusion rate per round/);
  assert.match(r.stdout, /Tool use: rates per round \(%\) with 95% Wilson intervals, 4 episodes x \(8 easy \+ 2 hard\)/);
  assert.equal(row(r.stdout, "tool use, all").length, 2, "--rounds applies to tool use too");

  const help = await atp(["run", "--help"]);
  for (const flag of ["--with-tooluse", "--episodes", "--easy", "--hard", "--difficulty", "--tool-cost", "--direct-cost", "--easy-reward", "--hard-reward", "--tool-protocol", "--max-tool-calls"]) {
    assert.ok(help.stdout.includes(flag), `run --help lists ${flag}`);
  }
  for (const [args, message] of [
    [["--tool-protocol", "smoke"], /--tool-protocol/],
    [["--tool-cost", "cheap"], /--tool-cost: expected a number/],
    [["--max-tool-calls", "0"], /--max-tool-calls: expected an integer >= 1/],
    [["--easy", "0", "--hard", "0"], /--hard: a round needs at least one problem/],
  ] as const) {
    const bad = await atp(["run", "tooluse", ...args]);
    assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
    assert.match(bad.stderr, message);
  }
});

interface PairedJson {
  round: number;
  pairs: number;
  both: number;
  onlyA: number;
  onlyB: number;
  neither: number;
  rateA: number;
  rateB: number;
  difference: number;
  pValue: number;
  missingA: number;
  missingB: number;
}

test("atp compare pairs two tool-use runs by problem: paired rates per round of every tool-use rate", async () => {
  const cwd = mkdtempSync(join(root, "t-"));
  // A always reaches for the calculator (and is right); B never does.
  for (const [id, p] of [["a", 0], ["b", 1]] as const) {
    const r = await atp(["run", "tooluse", "--episodes", "3", "--rounds", "2", "--easy", "2", "--hard", "1", "--model", `policy:fixed?p=${p}`, "--run-id", id], cwd);
    assert.equal(r.code, 0, r.stderr);
  }
  const j = await atp(["compare", "a", "b", "--format", "json"], cwd);
  assert.equal(j.code, 0, j.stderr);
  const c = JSON.parse(j.stdout) as {
    a: { episodes: number };
    comparison: { groups: { suite: string; measure: string; axes: object; episodes: number; rounds: PairedJson[] }[]; onlyA: unknown[]; onlyB: unknown[]; mismatched: unknown[] };
  };
  assert.equal(c.a.episodes, 3);
  assert.deepEqual(
    c.comparison.groups.map((g) => [g.suite, g.measure, g.axes, g.episodes, g.rounds.length]),
    ["tool-use", "easy-tool-use", "hard-tool-use", "easy-accuracy", "hard-accuracy"].map((m) => ["tooluse", m, {}, 3, 2]),
  );
  const [toolUse, easyToolUse, hardToolUse, , hardAccuracy] = c.comparison.groups;
  // 3 episodes x 3 problems a round, each problem paired with the same problem in B.
  for (const r of toolUse.rounds) {
    assert.deepEqual([r.pairs, r.both, r.onlyA, r.onlyB, r.neither, r.rateA, r.rateB, r.difference, r.missingA, r.missingB], [9, 0, 9, 0, 0, 1, 0, -1, 0, 0]);
    assert.equal(r.pValue, 2 / 2 ** 9);
  }
  assert.deepEqual(easyToolUse.rounds.map((r) => [r.pairs, r.onlyA]), [[6, 6], [6, 6]]);
  assert.deepEqual(hardToolUse.rounds.map((r) => [r.pairs, r.onlyA]), [[3, 3], [3, 3]]);
  for (const r of hardAccuracy.rounds) {
    assert.deepEqual([r.pairs, r.rateA, r.onlyB, r.neither], [3, 1, 0, 0]);
    assert.equal(r.both + r.onlyA, 3);
  }
  assert.deepEqual([c.comparison.onlyA, c.comparison.onlyB, c.comparison.mismatched], [[], [], []]);

  const md = await atp(["compare", "a", "b"], cwd);
  assert.equal(md.code, 0, md.stderr);
  assert.doesNotMatch(md.stdout, /No paired episodes/);
  assert.match(md.stdout, /each decision is paired with the one in the same place in the other run/);
  assert.match(md.stdout, /^\| Finished episodes \| 3 \| 3 \|$/m);
  assert.match(md.stdout, /^## Tool-use: tool-use rate \(3 paired episodes\)$/m);
  assert.match(md.stdout, /^## Tool-use: accuracy on hard problems \(3 paired episodes\)$/m);
  assert.match(md.stdout, /^\| 1 \| 9 \| 100\.00 \| 0\.00 \| −100\.00 \| [^|]+ \| 9 \| 0 \| 0\.004 \|$/m);

  const help = await atp(["compare", "--help"], cwd);
  assert.match(help.stdout, /tool use: and problem/);
});
