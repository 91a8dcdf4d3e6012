/**
 * The life of a stored run, the same for every kind of run the store keeps (a run of `atp run`
 * and `atp resume`, a pair run of `atp align pairs`): open the store, take the run's lock (one
 * writer per run, src/store/lock.ts), create the run or continue it when its settings match,
 * mark it running, play, and mark it done or failed; a stop by a signal marks it interrupted and
 * says what it has saved and how to continue it. The store is closed, and the lock released,
 * however the session ends; a killed process leaves the run `running` without a writer, which
 * `atp runs` shows as interrupted and the next session takes over.
 */
import { randomBytes } from "node:crypto";
import { InputError, RunStopped } from "../core/errors.js";
import { RUN_LABEL, type LockKind, type LockOwner } from "../store/lock.js";
import { RunStore, type RunStatus } from "../store/store.js";

/** What the lifecycle needs of one kind of stored run (`R`: its stored record). */
export interface StoredRunKind<R> {
  lock: LockKind;
  find(store: RunStore, runId: string): R | undefined;
  setStatus(store: RunStore, runId: string, status: RunStatus): void;
  /** What the run holds, for the message of a stop: "3 of 92 episodes finished and 40 rounds". */
  saved(store: RunStore, runId: string): string;
  /** The settings a `--run-id` must repeat, as its refusal lists them (" (model, seed)"), or "". */
  settingsListed: string;
  /** How to continue the run with its own settings, in that refusal: "continue it with `atp resume ID`". */
  howToContinue(runId: string): string;
  /** The line after a stop that says how to continue: "Continue it with: atp resume ID --db FILE". */
  continueLine(runId: string, db: string): string;
}

/** One session's hold on a stored run: the open store and the run's lock, until the session ends. */
export interface Session<R> {
  store: RunStore;
  /** The store's file as the user named it, for the messages. */
  db: string;
  runId: string;
  /** The stored run, when the store already has it. */
  existing: R | undefined;
  /** The writer that held the run's lock and is gone. */
  takenOver: LockOwner | null;
}

/** A new run id: sortable by time, with a random tail so two runs in one second differ. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/**
 * Opens the store `db`, takes the lock of run `runId` (a new id when null) and reads the run,
 * then hands the session to `body`; closes the store, releasing the lock, however it ends.
 * `mustExist`: a missing store file is an InputError, and nothing is created.
 */
export async function withRun<R, T>(
  kind: StoredRunKind<R>,
  db: string,
  runId: string | null,
  options: { mustExist?: boolean },
  body: (session: Session<R>) => Promise<T>,
): Promise<T> {
  const store = RunStore.open(db, { mustExist: options.mustExist });
  try {
    const id = runId ?? newRunId();
    // The lock comes before the read, so two sessions cannot both create the run.
    const { takenOver } = store.lock(kind.lock, id);
    return await body({ store, db, runId: id, existing: kind.find(store, id), takenOver });
  } finally {
    store.close();
  }
}

/**
 * Creates the session's run when the store lacks it; a stored run is continued only with the
 * settings it was started with (`sameSettings`), anything else is refused with how to continue it.
 */
export function createOrContinue<R>(session: Session<R>, kind: StoredRunKind<R>, run: { sameSettings(stored: R): boolean; create(): void }): void {
  if (session.existing === undefined) run.create();
  else if (!run.sameSettings(session.existing)) {
    throw new InputError(
      `--run-id ${session.runId}: the store ${session.db} already has this ${RUN_LABEL[kind.lock]} with other settings${kind.settingsListed}; ` +
        `${kind.howToContinue(session.runId)}, or choose another --run-id`,
    );
  }
}

/**
 * Marks the run running and plays it; then marks it failed when `failed(result)` says so, else
 * done. When `signal` was aborted (with the signal's name) the run is marked interrupted instead
 * and RunStopped says what it has saved and how to continue it.
 */
export async function playRun<R, T>(
  session: Session<R>,
  kind: StoredRunKind<R>,
  signal: AbortSignal | undefined,
  play: () => Promise<T>,
  failed: (result: T) => boolean,
): Promise<T> {
  const { store, runId, db } = session;
  kind.setStatus(store, runId, "running");
  const result = await play();
  if (signal?.aborted) {
    const by = signal.reason as NodeJS.Signals;
    kind.setStatus(store, runId, "interrupted");
    throw new RunStopped(
      `stopped by ${by}: ${RUN_LABEL[kind.lock]} ${runId} has ${kind.saved(store, runId)} saved in ${db}; calls in flight were abandoned.\n` +
        `     ${kind.continueLine(runId, db)}`,
      by,
    );
  }
  kind.setStatus(store, runId, failed(result) ? "failed" : "done");
  return result;
}
