/**
 * The store as input, through the real `atp` command: a directory, a text file, another
 * program's SQLite file, a store from a newer atp and a missing file each give exit 2 and a
 * message naming the file, and are left exactly as they were (nothing created, nothing written).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SCHEMA_VERSION } from "../src/store/schema.js";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-store-input-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return atpInProcess(args, cwd, process.env);
}

/** Every command that opens a store, with `db` as its --db. */
function commands(db: string): string[][] {
  return [
    ["run", "roleplay", "--rounds", "1", "--db", db],
    ["align", "pairs", "--suite", "roleplay", "--variants", "1", "--model", "policy:fixed?p=0.5", "--db", db],
    ["runs", "--db", db],
    ["runs", "--json", "--db", db],
    ["export", "r", "--db", db],
    ["resume", "r", "--db", db],
    ["report", "r", "--db", db, "--out", join(root, "never-written")],
    ["view", "--db", db, "--port", "0"],
    ["align", "export", "--run-id", "r", "--db", db, "--format", "trl", "--out", join(root, "never-written")],
  ];
}

/** The folder's files (and folders) with their bytes, to show a refused command left them as they were. */
function snapshot(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => {
      const path = join(dir, f);
      return [f, statSync(path).isDirectory() ? "folder" : readFileSync(path).toString("base64")];
    }),
  );
}

async function refusedEverywhere(dir: string, db: string, reason: RegExp): Promise<void> {
  const before = snapshot(dir);
  for (const args of commands(db)) {
    const r = await atp(args, dir);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`--db ${db}`), `${args.join(" ")} names the file: ${r.stderr}`);
    assert.match(r.stderr, reason, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(snapshot(dir), before, `${args.join(" ")} leaves the folder as it was`);
  }
  assert.ok(!existsSync(join(root, "never-written")), "no report folder");
}

test("a directory as --db is refused by every command", async () => {
  const dir = mkdtempSync(join(root, "dir-"));
  mkdirSync(join(dir, "store"));
  await refusedEverywhere(dir, "store", /a directory; --db takes the store's file, e\.g\. store\/atp\.db/);
  assert.deepEqual(readdirSync(join(dir, "store")), [], "nothing is created inside it");
});

test("a text file as --db is refused and left as it was", async () => {
  const dir = mkdtempSync(join(root, "text-"));
  writeFileSync(join(dir, "notes.db"), "these are my notes, not a database\n".repeat(20));
  await refusedEverywhere(dir, "notes.db", /not a SQLite file/);
});

test("another program's SQLite file is refused, its tables named", async () => {
  const dir = mkdtempSync(join(root, "foreign-"));
  const db = new Database(join(dir, "places.sqlite"));
  db.exec("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES ('https://example.org');");
  db.close();
  await refusedEverywhere(dir, "places.sqlite", /a SQLite database of another program \(tables moz_places\), not an atp run store/);
  // A program that also has a `runs` table and sets user_version is still not taken for ours.
  const other = new Database(join(dir, "other.db"));
  other.exec("CREATE TABLE runs (id TEXT); PRAGMA user_version = 1;");
  other.close();
  const r = await atp(["runs", "--db", "other.db"], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /another program \(tables runs\)/);
});

test("a store from a newer atp is refused before anything writes to it, by view too", async () => {
  const dir = mkdtempSync(join(root, "newer-"));
  // A real store with a run, as this atp writes it, then marked as a newer schema.
  const made = await atp(["run", "roleplay", "--rounds", "1", "--run-id", "r", "--db", "future.db"], dir);
  assert.equal(made.code, 0, made.stderr);
  const db = new Database(join(dir, "future.db"));
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  // Out of WAL mode, so that switching it back (as every open does) would change the file.
  db.pragma("journal_mode = DELETE");
  db.close();
  assert.deepEqual(readdirSync(dir), ["future.db"], "no WAL files left by the setup");
  await refusedEverywhere(dir, "future.db", new RegExp(`schema version ${SCHEMA_VERSION + 1} is newer than this atp supports \\(${SCHEMA_VERSION}\\); upgrade atp`));
});

test("runs, export, resume, report, view and align export on a missing --db say so and create nothing", async () => {
  const dir = mkdtempSync(join(root, "missing-"));
  for (const args of commands(join("sub", "missing.db")).slice(2)) {
    const r = await atp(args, dir);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /--db sub\/missing\.db: no run store there .*nothing was created/, args.join(" "));
  }
  // The default store (./atp-runs/atp.db) too.
  for (const args of [["runs"], ["export", "r"], ["resume", "r"], ["report", "r"], ["view", "--port", "0"]]) {
    const r = await atp(args, dir);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /--db atp-runs\/atp\.db: no run store there/, args.join(" "));
  }
  assert.deepEqual(readdirSync(dir), [], "no file or folder created");
});

test("an empty file is a new store: run fills it, and runs lists the run", async () => {
  const dir = mkdtempSync(join(root, "empty-"));
  writeFileSync(join(dir, "fresh.db"), "");
  const made = await atp(["run", "roleplay", "--rounds", "1", "--run-id", "first", "--db", "fresh.db"], dir);
  assert.equal(made.code, 0, made.stderr);
  const listed = await atp(["runs", "--db", "fresh.db"], dir);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^first\s/m);
});
