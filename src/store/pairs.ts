/**
 * Preference-pair runs (atp align pairs) in the run store's file: a run (`pair_runs`), its items
 * (`pair_items`, with each side's status) and every attempt (`pair_attempts`). An attempt and
 * its side's status are saved in one transaction, so a killed run keeps every finished attempt.
 * The store names no testbed: an item is JSON, and its testbed a plain text column.
 */
import type Database from "better-sqlite3";
import type { AttemptRecord, ChoiceKind, PairItem, Side, SideStatus } from "../align/types.js";
import type { Message, Parity } from "../core/types.js";

/** As a run's (src/store/store.ts): interrupted when a signal stopped it. */
export type PairRunStatus = "running" | "done" | "failed" | "interrupted";

export interface NewPairRun {
  id: string;
  suite: string;
  model: string;
  seed: number;
  parity: Parity;
  settings: unknown;
  versions: Record<string, string>;
  items: readonly PairItem[];
}

export interface PairRunRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  status: PairRunStatus;
  suite: string;
  model: string;
  seed: number;
  parity: string;
  settings: unknown;
  versions: Record<string, string>;
  itemCount: number;
}

export interface PairItemProgress {
  done: number;
  pairs: number;
  failed: number;
}

function toPairRunRecord(row: PairRunRow): PairRunRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    status: row.status,
    suite: row.suite,
    model: row.model,
    seed: row.seed,
    parity: row.parity,
    settings: JSON.parse(row.settings_json) as unknown,
    versions: JSON.parse(row.versions_json) as Record<string, string>,
    itemCount: row.item_count,
  };
}

interface PairRunRow {
  id: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  status: PairRunStatus;
  suite: string;
  model: string;
  seed: number;
  parity: string;
  settings_json: string;
  versions_json: string;
  item_count: number;
}

interface AttemptRow {
  idx: number;
  side: Side;
  attempt: number;
  seed: number;
  messages_json: string;
  response: string | null;
  choice: string | null;
  kind: ChoiceKind | null;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  requests: number | null;
  cached: number;
  error: string | null;
}

const nowIso = (): string => new Date().toISOString();

function pairStatements(db: Database.Database) {
  return {
    insertRun: db.prepare<[PairRunRow]>(
      `INSERT INTO pair_runs (id, created_at, updated_at, finished_at, status, suite, model, seed, parity, settings_json, versions_json, item_count)
       VALUES (@id, @created_at, @updated_at, @finished_at, @status, @suite, @model, @seed, @parity, @settings_json, @versions_json, @item_count)`,
    ),
    insertItem: db.prepare<[string, number, string, string]>(`INSERT INTO pair_items (run_id, idx, key, item_json) VALUES (?, ?, ?, ?)`),
    getRun: db.prepare<[string], PairRunRow>(`SELECT * FROM pair_runs WHERE id = ?`),
    listRuns: db.prepare<[], PairRunRow>(`SELECT * FROM pair_runs ORDER BY created_at DESC, rowid DESC`),
    itemProgress: db.prepare<[string], PairItemProgress>(
      `SELECT count(*) FILTER (WHERE aligned_status IN ('found', 'not_found') AND deviant_status IN ('found', 'not_found')) AS done,
              count(*) FILTER (WHERE aligned_status = 'found' AND deviant_status = 'found') AS pairs,
              count(*) FILTER (WHERE aligned_status = 'error' OR deviant_status = 'error') AS failed
       FROM pair_items WHERE run_id = ?`,
    ),
    setStatus: db.prepare<[PairRunStatus, string, string | null, string]>(`UPDATE pair_runs SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?`),
    touchRun: db.prepare<[string, string]>(`UPDATE pair_runs SET updated_at = ? WHERE id = ?`),
    items: db.prepare<[string], { item_json: string }>(`SELECT item_json FROM pair_items WHERE run_id = ? ORDER BY idx`),
    attempts: db.prepare<[string], AttemptRow>(
      `SELECT idx, side, attempt, seed, messages_json, response, choice, kind, latency_ms, prompt_tokens, completion_tokens, requests, cached, error
       FROM pair_attempts WHERE run_id = ? ORDER BY idx, side, attempt`,
    ),
    // A failed attempt is asked again with the same number and seed; its answer replaces the row.
    putAttempt: db.prepare(
      `INSERT OR REPLACE INTO pair_attempts (run_id, idx, side, attempt, seed, messages_json, response, choice, kind, latency_ms,
                                             prompt_tokens, completion_tokens, requests, cached, error, saved_at)
       VALUES (@run_id, @idx, @side, @attempt, @seed, @messages_json, @response, @choice, @kind, @latency_ms,
               @prompt_tokens, @completion_tokens, @requests, @cached, @error, @saved_at)`,
    ),
    setAligned: db.prepare<[string, string | null, string, number]>(`UPDATE pair_items SET aligned_status = ?, aligned_why = ? WHERE run_id = ? AND idx = ?`),
    setDeviant: db.prepare<[string, string | null, string, number]>(`UPDATE pair_items SET deviant_status = ?, deviant_why = ? WHERE run_id = ? AND idx = ?`),
  };
}

