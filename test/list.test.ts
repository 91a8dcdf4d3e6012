/** `atp list` through the real command: testbeds, built-in packs, the paper's datasets as the cache has them, policy agents. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paperDir, paperFile } from "./helpers/paper.js";
import { createAgent } from "../src/agents/registry.js";
import { paperCacheDir } from "../src/scenarios/fetch.js";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-list-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[], cacheDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return atpInProcess(args, root, { ...process.env, ATP_CACHE_DIR: cacheDir });
}

/** The lines of one section of the listing, by its title's first word. */
function section(stdout: string, title: string): string[] {
  const block = stdout.split("\n\n").find((b) => b.startsWith(title));
  assert.ok(block, `a ${title} section`);
  return block.split("\n").slice(1).filter((l) => l !== "");
}

test("atp list: testbeds with their episode counts, built-in packs, policy agents whose listed parameters are accepted", async () => {
  const r = await atp(["list"], mkdtempSync(join(root, "cache-")));
  assert.equal(r.code, 0, r.stderr);
  const testbeds = section(r.stdout, "Testbeds").map((l) => l.trim().split(/\s+/).slice(0, 2).join(" "));
  assert.deepEqual(testbeds, ["paper 92", "roleplay 64", "collusion 28", "tooluse 32"]);
  const packs = section(r.stdout, "Built-in");
  assert.match(packs[0], /^  roleplay\s+16 scenarios x 4 reward variants/);
  assert.match(packs[1], /^  games\s+7 framings\s+PublicFund, CommonsPasture, TeamProject/);
  assert.match(packs[2], /^  tooluse\s+8 easy \+ 2 hard problems per round/);

  const policies = section(r.stdout, "Policy").map((l) => /^\s+policy:(\w+)\s+((?:\w+=[\d.]+ ?)+)\s{2}/.exec(l));
  assert.deepEqual(policies.map((m) => m?.[1]), ["fixed", "learner", "imitator", "tooluse"]);
  for (const m of policies) {
    // Every parameter listed is one the policy takes, and its listed default is a valid value.
    const spec = `policy:${m![1]}?${m![2].trim().split(" ").join("&")}`;
    await assert.doesNotReject(createAgent(spec), spec);
  }
  assert.match(r.stdout, /policy:fixed\s+p=0\.3 noise=0\s/);
  assert.match(r.stdout, /policy:learner\s+prior=0\.15 lr=1\.5 noise=0\s/);
});

test("atp list says which paper datasets are fetched, what they hold, and which are damaged", async (t) => {
  if (!paperFile(t, "data/sa_llm/question/question_64.json")) return;
  const cache = mkdtempSync(join(root, "cache-"));
  const before = section((await atp(["list"], cache)).stdout, "Paper");
  assert.equal(before.length, 6);
  assert.ok(before.every((l) => /\snot fetched$/.test(l)), before.join("\n"));

  const fetched = await atp(["data", "fetch", "paper", "--base-url", paperDir()], cache);
  assert.equal(fetched.code, 0, fetched.stderr);
  writeFileSync(join(paperCacheDir(cache), "data", "ma_llm", "question", "question_70.json"), "[]");
  const after = section((await atp(["list"], cache)).stdout, "Paper");
  const status = Object.fromEntries(after.map((l) => /^\s+(\S+)\s+\S+\s+(.+)$/.exec(l)!.slice(1, 3)));
  assert.deepEqual(status, {
    "paper:roleplay-test": "fetched: 64 role-play items",
    "paper:roleplay-train": "fetched: 160 role-play items",
    "paper:roleplay-templates": "fetched: 16 role-play templates",
    "paper:games": "fetched: 7 game templates",
    "paper:games-70": "damaged: fetch again",
    "paper:games-350": "fetched: 350 game items",
  });
});
