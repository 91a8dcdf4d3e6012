/**
 * Pair runs live in the run store's file beside runs. A file written by any schema version that
 * has the pair tables, holding a run and an interrupted pair run, opens, lists both and continues
 * the pair run to the pairs an uninterrupted run writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

import { MIGRATIONS, SCHEMA_VERSION } from "../src/store/schema.js";
import { RunStore } from "../src/store/store.js";
import { atp } from "./helpers/atp-cli.js";

/** The first schema version with the pair tables. */
const FIRST_PAIR_VERSION = 2;

function tables(db: Database.Database, schema: string): string[] {
  return db.prepare<[], string>(`SELECT name FROM ${schema}.sqlite_master WHERE type = 'table'`).pluck().all();
}

function columns(db: Database.Database, table: string): string {
  return db
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => c.name)
    .join(", ");
}

/**
 * Copies `source` (a current store) into a new file of schema `version`, as that atp would have
 * left it had the pair run stopped half way: the attempts of the first `keptItems` items saved,
 * the other items pending, the run still running.
 */
function interruptedCopy(source: string, file: string, version: number, keptItems: number): void {
  const db = new Database(file);
  db.pragma("foreign_keys = ON");
  for (const sql of MIGRATIONS.slice(0, version)) db.exec(sql);
  db.pragma(`user_version = ${version}`);
  db.prepare("ATTACH DATABASE ? AS src").run(source);
  db.transaction(() => {
    const old = tables(db, "main");
    // Parents first, so every reference finds its row.
    for (const table of ["runs", "episodes", "rounds", "calls", "rejected_answers", "pair_runs", "pair_items", "pair_attempts"]) {
      if (!old.includes(table)) continue;
      const cols = columns(db, table);
      const kept = table === "pair_attempts" ? ` WHERE idx < ${keptItems}` : "";
      db.exec(`INSERT INTO main.${table} (${cols}) SELECT ${cols} FROM src.${table}${kept} ORDER BY rowid`);
    }
    db.prepare(`UPDATE pair_items SET aligned_status = 'pending', deviant_status = 'pending', aligned_why = NULL, deviant_why = NULL WHERE idx >= ?`).run(keptItems);
    db.exec(`UPDATE pair_runs SET status = 'running', finished_at = NULL`);
  })();
  db.exec("DETACH DATABASE src");
  db.close();
}

test("a store of every schema with pair tables, holding a run and a stopped pair run, opens, lists both and finishes the pair run", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "atp-pair-upgrade-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const model = ["--model", "policy:fixed?p=0.5"];
  const run = await atp(["run", "roleplay", ...model, "--rounds", "1", "--variants", "1", "--run-id", "r", "--db", "whole.db"], dir);
  assert.equal(run.code, 0, run.stderr);
  const pairs = ["align", "pairs", "--suite", "roleplay", "--variants", "2", ...model, "--seed", "5", "--run-id", "p"];
  const whole = await atp([...pairs, "--db", "whole.db", "--out", "whole.jsonl"], dir);
  assert.equal(whole.code, 0, whole.stderr);
  const expected = readFileSync(join(dir, "whole.jsonl"), "utf8");
  assert.ok(expected.length > 0, "the uninterrupted run makes pairs");

  for (let version = FIRST_PAIR_VERSION; version < SCHEMA_VERSION; version++) {
    const file = `v${version}.db`;
    interruptedCopy(join(dir, "whole.db"), join(dir, file), version, 10);
    const listed = await atp(["runs", "--db", file, "--json"], dir);
    assert.equal(listed.code, 0, listed.stderr);
    const kinds = (JSON.parse(listed.stdout) as { id: string; kind: string; status: string }[]).map((r) => `${r.kind} ${r.id} ${r.status}`).sort();
    assert.deepEqual(kinds, ["pairs p interrupted", "run r done"], `version ${version}`);

    const resumed = await atp([...pairs, "--db", file, "--out", `v${version}.jsonl`], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /continuing pair run p: [1-9]\d* answers already saved/, `version ${version}`);
    assert.ok(readFileSync(join(dir, `v${version}.jsonl`), "utf8") === expected, `version ${version}: the continued run writes the same pairs`);

    const store = RunStore.open(join(dir, file), { mustExist: true });
    try {
      assert.equal(store.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
      assert.deepEqual(store.db.pragma("foreign_key_check"), []);
      assert.equal(store.pairs.getRun("p")?.status, "done");
      assert.equal(store.getRun("r")?.status, "done");
    } finally {
      store.close();
    }
  }
});
