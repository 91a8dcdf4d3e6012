import { Command } from "commander";
import { DEFAULT_DB } from "../run/config.js";
import { runWriter, type LockOwner } from "../store/lock.js";
import { RunStore } from "../store/store.js";
import type { Io } from "./io.js";

/** One line of `atp runs`: a run or a pair run, with how far it got. */
interface Listed {
  id: string;
  kind: "run" | "pairs";
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** As stored, except that a run left `running` by a process that is gone shows as `interrupted`. */
  status: string;
  suite: string;
  model: string;
  parity: string;
  seed: number;
  /** The live process writing the run, if any. */
  writer: LockOwner | null;
  episodes?: { planned: number; done: number; failed: number };
  items?: { planned: number; done: number; pairs: number; failed: number };
}

function listAll(store: RunStore): Listed[] {
  const db = store.db;
  const shown = (status: string, writer: LockOwner | null) => (status === "running" && writer === null ? "interrupted" : status);
  const runs = store.listRuns().map((r): Listed => {
    const states = store.episodeStates(r.id);
    const writer = runWriter(db, "run", r.id);
    const { id, createdAt, updatedAt, finishedAt, suite, model, parity, seed } = r;
    const count = (status: string) => states.filter((s) => s.status === status).length;
    return { id, kind: "run", createdAt, updatedAt, finishedAt, status: shown(r.status, writer), suite, model, parity, seed, writer, episodes: { planned: r.episodeCount, done: count("done"), failed: count("failed") } };
  });
  const pairRuns = store.pairs.listRuns().map((r): Listed => {
    const writer = runWriter(db, "pairs", r.id);
    const { id, createdAt, updatedAt, finishedAt, suite, model, parity, seed } = r;
    return { id, kind: "pairs", createdAt, updatedAt, finishedAt, status: shown(r.status, writer), suite, model, parity, seed, writer, items: { planned: r.itemCount, ...store.pairs.itemProgress(r.id) } };
  });
  return [...runs, ...pairRuns].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

function progress(r: Listed): string {
  const failed = (n: number) => (n ? ` (${n} failed)` : "");
  if (r.episodes) return `${r.episodes.done}/${r.episodes.planned} episodes${failed(r.episodes.failed)}`;
  const i = r.items!;
  return `${i.done}/${i.planned} items, ${i.pairs} pairs${failed(i.failed)}`;
}

export function runsCommand(io: Io): Command {
  return new Command("runs")
    .description(
      "Lists the store's runs (atp run) and pair runs (atp align pairs), newest first. A run whose process\n" +
        "is gone before it finished shows as interrupted; atp resume (or the same align pairs command) continues it.",
    )
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .option("--json", "print a JSON array, one object per run, with its episode or item counts and live writer")
    .action((flags: { db: string; json?: boolean }) => {
      const store = RunStore.open(flags.db, { mustExist: true });
      let listed: Listed[];
      try {
        listed = listAll(store);
      } finally {
        store.close();
      }
      if (flags.json) {
        io.stdout.write(JSON.stringify(listed, null, 2) + "\n");
        return;
      }
      const rows = listed.map((r) => [r.id, r.kind, r.createdAt.slice(0, 19), r.status, r.suite, r.model, r.parity, String(r.seed), progress(r)]);
      const header = ["run", "kind", "created", "status", "suite", "model", "parity", "seed", "progress"];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const row of [header, ...rows]) io.stdout.write(row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd() + "\n");
    });
}
