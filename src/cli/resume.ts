import { Command } from "commander";
import { DEFAULT_DB, providerFlags } from "../run/config.js";
import { resumeRun } from "../run/execute.js";
import { intFlag, positiveNumberFlag } from "../core/flags.js";
import { listFlag } from "./options.js";
import { reportRun } from "./report-run.js";
import type { Io } from "./io.js";

export function resumeCommand(io: Io): Command {
  return new Command("resume")
    .description(
      "Continues a run with the settings it was started with: finished rounds are never asked again,\n" +
        "and the result is what an uninterrupted run would have given. Server settings may change.",
    )
    .argument("<run-id>", "the run to continue (atp runs lists them)")
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .option("--retry-errors", "also rerun the episodes that failed, from their last finished round")
    .option("--base-url <urls>", "OpenAI-compatible server(s) to use now, comma-separated", listFlag)
    .option("--concurrency <n>", "requests in flight at once per endpoint", intFlag("--concurrency", 1))
    .option("--timeout <seconds>", "per-request timeout", positiveNumberFlag("--timeout"))
    .option("--retries <n>", "retries per call", intFlag("--retries", 0))
    .option("--transcript <file>", "write the run's transcript here when it finishes")
    .option("--score-truncated", "from now on, score answers cut off at the token limit (with --retry-errors: the ones that failed too)")
    .action(
      async (
        runId: string,
        flags: { db: string; retryErrors?: boolean; baseUrl?: string[]; concurrency?: number; timeout?: number; retries?: number; transcript?: string; scoreTruncated?: boolean },
      ) => {
        const provider = providerFlags(flags);
        const options = { db: flags.db, retryErrors: Boolean(flags.retryErrors), provider, transcript: flags.transcript, ...(flags.scoreTruncated ? { scoreTruncated: true } : {}) };
        await reportRun(io, flags.db, (hooks) => resumeRun(runId, options, hooks));
      },
    );
}
