#!/usr/bin/env node
/** The `atp` command: parses arguments and calls the library; exit code 2 for bad input. */
import "./env-file.js";
import { Command, CommanderError } from "commander";
import { InputError, RunStopped } from "../core/errors.js";
import { FetchError } from "../scenarios/fetch.js";
import { alignCommand } from "./align.js";
import { dataCommand } from "./data.js";
import { replayCommand } from "./replay.js";
import { exportCommand } from "./export.js";
import { initCommand } from "./init.js";
import { resumeCommand } from "./resume.js";
import { runCommand } from "./run.js";
import { listCommand } from "./list.js";
import { runsCommand } from "./runs.js";
import { signalExitCode } from "./options.js";
import { reportCommand } from "./report.js";
import { compareCommand } from "./compare.js";
import { viewCommand } from "./view.js";
import { VERSION } from "../version.js";

export const USAGE_EXIT = 2;

function program(): Command {
  const atp = new Command("atp")
    .description(
      "Testbed for the Alignment Tipping Process (arXiv 2510.04860): run the paper's role-play, collusion and " +
        "tool-use testbeds against a model and watch aligned agents drift as rewards feed back.",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addCommand(initCommand())
    .addCommand(runCommand())
    .addCommand(resumeCommand())
    .addCommand(runsCommand())
    .addCommand(listCommand())
    .addCommand(exportCommand())
    .addCommand(reportCommand())
    .addCommand(compareCommand())
    .addCommand(replayCommand())
    .addCommand(dataCommand())
    .addCommand(alignCommand())
    .addCommand(viewCommand());
  // Subcommands report usage errors the same way: through exitOverride, mapped to exit code 2.
  for (const cmd of atp.commands) {
    cmd.exitOverride();
    cmd.showHelpAfterError("(run with --help for usage)");
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return atp;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    // A command may set its own exit code (replay --check on a difference).
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit cleanly; every other commander error is a usage error it printed.
      return err.exitCode === 0 ? 0 : USAGE_EXIT;
    }
    if (err instanceof InputError) {
      process.stderr.write(`atp: error: ${err.message}\n`);
      return USAGE_EXIT;
    }
    if (err instanceof RunStopped) {
      process.stderr.write(`atp: ${err.message}\n`);
      // Calls abandoned in flight would keep the process alive until they answer.
      process.exit(signalExitCode(err.signal));
    }
    if (err instanceof FetchError) {
      process.stderr.write(`atp: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`atp: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

// A reader that stops early (`atp runs | head -1`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});

process.exitCode = await main(process.argv);
