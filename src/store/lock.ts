/**
 * One writer per run. The process that plays a run (atp run, atp resume, atp align pairs) holds
 * the run's row in `run_locks`: its pid and host, since when, and a heartbeat it renews while it
 * lives. A second writer is refused while the owner lives, and takes the lock over once the owner
 * is gone: on this host, its pid is not alive; from another host (a store on a shared disk), its
 * heartbeat is older than the stale timeout.
 */
import { hostname } from "node:os";
import type Database from "better-sqlite3";
import { InputError } from "../core/errors.js";

export type LockKind = "run" | "pairs";

export interface LockTiming {
  heartbeatMs: number;
  /** A heartbeat older than this means an owner on another host is gone. */
  staleMs: number;
}

export const LOCK_TIMING: Readonly<LockTiming> = Object.freeze({ heartbeatMs: 10_000, staleMs: 120_000 });

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO 8601 times. */
  since: string;
  heartbeatAt: string;
}

interface LockRow {
  pid: number;
  host: string;
  since: string;
  heartbeat_at: string;
}

/** What the messages call a run of each kind. */
export const RUN_LABEL: Readonly<Record<LockKind, string>> = { run: "run", pairs: "pair run" };

/** Locks this process holds (by file, kind, run): a row with our pid not among them is a dead namesake's. */
const held = new Set<string>();
const heldKey = (db: Database.Database, kind: LockKind, runId: string) => `${db.name}\0${kind}\0${runId}`;

/** Another live process writes the run. Exit code 2, like all input errors: nothing was written. */
export class RunLockedError extends InputError {
  constructor(
    kind: LockKind,
    runId: string,
    readonly owner: LockOwner,
    staleMs: number,
  ) {
    const beat = Math.max(0, Math.round((Date.now() - Date.parse(owner.heartbeatAt)) / 1000));
    super(
      `${RUN_LABEL[kind]} '${runId}' is being written by another atp process (pid ${owner.pid} on ${owner.host}, since ${owner.since}, ` +
        `last heartbeat ${beat} s ago); let it finish or stop it, then try again (a lock whose process is gone is taken over, ` +
        `from another host after ${staleMs / 1000} s without a heartbeat)`,
    );
    this.name = "RunLockedError";
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownerGone(row: LockRow, key: string, host: string, staleMs: number): boolean {
  // Here the pid decides, so a stopped process (Ctrl-Z) keeps its run; a pid from elsewhere says nothing.
  if (row.host !== host) return Date.now() - Date.parse(row.heartbeat_at) > staleMs;
  if (row.pid === process.pid) return !held.has(key);
  return !pidAlive(row.pid);
}

/** A held lock: renews its heartbeat until released. */
export class RunLock {
  private readonly timer: NodeJS.Timeout;
  private released = false;

  constructor(
    private readonly db: Database.Database,
    readonly kind: LockKind,
    readonly runId: string,
    private readonly host: string,
    /** The gone owner this lock was taken from, if any. */
    readonly takenOver: LockOwner | null,
    heartbeatMs: number,
  ) {
    held.add(heldKey(db, kind, runId));
    const beat = db.prepare(`UPDATE run_locks SET heartbeat_at = ? WHERE kind = ? AND run_id = ? AND pid = ? AND host = ?`);
    this.timer = setInterval(() => {
      try {
        beat.run(new Date().toISOString(), kind, runId, process.pid, host);
      } catch {
        // A busy store misses one beat; the next one comes well before the stale timeout.
      }
    }, heartbeatMs);
    this.timer.unref();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    held.delete(heldKey(this.db, this.kind, this.runId));
    if (this.db.open) {
      this.db.prepare(`DELETE FROM run_locks WHERE kind = ? AND run_id = ? AND pid = ? AND host = ?`).run(this.kind, this.runId, process.pid, this.host);
    }
  }
}

const toOwner = (row: LockRow): LockOwner => ({ pid: row.pid, host: row.host, since: row.since, heartbeatAt: row.heartbeat_at });

function lockRow(db: Database.Database, kind: LockKind, runId: string): LockRow | undefined {
  return db.prepare<[string, string], LockRow>(`SELECT pid, host, since, heartbeat_at FROM run_locks WHERE kind = ? AND run_id = ?`).get(kind, runId);
}

/** The live process writing the run, or null when none does (a lock left by a gone owner counts as none). */
export function runWriter(db: Database.Database, kind: LockKind, runId: string, timing: LockTiming = LOCK_TIMING): LockOwner | null {
  const row = lockRow(db, kind, runId);
  return row === undefined || ownerGone(row, heldKey(db, kind, runId), hostname(), timing.staleMs) ? null : toOwner(row);
}

/** Takes the run's lock, or throws RunLockedError naming the live owner. */
export function acquireRunLock(db: Database.Database, kind: LockKind, runId: string, timing: LockTiming = LOCK_TIMING): RunLock {
  const host = hostname();
  const key = heldKey(db, kind, runId);
  const takenOver = db
    .transaction((): LockOwner | null => {
      const row = lockRow(db, kind, runId);
      const previous = row === undefined ? null : toOwner(row);
      if (previous !== null && !ownerGone(row!, key, host, timing.staleMs)) throw new RunLockedError(kind, runId, previous, timing.staleMs);
      const t = new Date().toISOString();
      db.prepare(`INSERT OR REPLACE INTO run_locks (kind, run_id, pid, host, since, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)`).run(kind, runId, process.pid, host, t, t);
      return previous;
    })
    .immediate();
  return new RunLock(db, kind, runId, host, takenOver, timing.heartbeatMs);
}
