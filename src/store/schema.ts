/**
 * The run store's schema. `PRAGMA user_version` records which migrations a file has had, so a
 * newer atp can upgrade an older file in place and an older atp refuses a newer file instead of
 * misreading it.
 */
import type Database from "better-sqlite3";
import { InputError } from "../core/errors.js";

/**
 * Migration i brings a file from version i to i + 1. Append new ones; never edit a released one,
 * since files in the field have already run it.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    suite         TEXT NOT NULL,
    model         TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    parity        TEXT NOT NULL,
    config_json   TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    episode_count INTEGER NOT NULL
  );
  CREATE INDEX runs_by_created ON runs (created_at);

  CREATE TABLE episodes (
    run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    key             TEXT NOT NULL,
    repeat          INTEGER NOT NULL,
    suite           TEXT NOT NULL CHECK (suite IN ('roleplay', 'collusion')),
    scenario_json   TEXT NOT NULL,
    settings_json   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    error           TEXT,
    attempts_failed INTEGER NOT NULL DEFAULT 0,
    started_at      TEXT,
    finished_at     TEXT,
    PRIMARY KEY (run_id, idx)
  );
  -- Resume and the viewer list a run's episodes by status.
  CREATE INDEX episodes_by_status ON episodes (run_id, status, idx);

  CREATE TABLE rounds (
    run_id      TEXT NOT NULL,
    episode_idx INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    supervision INTEGER CHECK (supervision IN (1, -1)),
    outcome     TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, episode_idx, round),
    FOREIGN KEY (run_id, episode_idx) REFERENCES episodes (run_id, idx) ON DELETE CASCADE
  );

  -- A row per agent of a round. Agents the model was not asked (fixed colluders) have NULL
  -- attempts and latency. Rows hold whole conversations, so this keeps its rowid (SQLite
  -- advises against WITHOUT ROWID for large rows).
  CREATE TABLE calls (
    run_id            TEXT NOT NULL,
    episode_idx       INTEGER NOT NULL,
    round             INTEGER NOT NULL,
    agent             INTEGER NOT NULL,
    messages_json     TEXT NOT NULL,
    response          TEXT NOT NULL,
    choice            TEXT,
    reward            REAL NOT NULL,
    capital_before    REAL,
    capital_after     REAL,
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    attempts          INTEGER,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    error             TEXT,
    PRIMARY KEY (run_id, episode_idx, round, agent),
    FOREIGN KEY (run_id, episode_idx, round) REFERENCES rounds (run_id, episode_idx, round) ON DELETE CASCADE
  );

  CREATE TABLE cache (
    key               TEXT PRIMARY KEY,
    text              TEXT NOT NULL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    created_at        TEXT NOT NULL
  );
  `,
  // Preference-pair generation (atp align pairs): a run, its training items, and every sampled
  // answer. An attempt is saved in one transaction with its side's status, so a killed run keeps
  // every finished attempt and a resume asks only for what is missing.
  `
  CREATE TABLE pair_runs (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    suite         TEXT NOT NULL CHECK (suite IN ('roleplay', 'collusion')),
    model         TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    parity        TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    item_count    INTEGER NOT NULL
  );

  CREATE TABLE pair_items (
    run_id         TEXT NOT NULL REFERENCES pair_runs (id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    key            TEXT NOT NULL,
    item_json      TEXT NOT NULL,
    aligned_status TEXT NOT NULL DEFAULT 'pending' CHECK (aligned_status IN ('pending', 'found', 'not_found', 'error')),
    deviant_status TEXT NOT NULL DEFAULT 'pending' CHECK (deviant_status IN ('pending', 'found', 'not_found', 'error')),
    aligned_why    TEXT,
    deviant_why    TEXT,
    PRIMARY KEY (run_id, idx)
  );

  -- A failed call is saved with its error and no response; a resume asks that attempt again
  -- (same seed) and replaces the row.
  CREATE TABLE pair_attempts (
    run_id            TEXT NOT NULL,
    idx               INTEGER NOT NULL,
    side              TEXT NOT NULL CHECK (side IN ('aligned', 'deviant')),
    attempt           INTEGER NOT NULL,
    seed              INTEGER NOT NULL,
    messages_json     TEXT NOT NULL,
    response          TEXT,
    choice            TEXT,
    kind              TEXT CHECK (kind IN ('aligned', 'deviant', 'unparseable')),
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    requests          INTEGER,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    error             TEXT,
    saved_at          TEXT NOT NULL,
    PRIMARY KEY (run_id, idx, side, attempt),
    FOREIGN KEY (run_id, idx) REFERENCES pair_items (run_id, idx) ON DELETE CASCADE
  );
  `,
  // Tool-use episodes: 'tooluse' joins the suites; a round is one problem, whose several calls
  // are told apart by \`turn\` and keep the tool calls the model made; the round keeps the scored
  // problem (detail_json); the cache keeps tool calls too. SQLite cannot change a CHECK or a
  // primary key in place, so episodes, rounds and calls are copied into new tables. The new
  // tables reference each other and the old ones are dropped children first, so the cascades
  // of the drops reach no copied row; the renames then carry the references over.
  `
  CREATE TABLE episodes_next (
    run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    key             TEXT NOT NULL,
    repeat          INTEGER NOT NULL,
    suite           TEXT NOT NULL CHECK (suite IN ('roleplay', 'collusion', 'tooluse')),
    scenario_json   TEXT NOT NULL,
    settings_json   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    error           TEXT,
    attempts_failed INTEGER NOT NULL DEFAULT 0,
    started_at      TEXT,
    finished_at     TEXT,
    PRIMARY KEY (run_id, idx)
  );
  INSERT INTO episodes_next (run_id, idx, key, repeat, suite, scenario_json, settings_json, status, error, attempts_failed, started_at, finished_at)
    SELECT run_id, idx, key, repeat, suite, scenario_json, settings_json, status, error, attempts_failed, started_at, finished_at FROM episodes;

  CREATE TABLE rounds_next (
    run_id      TEXT NOT NULL,
    episode_idx INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    supervision INTEGER CHECK (supervision IN (1, -1)),
    outcome     TEXT NOT NULL,
    detail_json TEXT,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, episode_idx, round),
    FOREIGN KEY (run_id, episode_idx) REFERENCES episodes_next (run_id, idx) ON DELETE CASCADE
  );
  INSERT INTO rounds_next (run_id, episode_idx, round, supervision, outcome, saved_at)
    SELECT run_id, episode_idx, round, supervision, outcome, saved_at FROM rounds;

  CREATE TABLE calls_next (
    run_id            TEXT NOT NULL,
    episode_idx       INTEGER NOT NULL,
    round             INTEGER NOT NULL,
    agent             INTEGER NOT NULL,
    turn              INTEGER NOT NULL DEFAULT 0,
    messages_json     TEXT NOT NULL,
    response          TEXT NOT NULL,
    tool_calls_json   TEXT,
    choice            TEXT,
    reward            REAL NOT NULL,
    capital_before    REAL,
    capital_after     REAL,
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    attempts          INTEGER,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    error             TEXT,
    PRIMARY KEY (run_id, episode_idx, round, agent, turn),
    FOREIGN KEY (run_id, episode_idx, round) REFERENCES rounds_next (run_id, episode_idx, round) ON DELETE CASCADE
  );
  INSERT INTO calls_next (run_id, episode_idx, round, agent, messages_json, response, choice, reward, capital_before, capital_after,
                          latency_ms, prompt_tokens, completion_tokens, attempts, cached, error)
    SELECT run_id, episode_idx, round, agent, messages_json, response, choice, reward, capital_before, capital_after,
           latency_ms, prompt_tokens, completion_tokens, attempts, cached, error FROM calls;

  DROP TABLE calls;
  DROP TABLE rounds;
  DROP TABLE episodes;
  ALTER TABLE episodes_next RENAME TO episodes;
  ALTER TABLE rounds_next RENAME TO rounds;
  ALTER TABLE calls_next RENAME TO calls;
  CREATE INDEX episodes_by_status ON episodes (run_id, status, idx);

  ALTER TABLE cache ADD COLUMN tool_calls_json TEXT;
  `,
  // Why each answer ended (finish_reason, NULL for agents that are not models) and the reasoning
  // the server returned apart from it. Answers that were not scored (cut off at the token limit,
  // or empty) fail their episode and are kept here, one row per time they came back.
  `
  ALTER TABLE calls ADD COLUMN finish_reason TEXT;
  ALTER TABLE calls ADD COLUMN reasoning TEXT;
  ALTER TABLE cache ADD COLUMN finish_reason TEXT;
  ALTER TABLE cache ADD COLUMN reasoning TEXT;

  CREATE TABLE rejected_answers (
    run_id            TEXT NOT NULL,
    episode_idx       INTEGER NOT NULL,
    round             INTEGER NOT NULL,
    agent             INTEGER NOT NULL,
    turn              INTEGER NOT NULL,
    why               TEXT NOT NULL CHECK (why IN ('truncated', 'empty')),
    messages_json     TEXT NOT NULL,
    response          TEXT NOT NULL,
    tool_calls_json   TEXT,
    reasoning         TEXT,
    finish_reason     TEXT,
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    attempts          INTEGER NOT NULL,
    saved_at          TEXT NOT NULL,
    FOREIGN KEY (run_id, episode_idx) REFERENCES episodes (run_id, idx) ON DELETE CASCADE
  );
  CREATE INDEX rejected_answers_by_episode ON rejected_answers (run_id, episode_idx);
  `,
  // One writer per run (src/store/lock.ts): the process that holds a run, where, since when, and
  // its last sign of life. A run and a pair run may share an id, so the kind is part of the key.
  `
  CREATE TABLE run_locks (
    kind         TEXT NOT NULL CHECK (kind IN ('run', 'pairs')),
    run_id       TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    since        TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    PRIMARY KEY (kind, run_id)
  );
  `,
  // Testbeds as plain text: which testbeds exist is the registry's business, so no CHECK lists
  // them and a new testbed needs no migration. Every call records the model that answered it
  // (rows saved before were all answered by the run's model). SQLite cannot drop a CHECK in
  // place, so the tables with one, and the tables referencing them, are copied once more, in
  // the order (and with the drops children first) of the tool-use migration above.
  `
  CREATE TABLE episodes_next (
    run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    key             TEXT NOT NULL,
    repeat          INTEGER NOT NULL,
    suite           TEXT NOT NULL,
    scenario_json   TEXT NOT NULL,
    settings_json   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    error           TEXT,
    attempts_failed INTEGER NOT NULL DEFAULT 0,
    started_at      TEXT,
    finished_at     TEXT,
    PRIMARY KEY (run_id, idx)
  );
  INSERT INTO episodes_next SELECT run_id, idx, key, repeat, suite, scenario_json, settings_json, status, error, attempts_failed, started_at, finished_at FROM episodes;

  CREATE TABLE rounds_next (
    run_id      TEXT NOT NULL,
    episode_idx INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    supervision INTEGER CHECK (supervision IN (1, -1)),
    outcome     TEXT NOT NULL,
    detail_json TEXT,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, episode_idx, round),
    FOREIGN KEY (run_id, episode_idx) REFERENCES episodes_next (run_id, idx) ON DELETE CASCADE
  );
  INSERT INTO rounds_next SELECT run_id, episode_idx, round, supervision, outcome, detail_json, saved_at FROM rounds;

  CREATE TABLE calls_next (
    run_id            TEXT NOT NULL,
    episode_idx       INTEGER NOT NULL,
    round             INTEGER NOT NULL,
    agent             INTEGER NOT NULL,
    turn              INTEGER NOT NULL DEFAULT 0,
    model             TEXT NOT NULL,
    messages_json     TEXT NOT NULL,
    response          TEXT NOT NULL,
    tool_calls_json   TEXT,
    choice            TEXT,
    reward            REAL NOT NULL,
    capital_before    REAL,
    capital_after     REAL,
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    attempts          INTEGER,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    error             TEXT,
    finish_reason     TEXT,
    reasoning         TEXT,
    PRIMARY KEY (run_id, episode_idx, round, agent, turn),
    FOREIGN KEY (run_id, episode_idx, round) REFERENCES rounds_next (run_id, episode_idx, round) ON DELETE CASCADE
  );
  INSERT INTO calls_next
    SELECT c.run_id, c.episode_idx, c.round, c.agent, c.turn, r.model, c.messages_json, c.response, c.tool_calls_json, c.choice, c.reward,
           c.capital_before, c.capital_after, c.latency_ms, c.prompt_tokens, c.completion_tokens, c.attempts, c.cached, c.error,
           c.finish_reason, c.reasoning
    FROM calls c JOIN runs r ON r.id = c.run_id ORDER BY c.rowid;

  CREATE TABLE rejected_answers_next (
    run_id            TEXT NOT NULL,
    episode_idx       INTEGER NOT NULL,
    round             INTEGER NOT NULL,
    agent             INTEGER NOT NULL,
    turn              INTEGER NOT NULL,
    why               TEXT NOT NULL CHECK (why IN ('truncated', 'empty')),
    messages_json     TEXT NOT NULL,
    response          TEXT NOT NULL,
    tool_calls_json   TEXT,
    reasoning         TEXT,
    finish_reason     TEXT,
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    attempts          INTEGER NOT NULL,
    saved_at          TEXT NOT NULL,
    FOREIGN KEY (run_id, episode_idx) REFERENCES episodes_next (run_id, idx) ON DELETE CASCADE
  );
  -- rowid order is the order the answers came back in.
  INSERT INTO rejected_answers_next SELECT run_id, episode_idx, round, agent, turn, why, messages_json, response, tool_calls_json, reasoning,
    finish_reason, latency_ms, prompt_tokens, completion_tokens, attempts, saved_at FROM rejected_answers ORDER BY rowid;

  CREATE TABLE pair_runs_next (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    suite         TEXT NOT NULL,
    model         TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    parity        TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    item_count    INTEGER NOT NULL
  );
  INSERT INTO pair_runs_next SELECT id, created_at, updated_at, finished_at, status, suite, model, seed, parity, settings_json, versions_json, item_count
    FROM pair_runs ORDER BY rowid;

  CREATE TABLE pair_items_next (
    run_id         TEXT NOT NULL REFERENCES pair_runs_next (id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    key            TEXT NOT NULL,
    item_json      TEXT NOT NULL,
    aligned_status TEXT NOT NULL DEFAULT 'pending' CHECK (aligned_status IN ('pending', 'found', 'not_found', 'error')),
    deviant_status TEXT NOT NULL DEFAULT 'pending' CHECK (deviant_status IN ('pending', 'found', 'not_found', 'error')),
    aligned_why    TEXT,
    deviant_why    TEXT,
    PRIMARY KEY (run_id, idx)
  );
  INSERT INTO pair_items_next SELECT run_id, idx, key, item_json, aligned_status, deviant_status, aligned_why, deviant_why FROM pair_items;

  CREATE TABLE pair_attempts_next (
    run_id            TEXT NOT NULL,
    idx               INTEGER NOT NULL,
    side              TEXT NOT NULL CHECK (side IN ('aligned', 'deviant')),
    attempt           INTEGER NOT NULL,
    seed              INTEGER NOT NULL,
    messages_json     TEXT NOT NULL,
    response          TEXT,
    choice            TEXT,
    kind              TEXT CHECK (kind IN ('aligned', 'deviant', 'unparseable')),
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    requests          INTEGER,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    error             TEXT,
    saved_at          TEXT NOT NULL,
    PRIMARY KEY (run_id, idx, side, attempt),
    FOREIGN KEY (run_id, idx) REFERENCES pair_items_next (run_id, idx) ON DELETE CASCADE
  );
  INSERT INTO pair_attempts_next SELECT run_id, idx, side, attempt, seed, messages_json, response, choice, kind, latency_ms, prompt_tokens,
    completion_tokens, requests, cached, error, saved_at FROM pair_attempts;

  DROP TABLE calls;
  DROP TABLE rejected_answers;
  DROP TABLE rounds;
  DROP TABLE episodes;
  DROP TABLE pair_attempts;
  DROP TABLE pair_items;
  DROP TABLE pair_runs;
  ALTER TABLE episodes_next RENAME TO episodes;
  ALTER TABLE rounds_next RENAME TO rounds;
  ALTER TABLE calls_next RENAME TO calls;
  ALTER TABLE rejected_answers_next RENAME TO rejected_answers;
  ALTER TABLE pair_runs_next RENAME TO pair_runs;
  ALTER TABLE pair_items_next RENAME TO pair_items;
  ALTER TABLE pair_attempts_next RENAME TO pair_attempts;
  CREATE INDEX episodes_by_status ON episodes (run_id, status, idx);
  CREATE INDEX rejected_answers_by_episode ON rejected_answers (run_id, episode_idx);
  `,
  // A pair run stopped by a signal is marked interrupted, as a run is. SQLite cannot change a
  // CHECK in place, so the pair tables are copied once more, children dropped first.
  `
  CREATE TABLE pair_runs_next (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    suite         TEXT NOT NULL,
    model         TEXT NOT NULL,
    seed          INTEGER NOT NULL,
    parity        TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    versions_json TEXT NOT NULL,
    item_count    INTEGER NOT NULL
  );
  INSERT INTO pair_runs_next SELECT id, created_at, updated_at, finished_at, status, suite, model, seed, parity, settings_json, versions_json, item_count
    FROM pair_runs ORDER BY rowid;

  CREATE TABLE pair_items_next (
    run_id         TEXT NOT NULL REFERENCES pair_runs_next (id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    key            TEXT NOT NULL,
    item_json      TEXT NOT NULL,
    aligned_status TEXT NOT NULL DEFAULT 'pending' CHECK (aligned_status IN ('pending', 'found', 'not_found', 'error')),
    deviant_status TEXT NOT NULL DEFAULT 'pending' CHECK (deviant_status IN ('pending', 'found', 'not_found', 'error')),
    aligned_why    TEXT,
    deviant_why    TEXT,
    PRIMARY KEY (run_id, idx)
  );
  INSERT INTO pair_items_next SELECT run_id, idx, key, item_json, aligned_status, deviant_status, aligned_why, deviant_why FROM pair_items;

  CREATE TABLE pair_attempts_next (
    run_id            TEXT NOT NULL,
    idx               INTEGER NOT NULL,
    side              TEXT NOT NULL CHECK (side IN ('aligned', 'deviant')),
    attempt           INTEGER NOT NULL,
    seed              INTEGER NOT NULL,
    messages_json     TEXT NOT NULL,
    response          TEXT,
    choice            TEXT,
    kind              TEXT CHECK (kind IN ('aligned', 'deviant', 'unparseable')),
    latency_ms        REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    requests          INTEGER,
    cached            INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1)),
    error             TEXT,
    saved_at          TEXT NOT NULL,
    PRIMARY KEY (run_id, idx, side, attempt),
    FOREIGN KEY (run_id, idx) REFERENCES pair_items_next (run_id, idx) ON DELETE CASCADE
  );
  INSERT INTO pair_attempts_next SELECT run_id, idx, side, attempt, seed, messages_json, response, choice, kind, latency_ms, prompt_tokens,
    completion_tokens, requests, cached, error, saved_at FROM pair_attempts;

  DROP TABLE pair_attempts;
  DROP TABLE pair_items;
  DROP TABLE pair_runs;
  ALTER TABLE pair_runs_next RENAME TO pair_runs;
  ALTER TABLE pair_items_next RENAME TO pair_items;
  ALTER TABLE pair_attempts_next RENAME TO pair_attempts;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Connection settings, applied on every open. WAL lets a reader (the viewer) read while a run
 * writes; with WAL, synchronous NORMAL still survives a killed process (only a power cut can
 * lose the last commits), at a fraction of FULL's fsyncs. The busy timeout makes a second
 * writer wait instead of failing at once.
 */
