/**
 * A run kept in one SQLite file: its settings, its planned episodes (with their full scenarios,
 * so a resume needs no scenario file), and every finished round with its calls. A round is saved
 * in one transaction, so a killed run leaves only whole rounds, and a resume replays them.
 * (A round with a detail is one agent's several calls, told apart by `turn`.) The store names no
 * testbed: a testbed is a plain text column, and what it records per round beyond the transcript's
 * common fields is JSON (`detail`).
 */
import { createHash } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";

import { InputError } from "../core/errors.js";
import type { ToolCall } from "../core/types.js";
import type { EpisodePlan, RunPlan } from "../testbeds/registry.js";
import { toTranscript } from "../transcript/episode.js";
import type { TranscriptCall, TranscriptEpisode, TranscriptRound } from "../transcript/types.js";
import { acquireRunLock, type LockKind, type LockTiming, type RunLock } from "./lock.js";
import { PairRuns } from "./pairs.js";
import { checkStore, configureConnection, migrate } from "./schema.js";

export type RunStatus = "running" | "done" | "failed" | "interrupted";
export type EpisodeStatus = "pending" | "running" | "done" | "failed";

export interface NewRun {
  id: string;
  suite: string;
  model: string;
  seed: number;
  parity: string;
  /** The run settings as given, kept for the record and for resuming. */
  config: unknown;
  versions: Record<string, string>;
  plans: RunPlan[];
}

export interface RunRecord {
  id: string;
  /** ISO 8601 times. */
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  suite: string;
  model: string;
  seed: number;
  parity: string;
  config: unknown;
  versions: Record<string, string>;
  episodeCount: number;
}

export interface EpisodeState {
  idx: number;
  key: string;
  repeat: number;
  status: EpisodeStatus;
  error: string | null;
  /** How often the episode has failed, over all attempts. */
  attemptsFailed: number;
  roundsSaved: number;
}

/** What the runner knows about each model call of a round, beyond the transcript. */
export interface CallMeta {
  agent: number;
  /** The call's place among the agent's calls of its round (in a round with a detail); 0 when absent. */
  turn?: number;
  /** The model that answered; absent means the run's model. */
  model?: string;
  latencyMs: number;
  attempts: number;
  promptTokens?: number;
  completionTokens?: number;
  cached: boolean;
  /** The last failed attempt's error, kept even when a retry succeeded. */
  error?: string;
  /** Why the model stopped (Reply.finishReason); absent for agents that are not models. */
  finishReason?: string | null;
  /** Reasoning returned apart from the answer. */
  reasoning?: string;
}

/** Why an answer was not scored: cut off at the token limit, or nothing in it. */
export type RejectedWhy = "truncated" | "empty";

/** An answer that failed its call instead of being scored, kept with the call it answered. */
export interface RejectedAnswer {
  round: number;
  agent: number;
  turn: number;
  why: RejectedWhy;
  messages: unknown[];
  response: string;
  toolCalls?: ToolCall[];
  reasoning?: string;
  finishReason: string | null;
  latencyMs: number;
  promptTokens?: number;
  completionTokens?: number;
  attempts: number;
}

export interface CallStats {
  /**
   * Calls the agent answered, from the model or the cache. Agents that are not asked (fixed
   * colluders: saved without a CallMeta, or with attempts 0 and not cached) are not counted.
   */
  calls: number;
  cached: number;
  /** Calls that needed a retry: more than one request (each later succeeded, or it would not be saved). */
  errors: number;
  /**
   * Answers cut off at the token limit: those that failed their episode, and those scored
   * anyway (--score-truncated). Counted apart from unclear answers.
   */
  truncated: number;
  /** Answers with no content and no tool calls, which failed their episode. */
  empty: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Mean over calls that reached the model (cache hits excluded); null when there were none. */
  meanLatencyMs: number | null;
}

export interface CachedResponse {
  text: string;
  toolCalls?: ToolCall[];
  finishReason?: string | null;
  reasoning?: string;
  promptTokens?: number;
  completionTokens?: number;
}

export interface OpenOptions {
  /** For commands that read a store (runs, export, resume, report, view): refuse a missing file. */
  mustExist?: boolean;
}

export interface ExportOptions {
  /** Also export episodes that have saved rounds but are not done (their rounds so far). */
  includeUnfinished?: boolean;
}

