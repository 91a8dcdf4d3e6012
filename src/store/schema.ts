/**
 * The run store's schema. `PRAGMA user_version` records which migrations a file has had, so a
 * newer atp can upgrade an older file in place and an older atp refuses a newer file instead of
 * misreading it.
 */
import type Database from "better-sqlite3";

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

/** Brings the file to SCHEMA_VERSION; throws if it was written by a newer atp. */
export function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new
  // file at once cannot both run the same migration.
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${db.name}: store schema version ${version} is newer than this atp supports (${SCHEMA_VERSION}); upgrade atp`,
      );
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
