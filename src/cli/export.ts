import { Command } from "commander";
import { InputError } from "../core/errors.js";
import { checkOutputFile } from "../core/files.js";
import { DEFAULT_DB } from "../run/config.js";
import { RunStore } from "../store/store.js";
import { transcriptText, writeTranscript } from "../transcript/write.js";
import type { Io } from "./io.js";

export function exportCommand(io: Io): Command {
  return new Command("export")
    .description("Writes a run's episodes in the transcript format (the format of the paper's golden files), in plan order.")
    .argument("<run-id>", "the run to export (atp runs lists them)")
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .option("--out <file>", "output file (default: standard output)")
    .option("--include-unfinished", "also write episodes that have not finished (their rounds so far)")
    .action((runId: string, flags: { db: string; out?: string; includeUnfinished?: boolean }) => {
      if (flags.out) checkOutputFile(flags.out, "--out", "transcript.jsonl");
      const store = RunStore.open(flags.db, { mustExist: true });
      try {
        if (!store.getRun(runId)) throw new InputError(`export: no run '${runId}' in ${flags.db}`);
        const episodes = store.exportTranscript(runId, { includeUnfinished: Boolean(flags.includeUnfinished) });
        if (flags.out) writeTranscript(flags.out, episodes);
        else io.stdout.write(transcriptText(episodes));
      } finally {
        store.close();
      }
    });
}
