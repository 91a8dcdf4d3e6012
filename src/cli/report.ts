import { Command } from "commander";
import { DEFAULT_DB } from "../run/config.js";
import { loadRun } from "../report/load.js";
import { defaultOutDir, parseFormats, REPORT_FORMATS, writeReport } from "../report/report.js";
import { addOutDirOption, collect, outDirFlag } from "./options.js";
import type { Io } from "./io.js";

export function reportCommand(io: Io): Command {
  const cmd = new Command("report")
    .description(
      "Writes the report of a stored run: report.md (the paper's tables, rounds as columns, with 95% intervals, and the charts\n" +
        "as PNG), tidy CSV files (one per table, rates as fractions), report.json (every number), or report.html (one\n" +
        "self-contained page with the tables, inline charts and a few conversations). Charts go to charts/ as SVG and PNG.",
    )
    .argument("<run-id>", "the run to report on (atp runs lists them)")
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .option("--format <formats>", `${REPORT_FORMATS.join(", ")}; repeatable or comma-separated (default md)`, collect);
  return addOutDirOption(cmd, "output folder (default ./atp-reports/<run-id>/)")
    .action(async (runId: string, flags: { db: string; format?: string[]; out?: string; outDir?: string }) => {
      // Everything the user gave is checked before the first file is written.
      const formats = parseFormats(flags.format ?? ["md"]);
      const outDir = outDirFlag(flags) ?? defaultOutDir(runId);
      const loaded = loadRun(flags.db, runId);
      const files = await writeReport(loaded, { formats, outDir });
      io.stdout.write(files.map((f) => `${f}\n`).join(""));
      io.stderr.write(`atp: report of run ${runId} written to ${outDir} (${files.length} files)\n`);
    });
}