interface RunRow {
  id: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  status: RunStatus;
  suite: string;
  model: string;
  seed: number;
  parity: string;
  config_json: string;
  versions_json: string;
  episode_count: number;
}

interface EpisodeRow {
  idx: number;
  key: string;
  repeat: number;
  suite: string;
  scenario_json: string;
  settings_json: string;
  status: EpisodeStatus;
}

interface EpisodeStateRow {
  idx: number;
  key: string;
  repeat: number;
  status: EpisodeStatus;
  error: string | null;
  attempts_failed: number;
  rounds_saved: number;
}

interface RoundRow {
  episode_idx: number;
  round: number;
  supervision: 1 | -1 | null;
  outcome: string;
  detail_json: string | null;
}

interface CallRow {
  episode_idx: number;
  round: number;
  agent: number;
  turn: number;
  messages_json: string;
  response: string;
  tool_calls_json: string | null;
  choice: string | null;
  reward: number;
  capital_before: number | null;
  capital_after: number | null;
}

interface CacheRow {
  text: string;
  tool_calls_json: string | null;
  finish_reason: string | null;
  reasoning: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

interface StatsRow {
  calls: number;
  cached: number | null;
  errors: number | null;
  truncated: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  mean_latency: number | null;
}

interface RejectedRow {
  round: number;
  agent: number;
  turn: number;
  why: RejectedWhy;
  messages_json: string;
  response: string;
  tool_calls_json: string | null;
  reasoning: string | null;
  finish_reason: string | null;
  latency_ms: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  attempts: number;
}

const now = (): string => new Date().toISOString();

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  // Built by hand rather than with a JSON.stringify replacer: the cache key is computed for every
  // call, over the whole conversation, and the replacer's per-value callbacks cost more.
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
}

/**
 * The response cache key. The episode, round, agent and repeat are part of it, so repeats (and
 * identical prompts elsewhere in the grid) stay independent samples instead of one answer.
 */
export function cacheKey(parts: {
  identity: string;
  messages: unknown;
  episode: string;
  round: number;
  agent: number;
  repeat: number;
  /** The call's seed (from the run seed): runs with other seeds ask for other samples. */
  seed: number;
  /** Tools offered with the call; absent leaves the key as it was. */
  tools?: unknown;
}): string {
  return createHash("sha256").update(canonicalJson(parts)).digest("hex");
}

