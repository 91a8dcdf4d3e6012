import { join } from "node:path";
import { Command } from "commander";
import { writeFileAtomic } from "../core/files.js";
import { compareRuns } from "../metrics/compare.js";
import { DEFAULT_DB } from "../run/config.js";
import { loadRun, type LoadedRun } from "../report/load.js";
import type { Played } from "../metrics/rates.js";
import { addOutDirOption, outDirFlag } from "./options.js";
import { comparedRun, comparisonJson, comparisonMarkdown, parseFormats } from "../report/report.js";
import type { Io } from "./io.js";

/** Every finished episode of a run, of every testbed it plays. */
function playedOf(r: LoadedRun): Played[] {
  return r.testbeds.flatMap((t) => t.played);
}

export function compareCommand(io: Io): Command {
  const cmd = new Command("compare")
    .description(
      "Pairs the finished episodes of two runs on the same plan by key, repeat and agent (tool use: and problem), and\n" +
        "prints per round the rates of A and B, the difference B - A with a paired 95% interval, the discordant counts and\n" +
        "the exact McNemar p-value: for role-play, for collusion per threshold and payoff set, and for tool use per rate\n" +
        "(tool use on all, easy and hard problems, accuracy on easy and hard ones). Episodes without a partner are listed.",
    )
    .argument("<run-a>", "the first run (A)")
    .argument("<run-b>", "the second run (B)")
    .option("--db <file>", "SQLite store of run A", DEFAULT_DB)
    .option("--db-b <file>", "SQLite store of run B (default: the --db store)")
    .option("--format <format>", "md or json", "md");
  return addOutDirOption(cmd, "write compare.md or compare.json into this folder instead of standard output")
    .action((runA: string, runB: string, flags: { db: string; dbB?: string; format: string; out?: string; outDir?: string }) => {
      const formats = parseFormats([flags.format], ["md", "json"]);
      const outDir = outDirFlag(flags);
      const a = loadRun(flags.db, runA);
      const b = loadRun(flags.dbB ?? flags.db, runB);
      const comparison = compareRuns(playedOf(a), playedOf(b));
      const outputs = formats.map((f) => [f, f === "json" ? comparisonJson(comparedRun(a), comparedRun(b), comparison) : comparisonMarkdown(comparedRun(a), comparedRun(b), comparison)] as const);
      if (outDir === undefined) {
        for (const [, text] of outputs) io.stdout.write(text);
        return;
      }
      for (const [format, text] of outputs) {
        const file = join(outDir, `compare.${format}`);
        writeFileAtomic(file, text);
        io.stdout.write(`${file}\n`);
      }
    });
}
