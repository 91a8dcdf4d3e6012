/**
 * Stores written before testbeds became plain text (schema version PREVIOUS) open,
 * report, export and resume through the real `atp` command after the upgrade; and the store
 * layer takes a testbed it has never heard of.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

import { MIGRATIONS, SCHEMA_VERSION } from "../src/store/schema.js";
import { RunStore } from "../src/store/store.js";
import type { RunPlan } from "../src/testbeds/registry.js";
import type { TranscriptRound } from "../src/transcript/types.js";
import { atp } from "./helpers/atp-cli.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "atp-upgrade-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The version before testbeds became plain text: the migration that gives every call its model. */
const PREVIOUS = MIGRATIONS.findIndex((m) => m.includes("JOIN runs r ON r.id = c.run_id"));

/** The columns a table has in a file of the previous schema version. */
function columns(db: Database.Database, table: string): string {
  return db
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => c.name)
    .join(", ");
}

/**
 * Copies every row of `source` (a current store) into a new file of the previous schema, as the
 * previous atp would have written it: a call row then had no model.
 */
function previousSchemaCopy(source: string, file: string): void {
  const db = new Database(file);
  db.pragma("foreign_keys = ON");
  for (const sql of MIGRATIONS.slice(0, PREVIOUS)) db.exec(sql);
  db.pragma(`user_version = ${PREVIOUS}`);
  db.prepare("ATTACH DATABASE ? AS src").run(source);
  db.transaction(() => {
    for (const table of ["runs", "episodes", "rounds", "calls", "rejected_answers", "cache"]) {
      const cols = columns(db, table);
      db.exec(`INSERT INTO main.${table} (${cols}) SELECT ${cols} FROM src.${table} ORDER BY rowid`);
    }
  })();
  db.exec("DETACH DATABASE src");
  db.close();
}

