/**
 * One writer per run, through the real `atp` command against the loopback server: while a run
 * (or a pair run) is being written, a second `atp run --run-id`, `atp resume` or `atp align pairs`
 * on it exits 2 naming the run, the owner's pid and since when, and asks and writes nothing;
 * once the owner is killed the next writer takes the lock over and finishes.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { choosingAnswer, startFakeOpenAI, type FakeOpenAI } from "./helpers/fake-openai.js";
import { repoRoot } from "./helpers/paper.js";
import { acquireRunLock, RunLockedError, runWriter } from "../src/store/lock.js";
import { RunStore } from "../src/store/store.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");
const root = mkdtempSync(join(tmpdir(), "atp-lock-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function query<T>(db: string, sql: string): T[] {
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return conn.prepare(sql).all() as T[];
    } finally {
      conn.close();
    }
  } catch {
    return []; // not created yet
  }
}

const count = (db: string, table: string) => query<{ n: number }>(db, `SELECT count(*) AS n FROM ${table}`)[0]?.n ?? 0;
const locks = (db: string) => query<{ kind: string; run_id: string; pid: number; host: string }>(db, "SELECT kind, run_id, pid, host FROM run_locks");

/** Starts a writer and waits until it has saved `rows` rows of `table`, still running. */
async function startWriter(args: string[], db: string, table: string, rows: number): Promise<{ child: ChildProcess; killed: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 30_000;
  while (count(db, table) < rows) {
    if (Date.now() > deadline) throw new Error(`no ${table} saved in time`);
    if (child.exitCode !== null) throw new Error("the writer finished too soon; slow the server down");
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    killed: async () => {
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
    },
  };
}

/** The refusal names the run, the owner's pid and host, and since when; the idle server was not asked. */
function assertRefused(r: { code: number; stderr: string }, what: string, pid: number, idle: FakeOpenAI): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${what} is being written by another atp process \\(pid ${pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.equal(idle.requests.length, 0, "the refused writer asked nothing");
}

test("a second run or resume on a running run is refused; after SIGKILL the next resume takes over and finishes", async () => {
  const busy = await startFakeOpenAI({ latencyMs: 200, capacity: 1, respond: (body) => choosingAnswer(body) });
  const idle = await startFakeOpenAI({ respond: (body) => choosingAnswer(body) });
  try {
    const db = join(root, "run.db");
    const run = (url: string) => ["run", "roleplay", "--model", "openai:fake-model", "--base-url", url, "--concurrency", "2", "--rounds", "3", "--seed", "3", "--db", db, "--run-id", "live"];
    const owner = await startWriter(run(busy.url), db, "rounds", 4);
    const pid = owner.child.pid!;
    assert.deepEqual(locks(db).map((l) => [l.kind, l.run_id, l.pid]), [["run", "live", pid]]);

    const listed = JSON.parse((await atp(["runs", "--json", "--db", db])).stdout);
    assert.equal(listed[0].status, "running");
    assert.equal(listed[0].writer.pid, pid);

    const roundsBefore = count(db, "rounds");
    assertRefused(await atp(run(idle.url)), "run 'live'", pid, idle);
    assertRefused(await atp(["resume", "live", "--db", db, "--base-url", idle.url]), "run 'live'", pid, idle);
    assert.ok(count(db, "rounds") >= roundsBefore, "the owner's rounds are untouched");
    assert.deepEqual(locks(db).map((l) => l.pid), [pid], "the owner keeps its lock");

    await owner.killed();
    const stopped = JSON.parse((await atp(["runs", "--json", "--db", db])).stdout);
    assert.equal(stopped[0].status, "interrupted", "a run whose writer is gone shows as interrupted");
    assert.equal(stopped[0].writer, null);

    const resumed = await atp(["resume", "live", "--db", db, "--base-url", idle.url]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`run live was held by pid ${pid} on ${hostname()} since \\S+, which is gone; taking it over`));
    assert.ok(idle.requests.length > 0, "the new owner asked for the rest");
    assert.equal(query<{ status: string }>(db, "SELECT status FROM runs")[0].status, "done");
    assert.equal(count(db, "rounds"), 64 * 3);
    assert.deepEqual(locks(db), [], "the lock is released at the end");
  } finally {
    await busy.close();
    await idle.close();
  }
});

