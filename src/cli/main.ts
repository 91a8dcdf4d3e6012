#!/usr/bin/env node
/** The `atp` executable: runs the command on this process's arguments and streams. */
import { runCli } from "./cli.js";
import { Io } from "./io.js";

// A reader that stops early (`atp runs | head -1`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});

const outcome = await runCli(process.argv.slice(2), new Io(process.stdout, process.stderr));
// Calls abandoned in flight would keep the process alive until they answer.
if (outcome.abandoned) process.exit(outcome.code);
process.exitCode = outcome.code;
