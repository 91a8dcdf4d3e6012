/**
 * The `atp` command as a function: parses arguments, runs one command, and returns its exit code
 * (2 for bad input). Each call builds its own program, so it can run many times in one process.
 */
import { Command, CommanderError, Help } from "commander";
import { loadDotenv } from "../core/dotenv.js";
import { InputError, RunStopped } from "../core/errors.js";
import { FetchError } from "../scenarios/fetch.js";
import { VERSION } from "../version.js";
import { signalExitCode, type Io } from "./io.js";

export const USAGE_EXIT = 2;

interface Entry {
  summary: string;
  /** The command's line in `atp --help`, as commander writes it for the full command (a test keeps them equal). */
  term: string;
  /** The command's module is imported only when the command runs or shows its own help. */
  load: () => Promise<(io: Io) => Command>;
}

export const COMMANDS: Record<string, Entry> = {
  init: { summary: "write a commented run file to start from", term: "init [file]", load: async () => (await import("./init.js")).initCommand },
  run: { summary: "run a testbed or a preset (`atp list` names them), or a YAML run file", term: "run [options] <target>", load: async () => (await import("./run.js")).runCommand },
  resume: { summary: "continue a stored run where it stopped", term: "resume [options] <run-id>", load: async () => (await import("./resume.js")).resumeCommand },
  runs: { summary: "list the runs and pair runs in the store", term: "runs [options]", load: async () => (await import("./runs.js")).runsCommand },
  list: { summary: "list the testbeds, built-in packs, paper datasets and policy agents", term: "list", load: async () => (await import("./list.js")).listCommand },
  export: { summary: "write a stored run as a JSONL transcript", term: "export [options] <run-id>", load: async () => (await import("./export.js")).exportCommand },
  report: {
    summary: "write a stored run's report: tables, charts, CSV, JSON or one HTML page",
    term: "report [options] <run-id>",
    load: async () => (await import("./report.js")).reportCommand,
  },
  compare: {
    summary: "compare two runs decision by decision (paired by episode)",
    term: "compare [options] <run-a> <run-b>",
    load: async () => (await import("./compare.js")).compareCommand,
  },
  replay: { summary: "re-run a transcript's episodes with their recorded answers", term: "replay [options] <transcript>", load: async () => (await import("./replay.js")).replayCommand },
  data: { summary: "get scenario data", term: "data", load: async () => (await import("./data.js")).dataCommand },
  align: {
    summary: "alignment before deployment: preference pairs, trainer exports, reward server",
    term: "align",
    load: async () => (await import("./align.js")).alignCommand,
  },
  view: { summary: "browse stored runs in a local web page", term: "view [options]", load: async () => (await import("./view.js")).viewCommand },
};

/** The command the arguments name (`atp run ...`, `atp help run`), if any: the only one whose module is loaded. */
function named(args: string[]): string | undefined {
  const [first, second] = args;
  const name = first === "help" ? second : first;
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

/** The full command `name` as `atp` registers it, with its summary: exported for the test that checks the terms. */
export async function loadCommand(name: string, io: Io): Promise<Command> {
  const entry = COMMANDS[name];
  return (await entry.load())(io).summary(entry.summary);
}

async function program(args: string[], io: Io): Promise<Command> {
  const output = { writeOut: (s: string) => void io.stdout.write(s), writeErr: (s: string) => void io.stderr.write(s) };
  // The other commands are listed by name and summary only, without loading their modules.
  const stubs = new Set<Command>();
  const atp = new Command("atp")
    .description(
      "Testbed for the Alignment Tipping Process (arXiv 2510.04860): run the paper's role-play, collusion and " +
        "tool-use testbeds against a model and watch aligned agents drift as rewards feed back.",
    )
    .version(VERSION)
    .configureOutput(output)
    .configureHelp({ subcommandTerm: (cmd) => (stubs.has(cmd) ? COMMANDS[cmd.name()].term : new Help().subcommandTerm(cmd)) })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const wanted = named(args);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (name === wanted) atp.addCommand(await loadCommand(name, io));
    else {
      const stub = new Command(name).summary(entry.summary);
      stubs.add(stub);
      atp.addCommand(stub);
    }
  }
  // Subcommands report usage errors the same way: through exitOverride, mapped to exit code 2.
  for (const cmd of atp.commands) {
    cmd.exitOverride().configureOutput(output);
    cmd.showHelpAfterError("(run with --help for usage)");
    for (const sub of cmd.commands) sub.exitOverride().configureOutput(output);
  }
  return atp;
}

/** How an invocation ended; `abandoned` when a stop left calls in flight, which only the process's exit ends. */
export interface Outcome {
  code: number;
  abandoned: boolean;
}

/** Runs `atp` with `args` (the words after `atp`) in the current folder and environment. */
export async function runCli(args: string[], io: Io): Promise<Outcome> {
  const done = (code: number, abandoned = false): Outcome => ({ code, abandoned });
  try {
    // Before any command module loads: modules read the environment as they load (the default OPENAI_BASE_URL).
    loadDotenv(process.cwd());
    await (await program(args, io)).parseAsync(args, { from: "user" });
    // A command may set its own exit code (replay --check on a difference).
    return done(io.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit cleanly; every other commander error is a usage error it printed.
      return done(err.exitCode === 0 ? 0 : USAGE_EXIT);
    }
    if (err instanceof InputError) {
      io.stderr.write(`atp: error: ${err.message}\n`);
      return done(USAGE_EXIT);
    }
    if (err instanceof RunStopped) {
      io.stderr.write(`atp: ${err.message}\n`);
      return done(signalExitCode(err.signal), true);
    }
    if (err instanceof FetchError) {
      io.stderr.write(`atp: ${err.message}\n`);
      return done(1);
    }
    io.stderr.write(`atp: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return done(1);
  }
}