test("a second atp align pairs on a running pair run is refused; after SIGKILL the same command takes over", async () => {
  const busy = await startFakeOpenAI({ latencyMs: 200, capacity: 1, respond: (body) => choosingAnswer(body) });
  const idle = await startFakeOpenAI({ respond: (body) => choosingAnswer(body) });
  try {
    const db = join(root, "pairs.db");
    const pairs = (url: string) => ["align", "pairs", "--suite", "roleplay", "--variants", "2", "--model", "openai:fake-model", "--base-url", url, "--concurrency", "2", "--db", db, "--run-id", "p"];
    const owner = await startWriter(pairs(busy.url), db, "pair_attempts", 4);
    const pid = owner.child.pid!;
    assertRefused(await atp(pairs(idle.url)), "pair run 'p'", pid, idle);
    // The lock row names the pair run, apart from any run of the same id.
    assert.deepEqual(locks(db).map((l) => [l.kind, l.run_id, l.pid]), [["pairs", "p", pid]]);

    await owner.killed();
    const again = await atp(pairs(idle.url));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`pair run p was held by pid ${pid} .* which is gone; taking it over`));
    assert.equal(query<{ status: string }>(db, "SELECT status FROM pair_runs")[0].status, "done");
    assert.deepEqual(locks(db), []);
  } finally {
    await busy.close();
    await idle.close();
  }
});

test("a lock held from another host counts while its heartbeat is fresh, and is taken over once it is stale", async () => {
  const db = join(root, "shared.db");
  const made = await atp(["run", "roleplay", "--rounds", "1", "--run-id", "s", "--db", db]);
  assert.equal(made.code, 0, made.stderr);
  const hold = (heartbeat: Date) => {
    const conn = new Database(db);
    // pid 1 is alive here, but on another host a pid says nothing: only the heartbeat does.
    conn.prepare("INSERT OR REPLACE INTO run_locks (kind, run_id, pid, host, since, heartbeat_at) VALUES ('run', 's', 1, 'lab-node-7', ?, ?)").run("2026-01-01T00:00:00.000Z", heartbeat.toISOString());
    conn.close();
  };
  hold(new Date());
  const refused = await atp(["resume", "s", "--db", db]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /run 's' is being written by another atp process \(pid 1 on lab-node-7, since 2026-01-01T00:00:00\.000Z, last heartbeat \d+ s ago\)/);

  hold(new Date(Date.now() - 10 * 60_000));
  const taken = await atp(["resume", "s", "--db", db]);
  assert.equal(taken.code, 0, taken.stderr);
  assert.match(taken.stderr, /run s was held by pid 1 on lab-node-7 since 2026-01-01T00:00:00\.000Z, which is gone; taking it over/);
  assert.deepEqual(locks(db), []);
});

test("in one process: a lock is held once, renews its heartbeat, is released on close; a live pid here holds, a dead namesake's is taken", async (t) => {
  const file = join(root, "unit.db");
  const store = RunStore.open(file);
  t.after(() => store.db.open && store.close());
  const lock = store.lock("run", "u", { heartbeatMs: 20, staleMs: 60_000 });
  assert.equal(lock.takenOver, null);
  assert.throws(() => acquireRunLock(store.db, "run", "u"), (err: unknown) => err instanceof RunLockedError && err.owner.pid === process.pid);
  assert.equal(store.lock("pairs", "u").takenOver, null, "a pair run of the same id is another lock");

  const beat = () => store.db.prepare<[], string>("SELECT heartbeat_at FROM run_locks WHERE kind = 'run'").pluck().get()!;
  const first = beat();
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(beat() > first, "the heartbeat moves on");
  assert.equal(runWriter(store.db, "run", "u")?.pid, process.pid);

  lock.release();
  assert.equal(runWriter(store.db, "run", "u"), null);
  // On this host a live pid holds its run however old its heartbeat (a process stopped with Ctrl-Z).
  const insert = store.db.prepare("INSERT OR REPLACE INTO run_locks (kind, run_id, pid, host, since, heartbeat_at) VALUES ('run', 'u', ?, ?, ?, ?)");
  insert.run(process.ppid, hostname(), "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
  assert.throws(() => store.lock("run", "u"), (err: unknown) => err instanceof RunLockedError && err.owner.pid === process.ppid);
  // A row with this pid that this process does not hold was left by an earlier process with the same pid.
  insert.run(process.pid, hostname(), "2026-01-01T00:00:00.000Z", new Date().toISOString());
  assert.equal(store.lock("run", "u").takenOver?.since, "2026-01-01T00:00:00.000Z");
  store.close();
  const reopened = RunStore.open(file, { mustExist: true });
  assert.equal(reopened.db.prepare("SELECT count(*) FROM run_locks").pluck().get(), 0, "close releases every lock");
  reopened.close();
});