function prepareStatements(db: Database.Database) {
  return {
    insertRun: db.prepare<[RunRow]>(
      `INSERT INTO runs (id, created_at, updated_at, finished_at, status, suite, model, seed, parity, config_json, versions_json, episode_count)
       VALUES (@id, @created_at, @updated_at, @finished_at, @status, @suite, @model, @seed, @parity, @config_json, @versions_json, @episode_count)`,
    ),
    insertEpisode: db.prepare<[string, number, string, number, string, string, string]>(
      `INSERT INTO episodes (run_id, idx, key, repeat, suite, scenario_json, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    getRun: db.prepare<[string], RunRow>(`SELECT * FROM runs WHERE id = ?`),
    // rowid breaks ties between runs created in the same millisecond.
    listRuns: db.prepare<[], RunRow>(`SELECT * FROM runs ORDER BY created_at DESC, rowid DESC`),
    setRunStatus: db.prepare<[RunStatus, string, string | null, string]>(
      `UPDATE runs SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
    ),
    touchRun: db.prepare<[string, string]>(`UPDATE runs SET updated_at = ? WHERE id = ?`),
    episodes: db.prepare<[string], EpisodeRow>(
      `SELECT idx, key, repeat, suite, scenario_json, settings_json, status FROM episodes WHERE run_id = ? ORDER BY idx`,
    ),
    episodeStatus: db.prepare<[string, number], { status: EpisodeStatus }>(
      `SELECT status FROM episodes WHERE run_id = ? AND idx = ?`,
    ),
    episodeStates: db.prepare<[string], EpisodeStateRow>(
      `SELECT e.idx, e.key, e.repeat, e.status, e.error, e.attempts_failed,
              (SELECT count(*) FROM rounds r WHERE r.run_id = e.run_id AND r.episode_idx = e.idx) AS rounds_saved
       FROM episodes e WHERE e.run_id = ? ORDER BY e.idx`,
    ),
    roundsSaved: db.prepare<[string, number], number>(
      `SELECT count(*) FROM rounds WHERE run_id = ? AND episode_idx = ?`,
    ).pluck(),
    startEpisode: db.prepare<[string, string, number]>(
      `UPDATE episodes SET status = 'running', started_at = coalesce(started_at, ?) WHERE run_id = ? AND idx = ?`,
    ),
    finishEpisode: db.prepare<[string, string, number]>(
      `UPDATE episodes SET status = 'done', error = NULL, finished_at = ? WHERE run_id = ? AND idx = ?`,
    ),
    failEpisode: db.prepare<[string, string, string, number]>(
      `UPDATE episodes SET status = 'failed', error = ?, attempts_failed = attempts_failed + 1, finished_at = ?
       WHERE run_id = ? AND idx = ?`,
    ),
    // The error stays until the episode finishes, so a viewer can show why it is being retried.
    resetFailed: db.prepare<[string]>(
      `UPDATE episodes SET status = 'pending', finished_at = NULL WHERE run_id = ? AND status = 'failed'`,
    ),
    insertRound: db.prepare<[string, number, number, number | null, string, string | null, string]>(
      `INSERT INTO rounds (run_id, episode_idx, round, supervision, outcome, detail_json, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertCall: db.prepare<
      [
        {
          run_id: string;
          episode_idx: number;
          round: number;
          agent: number;
          turn: number;
          model: string;
          messages_json: string;
          response: string;
          tool_calls_json: string | null;
          choice: string | null;
          reward: number;
          capital_before: number | null;
          capital_after: number | null;
          latency_ms: number | null;
          prompt_tokens: number | null;
          completion_tokens: number | null;
          attempts: number | null;
          cached: number;
          error: string | null;
          finish_reason: string | null;
          reasoning: string | null;
        },
      ]
    >(
      `INSERT INTO calls (run_id, episode_idx, round, agent, turn, model, messages_json, response, tool_calls_json, choice, reward, capital_before, capital_after,
                          latency_ms, prompt_tokens, completion_tokens, attempts, cached, error, finish_reason, reasoning)
       VALUES (@run_id, @episode_idx, @round, @agent, @turn, @model, @messages_json, @response, @tool_calls_json, @choice, @reward, @capital_before, @capital_after,
               @latency_ms, @prompt_tokens, @completion_tokens, @attempts, @cached, @error, @finish_reason, @reasoning)`,
    ),
    insertRejected: db.prepare<[RejectedRow & { run_id: string; episode_idx: number; saved_at: string }]>(
      `INSERT INTO rejected_answers (run_id, episode_idx, round, agent, turn, why, messages_json, response, tool_calls_json, reasoning, finish_reason,
                                     latency_ms, prompt_tokens, completion_tokens, attempts, saved_at)
       VALUES (@run_id, @episode_idx, @round, @agent, @turn, @why, @messages_json, @response, @tool_calls_json, @reasoning, @finish_reason,
               @latency_ms, @prompt_tokens, @completion_tokens, @attempts, @saved_at)`,
    ),
    episodeRejected: db.prepare<[string, number], RejectedRow>(
      `SELECT * FROM rejected_answers WHERE run_id = ? AND episode_idx = ? ORDER BY rowid`,
    ),
    rejectedCounts: db.prepare<[string], { why: RejectedWhy; n: number }>(
      `SELECT why, count(*) AS n FROM rejected_answers WHERE run_id = ? GROUP BY why`,
    ),
    episodeCallExtras: db.prepare<[string, number], { round: number; agent: number; turn: number; finish_reason: string | null; reasoning: string | null }>(
      `SELECT round, agent, turn, finish_reason, reasoning FROM calls
       WHERE run_id = ? AND episode_idx = ? AND (finish_reason IS NOT NULL OR reasoning IS NOT NULL)`,
    ),
    episodeCallModels: db.prepare<[string, number], { round: number; agent: number; turn: number; model: string }>(
      `SELECT round, agent, turn, model FROM calls WHERE run_id = ? AND episode_idx = ? ORDER BY round, agent, turn`,
    ),
    runModel: db.prepare<[string], string>(`SELECT model FROM runs WHERE id = ?`).pluck(),
    episodeRounds: db.prepare<[string, number], RoundRow>(
      `SELECT episode_idx, round, supervision, outcome, detail_json FROM rounds WHERE run_id = ? AND episode_idx = ? ORDER BY round`,
    ),
    episodeCalls: db.prepare<[string, number], CallRow>(
      `SELECT episode_idx, round, agent, turn, messages_json, response, tool_calls_json, choice, reward, capital_before, capital_after
       FROM calls WHERE run_id = ? AND episode_idx = ? ORDER BY round, agent, turn`,
    ),
    runRounds: db.prepare<[string], RoundRow>(
      `SELECT episode_idx, round, supervision, outcome, detail_json FROM rounds WHERE run_id = ? ORDER BY episode_idx, round`,
    ),
    runCalls: db.prepare<[string], CallRow>(
      `SELECT episode_idx, round, agent, turn, messages_json, response, tool_calls_json, choice, reward, capital_before, capital_after
       FROM calls WHERE run_id = ? ORDER BY episode_idx, round, agent, turn`,
    ),
    // The calls as runCalls has them, less messages and answer text: a run's summary never reads those.
    runChoices: db.prepare<[string], CallRow>(
      `SELECT episode_idx, round, agent, turn, '[]' AS messages_json, '' AS response, NULL AS tool_calls_json, choice, reward, capital_before, capital_after
       FROM calls WHERE run_id = ? ORDER BY episode_idx, round, agent, turn`,
    ),
    callStats: db.prepare<[string], StatsRow>(
      `SELECT count(*) AS calls, sum(cached) AS cached, sum(attempts > 1 OR error IS NOT NULL) AS errors,
              sum(finish_reason = 'length') AS truncated,
              sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
              avg(CASE WHEN cached = 0 THEN latency_ms END) AS mean_latency
       FROM calls WHERE run_id = ? AND (attempts > 0 OR cached = 1)`,
    ),
    cacheGet: db.prepare<[string], CacheRow>(
      `SELECT text, tool_calls_json, finish_reason, reasoning, prompt_tokens, completion_tokens FROM cache WHERE key = ?`,
    ),
    // Two episodes can miss on the same key at once; the later answer simply wins.
    cachePut: db.prepare<[string, string, string | null, string | null, string | null, number | null, number | null, string]>(
      `INSERT OR REPLACE INTO cache (key, text, tool_calls_json, finish_reason, reasoning, prompt_tokens, completion_tokens, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function toRunRecord(row: RunRow): RunRecord {
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
    config: JSON.parse(row.config_json) as unknown,
    versions: JSON.parse(row.versions_json) as Record<string, string>,
    episodeCount: row.episode_count,
  };
}

function toPlan(row: EpisodeRow): RunPlan {
  // Built in the plan functions' key order, so a loaded plan prints as the original.
  return {
    suite: row.suite,
    key: row.key,
    repeat: row.repeat,
    scenario: JSON.parse(row.scenario_json),
    settings: JSON.parse(row.settings_json),
  } as RunPlan;
}

function toCall(row: CallRow): TranscriptCall {
  // The engines' key order, so exported JSON is byte-identical to what the runner writes.
  const call: TranscriptCall = {
    agent: row.agent,
    messages: JSON.parse(row.messages_json) as TranscriptCall["messages"],
    response: row.response,
    ...(row.tool_calls_json !== null ? { tool_calls: JSON.parse(row.tool_calls_json) as ToolCall[] } : {}),
    choice: row.choice,
    reward: row.reward,
  };
  if (row.capital_before !== null) call.capital_before = row.capital_before;
  if (row.capital_after !== null) call.capital_after = row.capital_after;
  return call;
}

const callId = (agent: number, turn: number) => `${agent}/${turn}`;

/**
 * Each call of a round with its turn. A round with a detail is one agent's calls in order;
 * elsewhere every agent is asked once, so all turns are 0 and the primary key refuses
 * an agent saved twice.
 */
function callTurns(round: TranscriptRound): [TranscriptCall, number][] {
  return round.calls.map((c, i) => [c, round.detail !== undefined ? i : 0]);
}

/** Joins round rows (sorted by episode and round) with their call rows into rounds per episode. */
function assembleRounds(rounds: RoundRow[], calls: CallRow[]): Map<number, TranscriptRound[]> {
  const callsOf = new Map<string, TranscriptCall[]>();
  for (const row of calls) {
    const key = `${row.episode_idx}:${row.round}`;
    const list = callsOf.get(key);
    if (list === undefined) callsOf.set(key, [toCall(row)]);
    else list.push(toCall(row));
  }
  const byEpisode = new Map<number, TranscriptRound[]>();
  for (const r of rounds) {
    const roundCalls = callsOf.get(`${r.episode_idx}:${r.round}`) ?? [];
    // Supervision only where recorded, in the engines' key order.
    const round: TranscriptRound =
      r.supervision === null
        ? { round: r.round, calls: roundCalls, outcome: r.outcome }
        : { round: r.round, supervision: r.supervision, calls: roundCalls, outcome: r.outcome };
    if (r.detail_json !== null) round.detail = JSON.parse(r.detail_json) as TranscriptRound["detail"];
    const list = byEpisode.get(r.episode_idx);
    if (list === undefined) byEpisode.set(r.episode_idx, [round]);
    else list.push(round);
  }
  return byEpisode;
}

export class RunStore {
  private readonly q: Statements;
  /** Built once: better-sqlite3 compiles a wrapper each time db.transaction() is called. */
  private readonly saveRoundTx: Database.Transaction<RunStore["insertRound"]>;
  private readonly cachePutTx: Database.Transaction<RunStore["writeCache"]>;
  /** Cache answers not yet written (see cachePut). */
  private readonly cacheQueue = new Map<string, CachedResponse>();
  /** Runs this store writes, released on close. */
  private readonly locks: RunLock[] = [];
  /** The pair runs (atp align pairs) in the same file, on the same connection. */
  readonly pairs: PairRuns;

  /** `db` is the open connection, for tools and tests that query the tables directly. */
  private constructor(readonly db: Database.Database) {
    this.q = prepareStatements(db);
    this.pairs = new PairRuns(db);
    this.saveRoundTx = db.transaction(this.insertRound.bind(this));
    this.cachePutTx = db.transaction(this.writeCache.bind(this));
  }

  /**
   * Opens a store file, creating it and its folder unless `mustExist` (then a missing file is an
   * InputError and nothing is created); ':memory:' for a throwaway store. A directory, a file
   * that is not an atp store, or a store from a newer atp is an InputError, and is left as it was.
   */
  static open(file: string, options: OpenOptions = {}): RunStore {
    if (file !== ":memory:" && file !== "") {
      const kind = statSync(file, { throwIfNoEntry: false });
      if (kind?.isDirectory()) throw new InputError(`--db ${file}: a directory; --db takes the store's file, e.g. ${join(file, "atp.db")}`);
      if (kind === undefined) {
        if (options.mustExist) throw new InputError(`--db ${file}: no run store there (atp run and atp align pairs create one); nothing was created`);
        mkdirSync(dirname(file), { recursive: true });
      }
    }
    const db = new Database(file);
    try {
      checkStore(db, file);
      configureConnection(db);
      migrate(db);
      return new RunStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    this.flushCache();
    for (const lock of this.locks.splice(0)) lock.release();
    this.db.close();
  }

  /**
   * Makes this process the run's only writer until close (src/store/lock.ts); throws
   * RunLockedError while another live process writes it.
   */
  lock(kind: LockKind, runId: string, timing?: LockTiming): RunLock {
    const lock = acquireRunLock(this.db, kind, runId, timing);
    this.locks.push(lock);
    return lock;
  }

  /** The storage libraries' versions, for a run's versions record. */
  libraryVersions(): Record<string, string> {
    const require = createRequire(import.meta.url);
    return {
      "better-sqlite3": (require("better-sqlite3/package.json") as { version: string }).version,
      sqlite: this.db.prepare<[], string>("SELECT sqlite_version()").pluck().get() ?? "",
    };
  }

  /** Inserts the run and all its episodes (pending) at once. Throws if the id is taken. */
  createRun(r: NewRun): void {
    this.db.transaction(() => {
      if (this.q.getRun.get(r.id) !== undefined) throw new Error(`run '${r.id}' already exists`);
      const t = now();
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
        config_json: JSON.stringify(r.config ?? null),
        versions_json: JSON.stringify(r.versions),
        episode_count: r.plans.length,
      });
      r.plans.forEach((p, idx) =>
        this.q.insertEpisode.run(r.id, idx, p.key, p.repeat, p.suite, JSON.stringify(p.scenario), JSON.stringify(p.settings)),
      );
    }).immediate();
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.q.getRun.get(id);
    return row === undefined ? undefined : toRunRecord(row);
  }

  /** Newest first. */
  listRuns(): RunRecord[] {
    return this.q.listRuns.all().map(toRunRecord);
  }

  /** Done and failed runs get a finish time; running or interrupted ones lose theirs. */
  setRunStatus(id: string, status: RunStatus): void {
    const t = now();
    const finished = status === "done" || status === "failed" ? t : null;
    if (this.q.setRunStatus.run(status, t, finished, id).changes === 0) throw new Error(`no run '${id}'`);
  }

  /** The run's episode plans, in plan order, exactly as they were saved. */
  loadRunPlans(runId: string): RunPlan[] {
    this.requireRun(runId);
    return this.q.episodes.all(runId).map(toPlan);
  }

  /**
   * `loadRunPlans` typed for readers of the choice testbeds' plans. Every plan is in the list,
   * in its place: such readers must skip plans of the testbeds they do not read.
   */
  loadPlans(runId: string): EpisodePlan[] {
    return this.loadRunPlans(runId) as EpisodePlan[];
  }

  episodeStates(runId: string): EpisodeState[] {
    this.requireRun(runId);
    return this.q.episodeStates.all(runId).map((r) => ({
      idx: r.idx,
      key: r.key,
      repeat: r.repeat,
      status: r.status,
      error: r.error,
      attemptsFailed: r.attempts_failed,
      roundsSaved: r.rounds_saved,
    }));
  }

  /** The episode's saved rounds in round order, as the transcript format has them. */
  savedRounds(runId: string, idx: number): TranscriptRound[] {
    this.requireEpisode(runId, idx);
    return assembleRounds(this.q.episodeRounds.all(runId, idx), this.q.episodeCalls.all(runId, idx)).get(idx) ?? [];
  }

  private insertRound(runId: string, idx: number, round: TranscriptRound, metaByCall: Map<string, CallMeta>): void {
      const where = `run '${runId}' episode ${idx}`;
      const status = this.q.episodeStatus.get(runId, idx)?.status;
      if (status === undefined) throw new Error(`no ${where}`);
      if (status === "done" || status === "failed") throw new Error(`${where} is ${status}; cannot save round ${round.round}`);
      const saved = this.q.roundsSaved.get(runId, idx) ?? 0;
      if (round.round < saved) throw new Error(`${where}: round ${round.round} is already saved`);
      if (round.round > saved) throw new Error(`${where}: round ${round.round} saved before round ${saved}`);
      const runModel = this.q.runModel.get(runId)!;
      const t = now();
      this.q.insertRound.run(runId, idx, round.round, round.supervision ?? null, round.outcome, round.detail ? JSON.stringify(round.detail) : null, t);
      for (const [c, turn] of callTurns(round)) {
        const m = metaByCall.get(callId(c.agent, turn));
        this.q.insertCall.run({
          run_id: runId,
          episode_idx: idx,
          round: round.round,
          agent: c.agent,
          turn,
          model: m?.model ?? runModel,
          messages_json: JSON.stringify(c.messages),
          response: c.response,
          tool_calls_json: c.tool_calls ? JSON.stringify(c.tool_calls) : null,
          choice: c.choice,
          reward: c.reward,
          capital_before: c.capital_before ?? null,
          capital_after: c.capital_after ?? null,
          latency_ms: m?.latencyMs ?? null,
          prompt_tokens: m?.promptTokens ?? null,
          completion_tokens: m?.completionTokens ?? null,
          attempts: m?.attempts ?? null,
          cached: m?.cached ? 1 : 0,
          error: m?.error ?? null,
          finish_reason: m?.finishReason ?? null,
          reasoning: m?.reasoning ?? null,
        });
      }
      this.q.startEpisode.run(t, runId, idx);
      this.q.touchRun.run(t, runId);
  }

  /**
   * Saves one finished round and its calls in one transaction, and marks the episode running.
   * `meta` has one entry per call the model was asked (by agent and turn); calls without one
   * (fixed colluders) are stored as not asked (as is a meta with attempts 0 that is not
   * cached). Rounds must be saved in order, each once: anything else is a bug in the caller
   * and throws, leaving nothing of the round behind.
   */
  saveRound(runId: string, idx: number, round: TranscriptRound, meta: CallMeta[]): void {
    const metaByCall = new Map<string, CallMeta>();
    for (const m of meta) {
      const id = callId(m.agent, m.turn ?? 0);
      if (metaByCall.has(id)) throw new Error(`saveRound: two call records for agent ${m.agent}, turn ${m.turn ?? 0}`);
      metaByCall.set(id, m);
    }
    const calls = new Set(callTurns(round).map(([c, turn]) => callId(c.agent, turn)));
    for (const m of meta) {
      if (!calls.has(callId(m.agent, m.turn ?? 0))) {
        throw new Error(`saveRound: call record for agent ${m.agent}, turn ${m.turn ?? 0}, which is not in round ${round.round}`);
      }
    }
    this.saveRoundTx.immediate(runId, idx, round, metaByCall);
  }

  finishEpisode(runId: string, idx: number): void {
    const t = now();
    this.db.transaction(() => {
      if (this.q.finishEpisode.run(t, runId, idx).changes === 0) throw new Error(`no run '${runId}' episode ${idx}`);
      this.q.touchRun.run(t, runId);
    }).immediate();
  }

  /** Marks the episode failed, keeping its error and saved rounds, and counts the failure. */
  failEpisode(runId: string, idx: number, error: string): void {
    const t = now();
    this.db.transaction(() => {
      if (this.q.failEpisode.run(error, t, runId, idx).changes === 0) throw new Error(`no run '${runId}' episode ${idx}`);
      this.q.touchRun.run(t, runId);
    }).immediate();
  }

  /** Failed episodes back to pending (for --retry-errors); their saved rounds stay. Returns how many. */
  resetFailed(runId: string): number {
    this.requireRun(runId);
    return this.q.resetFailed.run(runId).changes;
  }

  /**
   * The run as transcript episodes, in plan order: done episodes, or with `includeUnfinished`
   * every episode with at least one saved round. Equal to what the runner writes directly.
   */
  exportTranscript(runId: string, options: ExportOptions = {}): TranscriptEpisode[] {
    this.requireRun(runId);
    // One consistent snapshot, even while a run writes to the file.
    return this.db.transaction(() => {
      const rounds = assembleRounds(this.q.runRounds.all(runId), this.q.runCalls.all(runId));
      const out: TranscriptEpisode[] = [];
      for (const row of this.q.episodes.all(runId)) {
        const saved = rounds.get(row.idx);
        if (row.status !== "done" && !(options.includeUnfinished && saved !== undefined)) continue;
        const episode = toTranscript(toPlan(row), saved ?? []);
        out.push(episode);
      }
      return out;
    })();
  }

  /**
   * Every episode's saved rounds by episode index, lean: calls keep their choice, reward and
   * capital but no messages, answer text or tool calls. What summaries and progress read.
   */
  leanRounds(runId: string): Map<number, TranscriptRound[]> {
    this.requireRun(runId);
    return this.db.transaction(() => assembleRounds(this.q.runRounds.all(runId), this.q.runChoices.all(runId)))();
  }

  /** Keeps an answer that failed its call (see RejectedAnswer); the episode's failure is saved apart. */
  saveRejected(runId: string, idx: number, a: RejectedAnswer): void {
    this.q.insertRejected.run({
      run_id: runId,
      episode_idx: idx,
      round: a.round,
      agent: a.agent,
      turn: a.turn,
      why: a.why,
      messages_json: JSON.stringify(a.messages),
      response: a.response,
      tool_calls_json: a.toolCalls !== undefined && a.toolCalls.length > 0 ? JSON.stringify(a.toolCalls) : null,
      reasoning: a.reasoning ?? null,
      finish_reason: a.finishReason,
      latency_ms: a.latencyMs,
      prompt_tokens: a.promptTokens ?? null,
      completion_tokens: a.completionTokens ?? null,
      attempts: a.attempts,
      saved_at: now(),
    });
  }

  /** The episode's rejected answers, oldest first. */
  rejectedAnswers(runId: string, idx: number): RejectedAnswer[] {
    this.requireEpisode(runId, idx);
    return this.q.episodeRejected.all(runId, idx).map((r) => ({
      round: r.round,
      agent: r.agent,
      turn: r.turn,
      why: r.why,
      messages: JSON.parse(r.messages_json) as unknown[],
      response: r.response,
      ...(r.tool_calls_json !== null ? { toolCalls: JSON.parse(r.tool_calls_json) as ToolCall[] } : {}),
      ...(r.reasoning !== null ? { reasoning: r.reasoning } : {}),
      finishReason: r.finish_reason,
      latencyMs: r.latency_ms,
      ...(r.prompt_tokens !== null ? { promptTokens: r.prompt_tokens } : {}),
      ...(r.completion_tokens !== null ? { completionTokens: r.completion_tokens } : {}),
      attempts: r.attempts,
    }));
  }

  /** Finish reason and reasoning of the episode's saved calls that have either, by `round/agent/turn`. */
  callExtras(runId: string, idx: number): Map<string, { finishReason: string | null; reasoning?: string }> {
    return new Map(
      this.q.episodeCallExtras
        .all(runId, idx)
        .map((r) => [`${r.round}/${r.agent}/${r.turn}`, { finishReason: r.finish_reason, ...(r.reasoning !== null ? { reasoning: r.reasoning } : {}) }]),
    );
  }

  /** The model that answered each of the episode's saved calls, by `round/agent/turn`. */
  callModels(runId: string, idx: number): Map<string, string> {
    this.requireEpisode(runId, idx);
    return new Map(this.q.episodeCallModels.all(runId, idx).map((r) => [`${r.round}/${r.agent}/${r.turn}`, r.model]));
  }

  callStats(runId: string): CallStats {
    this.requireRun(runId);
    const r = this.q.callStats.get(runId)!;
    const rejected = new Map(this.q.rejectedCounts.all(runId).map((c) => [c.why, c.n]));
    const promptTokens = r.prompt_tokens ?? 0;
    const completionTokens = r.completion_tokens ?? 0;
    return {
      calls: r.calls,
      cached: r.cached ?? 0,
      errors: r.errors ?? 0,
      truncated: (r.truncated ?? 0) + (rejected.get("truncated") ?? 0),
      empty: rejected.get("empty") ?? 0,
      promptTokens,
      completionTokens,
      totalTokens: promptTokens + completionTokens,
      meanLatencyMs: r.mean_latency,
    };
  }

  cacheGet(key: string): CachedResponse | undefined {
    const waiting = this.cacheQueue.get(key);
    if (waiting !== undefined) return waiting;
    const row = this.q.cacheGet.get(key);
    if (row === undefined) return undefined;
    const value: CachedResponse = { text: row.text };
    if (row.tool_calls_json !== null) value.toolCalls = JSON.parse(row.tool_calls_json) as ToolCall[];
    // Only model answers are cached; those cached before finish reasons were kept read as null.
    value.finishReason = row.finish_reason;
    if (row.reasoning !== null) value.reasoning = row.reasoning;
    if (row.prompt_tokens !== null) value.promptTokens = row.prompt_tokens;
    if (row.completion_tokens !== null) value.completionTokens = row.completion_tokens;
    return value;
  }

  /**
   * Answers arriving in the same turn of the event loop are written together in one transaction
   * (a commit per answer would cost more than the answer at a thousand calls a second); a crash
   * loses at most that turn's answers, which are only a cache.
   */
  cachePut(key: string, value: CachedResponse): void {
    this.cacheQueue.set(key, value);
    if (this.cacheQueue.size === 1) setImmediate(() => this.flushCache());
  }

  private flushCache(): void {
    if (this.cacheQueue.size === 0 || !this.db.open) return;
    const entries = [...this.cacheQueue];
    this.cacheQueue.clear();
    this.cachePutTx(entries);
  }

  private writeCache(entries: [string, CachedResponse][]): void {
    const t = now();
    for (const [key, value] of entries) {
      const toolCalls = value.toolCalls !== undefined && value.toolCalls.length > 0 ? JSON.stringify(value.toolCalls) : null;
      this.q.cachePut.run(
        key,
        value.text,
        toolCalls,
        value.finishReason ?? null,
        value.reasoning ?? null,
        value.promptTokens ?? null,
        value.completionTokens ?? null,
        t,
      );
    }
  }

  private requireRun(runId: string): void {
    if (this.q.getRun.get(runId) === undefined) throw new Error(`no run '${runId}'`);
  }

  private requireEpisode(runId: string, idx: number): void {
    if (this.q.episodeStatus.get(runId, idx) === undefined) throw new Error(`no run '${runId}' episode ${idx}`);
  }
}
