import { Option, type Command } from "commander";
/** Options shared by several commands; the parsers of flag values are in src/core/flags.ts. */
import { InputError } from "../core/errors.js";
import { intFlag, nonNegativeNumberFlag, positiveNumberFlag } from "../core/flags.js";
import { RUN_ID } from "../run/config.js";

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `a,b,c` into a list of non-empty strings. */
export function listFlag(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

export function jsonObjectFlag(flag: string) {
  return (value: string): Record<string, unknown> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new InputError(`${flag}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InputError(`${flag}: expected a JSON object, got '${value}'`);
    return parsed as Record<string, unknown>;
  };
}

export function runIdFlag(value: string): string {
  if (!RUN_ID.test(value)) throw new InputError(`--run-id: '${value}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return value;
}

/**
 * The flags that say how to reach and sample a model, shared by every command that calls one
 * (`run`, `align pairs`): cache, servers, concurrency, timeout, retries and sampling.
 */
export function addModelOptions(cmd: Command): Command {
  return cmd
    .option("--no-cache", "ask the model again even when the store has the same call cached")
    .option("--base-url <urls>", "OpenAI-compatible server(s), comma-separated; calls are spread over them (env OPENAI_BASE_URL)", listFlag)
    .option("--concurrency <n>", "requests in flight at once per endpoint (default 64)", intFlag("--concurrency", 1))
    .option("--timeout <seconds>", "per-request timeout (default 120)", positiveNumberFlag("--timeout"))
    .option("--retries <n>", "retries per call on server errors, timeouts and rate limits (default 6)", intFlag("--retries", 0))
    .option("--temperature <x>", "sampling temperature", nonNegativeNumberFlag("--temperature"))
    .option("--top-p <x>", "nucleus sampling", positiveNumberFlag("--top-p"))
    .option("--max-tokens <n>", "maximum tokens per answer", intFlag("--max-tokens", 1))
    .option("--top-k <n>", "top-k sampling (vLLM, llama.cpp, SGLang)", intFlag("--top-k", 1))
    .option("--extra <json>", `server extras for the request body, e.g. '{"chat_template_kwargs":{"enable_thinking":false}}'`, jsonObjectFlag("--extra"));
}

/** Folder outputs are `--out-dir`, file outputs `--out`; `--out` stays accepted for folders, as it was before. */
export function addOutDirOption(cmd: Command, description: string, required = false): Command {
  return cmd.addOption(new Option("--out-dir <dir>", description + (required ? " (required)" : ""))).addOption(new Option("--out <dir>").hideHelp());
}

/** The output folder from `--out-dir` (or `--out`); `required` makes leaving both out an error. */
export function outDirFlag(flags: { out?: string; outDir?: string }, required = false): string | undefined {
  if (flags.out !== undefined && flags.outDir !== undefined && flags.out !== flags.outDir) throw new InputError("--out-dir and --out: give the folder once");
  const dir = flags.outDir ?? flags.out;
  if (required && dir === undefined) throw new InputError("--out-dir: required: the folder to write into");
  return dir;
}

/** `--port N`: 0 to 65535, 0 picking a free port. */
export function portFlag(value: string): number {
  const port = intFlag("--port", 0)(value);
  if (port > 65535) throw new InputError(`--port: expected an integer from 0 to 65535, got '${value}'`);
  return port;
}

/** Resolves on the first Ctrl-C or SIGTERM: how a serving command waits before it shuts down. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
