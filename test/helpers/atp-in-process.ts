/**
 * The `atp` command run inside the test's process: the same argument parsing, commands and exit
 * codes as the executable, with its output captured, in the folder and environment given. Runs
 * take turns, since the folder and the environment belong to the whole process. Tests of signals,
 * kill -9, pipes and serving commands use a real child process instead (atp-cli.ts).
 */
import { join } from "node:path";
import { runCli } from "../../src/cli/cli.js";
import { Io } from "../../src/cli/io.js";
import { cleanEnv, type Result } from "./atp-cli.js";

let turn: Promise<unknown> = Promise.resolve();

/** Replaces the process's environment by `env` in place (process.env must stay the same object), returning a restore. */
function swapEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  const set = (to: NodeJS.ProcessEnv) => {
    for (const k of Object.keys(process.env)) if (!(k in to)) delete process.env[k];
    for (const [k, v] of Object.entries(to)) if (v !== undefined) process.env[k] = v;
  };
  set(env);
  return () => set(saved);
}

export function atpInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv(join(cwd, ".cache"))): Promise<Result> {
  const run = turn.then(async (): Promise<Result> => {
    let stdout = "";
    let stderr = "";
    const io = new Io({ write: (s) => (stdout += s) }, { write: (s) => (stderr += s) });
    const home = process.cwd();
    const restoreEnv = swapEnv(env);
    process.chdir(cwd);
    try {
      const { code } = await runCli(args, io);
      return { code, stdout, stderr };
    } finally {
      process.chdir(home);
      restoreEnv();
    }
  });
  turn = run.catch(() => undefined);
  return run;
}
