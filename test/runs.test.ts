/** `atp runs` through the real command: runs and pair runs, as a table and as JSON, and into a closed pipe. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./helpers/paper.js";
import { PAPER_ROLEPLAY } from "../src/testbeds/roleplay/engine.js";
import { planRoleplay } from "../src/testbeds/roleplay/plan.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "../src/testbeds/roleplay/pack.js";
import { expandRoleplay } from "../src/scenarios/generate.js";
import { RunStore } from "../src/store/store.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");
const root = mkdtempSync(join(tmpdir(), "atp-runs-"));
after(() => rmSync(root, { recursive: true, force: true }));

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
const atp = (args: string[]) => run(process.execPath, [CLI, ...args]);

test("atp runs lists runs and pair runs, newest first, as a table and as JSON", async () => {
  const db = join(root, "both.db");
  const played = await atp(["run", "roleplay", "--rounds", "1", "--run-id", "rp", "--db", db]);
  assert.equal(played.code, 0, played.stderr);
  const paired = await atp(["align", "pairs", "--suite", "roleplay", "--variants", "1", "--model", "policy:fixed?p=0.5", "--retries-per-side", "2", "--run-id", "pp", "--db", db]);
  assert.equal(paired.code, 0, paired.stderr);
  const pairCount = Number(/(\d+) pairs \(give --out/.exec(paired.stdout)?.[1]);

  const json = await atp(["runs", "--json", "--db", db]);
  assert.equal(json.code, 0, json.stderr);
  const listed = JSON.parse(json.stdout);
  assert.deepEqual(
    listed.map((r: any) => [r.id, r.kind, r.status, r.suite, r.model, r.writer]),
    [
      ["pp", "pairs", "done", "roleplay", "policy:fixed?p=0.5", null],
      ["rp", "run", "done", "roleplay", "policy:learner", null],
    ],
  );
  assert.deepEqual(listed[1].episodes, { planned: 64, done: 64, failed: 0 });
  assert.deepEqual(listed[0].items, { planned: 16, done: 16, pairs: pairCount, failed: 0 });
  assert.ok(listed.every((r: any) => /^\d{4}-\d\d-\d\dT/.test(r.createdAt) && typeof r.seed === "number"));

  const table = await atp(["runs", "--db", db]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^run\s+kind\s+created\s+status\s+suite\s+model\s+parity\s+seed\s+progress$/);
  assert.match(lines[1], new RegExp(`^pp\\s+pairs\\s+\\S+\\s+done\\s+roleplay\\s+policy:fixed\\?p=0\\.5\\s+default\\s+0\\s+16/16 items, ${pairCount} pairs$`));
  assert.match(lines[2], /^rp\s+run\s+\S+\s+done\s+roleplay\s+policy:learner\s+default\s+0\s+64\/64 episodes$/);
});

test("atp runs | head -1 stops quietly when the reader goes away", async () => {
  // Far more than a pipe holds, so atp is still writing when head exits.
  const db = join(root, "many.db");
  const store = RunStore.open(db);
  const plans = planRoleplay(expandRoleplay(BUILTIN_ROLEPLAY_TEMPLATES.slice(0, 1), 1), { ...PAPER_ROLEPLAY, parity: "paper" }, 1);
  store.db.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      store.createRun({ id: `run-${i}`, suite: "roleplay", model: "policy:learner", seed: i, parity: "paper", config: null, versions: {}, plans });
    }
  })();
  store.close();
  const piped = await run("bash", ["-o", "pipefail", "-c", `"${process.execPath}" "${CLI}" runs --db "${db}" | head -1`]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "", "no EPIPE error");
  assert.match(piped.stdout, /^run\s+kind\s+created/);
  assert.equal(piped.stdout.split("\n").length, 2);
});
