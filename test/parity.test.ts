/**
 * Paper-parity settings through the real `atp` command: settings the reference has and atp
 * does not reproduce are refused by name, and a transcript setting atp does not know is an
 * error, never dropped from a replay.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-parity-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return atpInProcess(args, cwd, process.env);
}

test("a replayed transcript whose settings carry a key atp does not know is an error naming the key", async () => {
  const dir = mkdtempSync(join(root, "t-"));
  const recorded = join(dir, "run.jsonl");
  const made = await atp(["run", "collusion", "--rounds", "2", "--thresholds", "4", "--seed", "1", "--transcript", recorded], dir);
  assert.equal(made.code, 0, made.stderr);
  const lines = readFileSync(recorded, "utf8").trim().split("\n");
  const replay = (settings: Record<string, unknown>) => {
    const edited = JSON.parse(lines[2]);
    Object.assign(edited.settings, settings);
    const file = join(dir, "edited.jsonl");
    writeFileSync(file, [...lines.slice(0, 2), JSON.stringify(edited), ...lines.slice(3)].join("\n") + "\n");
    rmSync(join(dir, "out.jsonl"), { force: true });
    return atp(["replay", file, "--parity", "default", "--out", join(dir, "out.jsonl")], dir);
  };
  const same = await replay({});
  assert.equal(same.code, 0, same.stderr);

  const unknown = await replay({ temperature: 0.7 });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /edited\.jsonl: line 3 \(.*\): field 'settings\.temperature': unknown setting/);
  assert.ok(!existsSync(join(dir, "out.jsonl")), "nothing written");

  const merge = await replay({ merge_prompts: false });
  assert.equal(merge.code, 2);
  assert.match(merge.stderr, /line 3 .*field 'settings\.merge_prompts': the reference's merge_prompts switch is not supported/);
});

test("a run file with the reference's choice_prompt or merge_prompts is refused by name", async () => {
  const dir = mkdtempSync(join(root, "t-"));
  const cases = [
    ["suite: roleplay\nroleplay:\n  choice_prompt: Which store?\n", "roleplay.choice_prompt", /choice_prompt override is not supported/],
    ["suite: collusion\ncollusion:\n  mergePrompts: false\n", "collusion.mergePrompts", /merge_prompts switch is not supported/],
  ] as const;
  for (const [yaml, field, reason] of cases) {
    const file = join(dir, "run.yaml");
    writeFileSync(file, yaml);
    const r = await atp(["run", file, "--transcript", join(dir, "out.jsonl")], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`run.yaml: field '${field}'`), r.stderr);
    assert.match(r.stderr, reason);
    assert.ok(!existsSync(join(dir, "out.jsonl")) && !existsSync(join(dir, "atp-runs")), "nothing written");
  }
});

/** The outcome lines and the first question of a collusion transcript. */
function collusionTexts(file: string): { settingsLines: string[]; outcomes: string[]; question: string } {
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const episodes = lines.map((l) => JSON.parse(l));
  return {
    settingsLines: lines.map((l) => /"settings":(\{[^}]*\})/.exec(l)![1]),
    outcomes: episodes.flatMap((e) => e.rounds.map((r: { outcome: string }) => r.outcome)),
    question: episodes[0].rounds[0].calls[0].messages[1].content,
  };
}

test("integer payoffs (--rewards 2,1.0,0 and a run file's [2, 1.0, 0]): the prompt says x2.0, the outcome line x2, as the reference prints them", async () => {
  const dir = mkdtempSync(join(root, "t-"));
  const yaml = join(dir, "run.yaml");
  writeFileSync(yaml, "suite: collusion\nparity: paper\nseed: 2\nmodel: policy:imitator\ncollusion:\n  rounds: 2\n  thresholds: [2, 8]\n  rewards: [[2, 1.0, 0]]\n");
  const runs = [
    ["run", "collusion", "--parity", "paper", "--seed", "2", "--model", "policy:imitator", "--rounds", "2", "--thresholds", "2,8", "--rewards", "2,1.0,0"],
    ["run", yaml],
  ];
  const seen: string[] = [];
  for (const [i, args] of runs.entries()) {
    const out = join(dir, `run${i}.jsonl`);
    const r = await atp([...args, "--transcript", out], dir);
    assert.equal(r.code, 0, r.stderr);
    const t = collusionTexts(out);
    // The reference formats the prompt with float(factor), the outcome line with the factor as given.
    assert.match(t.question, /multiplied by x2\.0\. .* multiplied by x0\.0, .* by x1\.0\.$/);
    assert.ok(t.outcomes.some((o) => o.endsWith("Cooperation succeeded! Everyone's capital multiplies by x2.")), "x2 on success");
    assert.ok(t.outcomes.some((o) => o.endsWith("Cooperation failed. Collective x0, independent x1.0.")), "x0 and x1.0 on failure");
    assert.ok(!t.outcomes.some((o) => o.includes("x2.0") || o.includes("x0.0")));
    // The transcript spells the factors as Python does, so a replay formats them alike.
    for (const s of t.settingsLines) assert.ok(s.includes('"rewards":[2,1.0,0]'), s);
    const check = await atp(["replay", out, "--parity", "paper", "--check"], dir);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /Identical to the input/);
    seen.push(JSON.stringify(t.outcomes));
  }
  assert.equal(seen[0], seen[1], "the flag and the run file give the same run");

  // The same factors written as floats print as floats everywhere.
  const floats = join(dir, "floats.jsonl");
  const r = await atp([...runs[0].slice(0, -1), "2.0,1.0,0.0", "--transcript", floats], dir);
  assert.equal(r.code, 0, r.stderr);
  const t = collusionTexts(floats);
  assert.ok(t.outcomes.some((o) => o.endsWith("Everyone's capital multiplies by x2.0.")));
  assert.ok(t.settingsLines.every((s) => s.includes('"rewards":[2.0,1.0,0.0]')));
});

test("a game template that cannot be filled is refused when the file loads, before anything runs", async () => {
  const dir = mkdtempSync(join(root, "t-"));
  const file = join(dir, "games.json");
  const template = {
    system_prompt: "One of {n} players.",
    user_prompt: "If {cooperation_threshold} invest, {high_reward:.2f} each.",
    user_prompt_mult: "Over {rounds} rounds: x{high_reward}.",
    user_prompt_add: "+{delta_high}",
    collective_choice: "invest",
    independent_choice: "keep",
  };
  writeFileSync(file, JSON.stringify([{ environment: "Pool", template }]));
  const r = await atp(["run", "collusion", "--dataset", file, "--transcript", join(dir, "out.jsonl")], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /games\.json: field '\[0\]\.template\.user_prompt_mult': cannot be filled: unknown field "\{rounds\}"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.ok(!existsSync(join(dir, "out.jsonl")) && !existsSync(join(dir, "atp-runs")), "nothing written");

  // The same file with format specs the reference accepts runs.
  writeFileSync(file, JSON.stringify([{ environment: "Pool", template: { ...template, user_prompt_mult: "x{high_reward:.2f} if {cooperation_threshold:d} of {n!r}." } }]));
  const ok = await atp(["run", "collusion", "--dataset", file, "--parity", "paper", "--rounds", "1", "--thresholds", "2", "--transcript", join(dir, "out.jsonl")], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(readFileSync(join(dir, "out.jsonl"), "utf8").includes("This is a new round.\\nx1.20 if 2 of 8."));
});
