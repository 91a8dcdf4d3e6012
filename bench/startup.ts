/**
 * Start-up cost of the `atp` command: modules loaded and wall time of `atp --help` and of
 * `atp run paper --seed 1` (simulated agent, a fresh store each time), over REPEATS runs (default 5).
 *
 *   npm run build && node dist/bench/startup.js
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "src", "cli", "main.js");
const repeats = Number(process.env.REPEATS ?? 5);

function atp(args: string[], env: NodeJS.ProcessEnv = process.env, hook: string[] = []): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [...hook, cli, ...args], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`atp ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return (performance.now() - started) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "atp-startup-"));
try {
  const commands: [string, (i: number) => string[]][] = [
    ["atp --help", () => ["--help"]],
    ["atp run paper --seed 1", (i) => ["run", "paper", "--seed", "1", "--db", join(dir, `run-${i}.db`)]],
  ];
  for (const [name, args] of commands) {
    const log = join(dir, "modules.txt");
    rmSync(log, { force: true });
    atp(args(-1), { ...process.env, ATP_MODULE_LOG: log }, ["--import", join(here, "module-log.js")]);
    const modules = new Set(readFileSync(log, "utf8").split("\n").filter(Boolean)).size;
    const times = Array.from({ length: repeats }, (_, i) => atp(args(i))).sort((a, b) => a - b);
    console.log(`${name}: ${modules} modules, wall ${times[0].toFixed(2)}-${times[times.length - 1].toFixed(2)} s (${repeats} runs)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