test("a store of the previous schema opens, reports the same numbers, exports the same transcript and resumes to the same end", async (t) => {
  const dir = tempDir(t);
  const run = ["run", "paper", "--with-tooluse", "--model", "policy:learner", "--seed", "3", "--run-id", "r"];
  const whole = await atp([...run, "--db", "whole.db", "--transcript", "whole.jsonl"], dir);
  assert.equal(whole.code, 0, whole.stderr);
  const transcript = readFileSync(join(dir, "whole.jsonl"), "utf8");
  assert.match(transcript, /"detail"/, "the run has tool-use rounds, whose detail the store keeps as JSON");
  const wholeReport = await atp(["report", "r", "--db", "whole.db", "--format", "json,md", "--out", "whole-report"], dir);
  assert.equal(wholeReport.code, 0, wholeReport.stderr);

  // The same run in a file of the previous schema: atp upgrades it when it opens it.
  previousSchemaCopy(join(dir, "whole.db"), join(dir, "old.db"));
  const report = await atp(["report", "r", "--db", "old.db", "--format", "json,md", "--out", "old-report"], dir);
  assert.equal(report.code, 0, report.stderr);
  for (const name of ["report.json", "report.md"]) {
    assert.ok(readFileSync(join(dir, "old-report", name), "utf8") === readFileSync(join(dir, "whole-report", name), "utf8"), name);
  }
  const exported = await atp(["export", "r", "--db", "old.db", "--out", "old.jsonl"], dir);
  assert.equal(exported.code, 0, exported.stderr);
  assert.ok(readFileSync(join(dir, "old.jsonl"), "utf8") === transcript, "atp export of the upgraded store writes the same transcript");

  const upgraded = RunStore.open(join(dir, "old.db"), { mustExist: true });
  try {
    assert.equal(upgraded.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(upgraded.db.pragma("foreign_key_check"), []);
    assert.equal(upgraded.db.pragma("integrity_check", { simple: true }), "ok");
    const models = upgraded.db.prepare<[], { model: string; n: number }>("SELECT model, count(*) AS n FROM calls GROUP BY model").all();
    assert.deepEqual(models.map((m) => m.model), ["policy:learner"], "calls saved before are backfilled with the run's model");
    const schema = upgraded.db.prepare<[], string>("SELECT sql FROM sqlite_schema WHERE type = 'table'").pluck().all().join("\n");
    assert.doesNotMatch(schema, /suite IN/, "no CHECK lists the testbeds");
    assert.doesNotMatch(schema, /_next/, "the references point at the renamed tables");
  } finally {
    upgraded.close();
  }

  // Cut the run back as a killed previous atp would have left it, then resume it with this one.
  previousSchemaCopy(join(dir, "whole.db"), join(dir, "cut.db"));
  const cut = new Database(join(dir, "cut.db"));
  cut.pragma("foreign_keys = ON");
  const episodes = cut.prepare<[], number>("SELECT count(*) FROM episodes").pluck().get()!;
  // Every third episode loses its rounds after the first; calls go with them by cascade.
  cut.exec(`
    DELETE FROM rounds WHERE episode_idx % 3 = 0 AND round > 0;
    UPDATE episodes SET status = 'running', finished_at = NULL WHERE idx % 3 = 0;
    UPDATE runs SET status = 'interrupted', finished_at = NULL;
  `);
  const kept = cut.prepare<[], number>("SELECT count(*) FROM calls").pluck().get()!;
  cut.close();
  assert.ok(episodes > 3);
  const resumed = await atp(["resume", "r", "--db", "cut.db", "--transcript", "resumed.jsonl"], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /continuing run r/);
  assert.ok(readFileSync(join(dir, "resumed.jsonl"), "utf8") === transcript, "the resumed run ends as the uninterrupted one");
  assert.equal(resumed.stdout.split("\n").slice(1).join("\n"), whole.stdout.split("\n").slice(1).join("\n"), "the same tables");
  const after = new Database(join(dir, "cut.db"), { readonly: true });
  try {
    assert.ok(after.prepare<[], number>("SELECT count(*) FROM calls").pluck().get()! > kept, "the resume saved the missing rounds");
    assert.equal(after.prepare<[], number>("SELECT count(*) FROM calls WHERE model <> 'policy:learner'").pluck().get(), 0);
  } finally {
    after.close();
  }
});

test("the store takes a testbed it does not know, and keeps each call's model", (t) => {
  const store = RunStore.open(join(tempDir(t), "atp.db"));
  t.after(() => store.close());
  const plan = { suite: "bargaining", key: "bargaining/0", repeat: 0, scenario: { id: "s" }, settings: { rounds: 1 } } as unknown as RunPlan;
  store.createRun({ id: "b", suite: "bargaining", model: "openai:seller", seed: 1, parity: "default", config: {}, versions: {}, plans: [plan] });
  assert.equal(store.getRun("b")!.suite, "bargaining");
  assert.deepEqual(store.loadRunPlans("b"), [plan]);

  const round: TranscriptRound = {
    round: 0,
    calls: [
      { agent: 0, messages: [{ role: "user", content: "offer?" }], response: "10", choice: "10", reward: 1 },
      { agent: 1, messages: [{ role: "user", content: "accept?" }], response: "yes", choice: "yes", reward: 2 },
    ],
    outcome: "deal",
  };
  // Agent 1 is answered by another model; agent 0 by the run's.
  store.saveRound("b", 0, round, [
    { agent: 0, latencyMs: 5, attempts: 1, cached: false },
    { agent: 1, model: "openai:buyer", latencyMs: 6, attempts: 1, cached: false },
  ]);
  assert.deepEqual(store.savedRounds("b", 0), [round]);
  assert.deepEqual(store.callModels("b", 0), new Map([["0/0/0", "openai:seller"], ["0/1/0", "openai:buyer"]]));

  store.db
    .prepare(
      `INSERT INTO pair_runs (id, created_at, updated_at, status, suite, model, seed, parity, settings_json, versions_json, item_count)
       VALUES ('p', 't', 't', 'running', 'bargaining', 'm', 1, 'default', '{}', '{}', 0)`,
    )
    .run();
  assert.equal(store.db.prepare("SELECT suite FROM pair_runs WHERE id = 'p'").pluck().get(), "bargaining");
});
