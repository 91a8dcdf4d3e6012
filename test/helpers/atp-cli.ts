/** The `atp` command as a child process, in a folder of the test's choosing, without the machine's OpenAI settings. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./paper.js";

export const CLI = join(repoRoot, "dist", "src", "cli", "main.js");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function cleanEnv(cacheDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OPENAI_")));
  return { ...env, ATP_CACHE_DIR: cacheDir, ...extra };
}

export function atp(args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv(join(cwd, ".cache"))): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
    });
  });
}
