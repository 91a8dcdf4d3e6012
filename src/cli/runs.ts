import { Command } from "commander";
import { DEFAULT_DB } from "../run/config.js";
import { RunStore } from "../store/store.js";

export function runsCommand(): Command {
  return new Command("runs")
    .summary("list the runs in the store")
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .action((flags: { db: string }) => {
      const store = RunStore.open(flags.db);
      try {
        const rows = store.listRuns().map((r) => {
          const states = store.episodeStates(r.id);
          const done = states.filter((s) => s.status === "done").length;
          const failed = states.filter((s) => s.status === "failed").length;
          return [r.id, r.createdAt.slice(0, 19), r.status, r.suite, r.model, r.parity, String(r.seed), `${done}/${r.episodeCount}${failed ? ` (${failed} failed)` : ""}`];
        });
        const header = ["run", "created", "status", "suite", "model", "parity", "seed", "episodes"];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        for (const row of [header, ...rows]) process.stdout.write(row.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd() + "\n");
      } finally {
        store.close();
      }
    });
}
