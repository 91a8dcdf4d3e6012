/**
 * Paper-parity settings through the real `atp` command: settings the reference has and atp
 * does not reproduce are refused by name, and a transcript setting atp does not know is an
 * error, never dropped from a replay.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./helpers/paper.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");
const root = mkdtempSync(join(tmpdir(), "atp-parity-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
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
