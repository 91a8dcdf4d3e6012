import { Command } from "commander";
import { DEFAULT_DB } from "../run/config.js";
import { startViewer } from "../view/server.js";
import { portFlag, untilInterrupted } from "./options.js";
import type { Io } from "./io.js";

export function viewCommand(io: Io): Command {
  return new Command("view")
    .description(
      "Serves a web page on 127.0.0.1 with the runs in a store: their tables and charts, each episode's\n" +
        "transcript, and two runs side by side. It reads the store on every request, so a run that is\n" +
        "still writing shows its progress. Stop it with Ctrl-C.",
    )
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .option("--port <n>", "port to listen on; 0 picks a free one", portFlag, 8321)
    .action(async (flags: { db: string; port: number }) => {
      const viewer = await startViewer({ db: flags.db, port: flags.port });
      io.stdout.write(`atp view: ${flags.db} at ${viewer.url}  (Ctrl-C to stop)\n`);
      await untilInterrupted();
      await viewer.close();
    });
}