export function configureConnection(db: Database.Database): void {
  if (!db.memory) db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
}

/** The tables every store has had since its first version. */
const FIRST_TABLES = ["runs", "episodes", "rounds", "calls", "cache"];

/**
 * Refuses a file that is not a store this atp can use, before anything writes to it (the WAL
 * switch of configureConnection rewrites the file's header). A file with no tables and version
 * 0 is new. `file` is how the user named it, for the messages.
 */
export function checkStore(db: Database.Database, file: string): void {
  let version: number;
  let tables: string[];
  try {
    version = db.pragma("user_version", { simple: true }) as number;
    tables = db.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).pluck().all();
  } catch (err) {
    if ((err as { code?: string }).code === "SQLITE_NOTADB") throw new InputError(`--db ${file}: not a SQLite file, so not an atp run store`);
    throw err;
  }
  if (version === 0 && tables.length === 0) return;
  const missing = FIRST_TABLES.filter((t) => !tables.includes(t));
  if (version === 0 || missing.length > 0) {
    const shown = tables.slice(0, 5).join(", ") + (tables.length > 5 ? ", ..." : "");
    throw new InputError(`--db ${file}: a SQLite database of another program (tables ${shown}), not an atp run store; give --db a new file`);
  }
  if (version > SCHEMA_VERSION) {
    throw new InputError(`--db ${file}: store schema version ${version} is newer than this atp supports (${SCHEMA_VERSION}); upgrade atp to read it`);
  }
}

/** Brings the file to SCHEMA_VERSION; throws if it was written by a newer atp. */
export function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new
  // file at once cannot both run the same migration.
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new InputError(
        `${db.name}: store schema version ${version} is newer than this atp supports (${SCHEMA_VERSION}); upgrade atp`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