/** The pair tables of a store's connection: `RunStore.pairs`, which opens and closes it. */
export class PairRuns {
  private readonly q: ReturnType<typeof pairStatements>;
  private readonly saveTx: Database.Transaction<(runId: string, a: AttemptRecord, status: SideStatus | "pending", why: string | null) => void>;

  constructor(private readonly db: Database.Database) {
    this.q = pairStatements(db);
    this.saveTx = db.transaction((runId: string, a: AttemptRecord, status: SideStatus | "pending", why: string | null) => {
      const t = nowIso();
      this.q.putAttempt.run({
        run_id: runId,
        idx: a.idx,
        side: a.side,
        attempt: a.attempt,
        seed: a.seed,
        messages_json: JSON.stringify(a.messages),
        response: a.response,
        choice: a.choice,
        kind: a.kind,
        latency_ms: a.latencyMs,
        prompt_tokens: a.promptTokens ?? null,
        completion_tokens: a.completionTokens ?? null,
        requests: a.requests,
        cached: a.cached ? 1 : 0,
        error: a.error ?? null,
        saved_at: t,
      });
      const set = a.side === "aligned" ? this.q.setAligned : this.q.setDeviant;
      if (set.run(status, why, runId, a.idx).changes === 0) throw new Error(`no pair run '${runId}' item ${a.idx}`);
      this.q.touchRun.run(t, runId);
    });
  }

  createRun(r: NewPairRun): void {
    this.db
      .transaction(() => {
        if (this.q.getRun.get(r.id) !== undefined) throw new Error(`pair run '${r.id}' already exists`);
        const t = nowIso();
        this.q.insertRun.run({
          id: r.id,
          created_at: t,
          updated_at: t,
          finished_at: null,
          status: "running",
          suite: r.suite,
          model: r.model,
          seed: r.seed,
          parity: r.parity,
          settings_json: JSON.stringify(r.settings ?? null),
          versions_json: JSON.stringify(r.versions),
          item_count: r.items.length,
        });
        r.items.forEach((item, idx) => this.q.insertItem.run(r.id, idx, item.key, JSON.stringify(item)));
      })
      .immediate();
  }

  getRun(id: string): PairRunRecord | undefined {
    const row = this.q.getRun.get(id);
    return row === undefined ? undefined : toPairRunRecord(row);
  }

  /** Newest first. */
  listRuns(): PairRunRecord[] {
    return this.q.listRuns.all().map(toPairRunRecord);
  }

  /** How far the run's items are: both sides settled, both found (a pair), or stopped on a failed call. */
  itemProgress(runId: string): PairItemProgress {
    return this.q.itemProgress.get(runId)!;
  }

  /** The run's items exactly as they were saved, in order. */
  loadItems(runId: string): PairItem[] {
    return this.q.items.all(runId).map((r) => JSON.parse(r.item_json) as PairItem);
  }

  /** Saved attempts by item index, in side and attempt order. */
  savedAttempts(runId: string): Map<number, AttemptRecord[]> {
    const out = new Map<number, AttemptRecord[]>();
    for (const r of this.q.attempts.all(runId)) {
      const a: AttemptRecord = {
        idx: r.idx,
        side: r.side,
        attempt: r.attempt,
        seed: r.seed,
        messages: JSON.parse(r.messages_json) as Message[],
        response: r.response,
        choice: r.choice,
        kind: r.kind,
        latencyMs: r.latency_ms,
        requests: r.requests ?? 0,
        cached: r.cached === 1,
      };
      if (r.prompt_tokens !== null) a.promptTokens = r.prompt_tokens;
      if (r.completion_tokens !== null) a.completionTokens = r.completion_tokens;
      if (r.error !== null) a.error = r.error;
      const list = out.get(r.idx);
      if (list) list.push(a);
      else out.set(r.idx, [a]);
    }
    return out;
  }

  /** Saves one attempt and its side's status (`pending` while attempts remain) in one transaction. */
  saveAttempt(runId: string, attempt: AttemptRecord, status: SideStatus | "pending", why: string | null): void {
    this.saveTx.immediate(runId, attempt, status, why);
  }

  /** Done and failed pair runs get a finish time; running or interrupted ones lose theirs. */
  setRunStatus(id: string, status: PairRunStatus): void {
    const t = nowIso();
    const finished = status === "done" || status === "failed" ? t : null;
    if (this.q.setStatus.run(status, t, finished, id).changes === 0) throw new Error(`no pair run '${id}'`);
  }
}

