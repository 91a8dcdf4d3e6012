/**
 * Speed of the paper suite against a model server that serves at most C requests at once with
 * latency L. The ideal time for a suite is max(rounds x L, calls x L / C): the longest chain of
 * sequential rounds, or the calls packed C at a time. Reports the measured time, its ratio to
 * the ideal, and the harness's own CPU time per call.
 *
 * Each suite runs REPEATS times (default 5) after a warm-up; the median run is reported.
 *
 *   npm run build && node dist/bench/paper.js            (L = 50 ms, C = 64)
 *   LATENCY_MS=20 CAPACITY=32 REPEATS=9 node dist/bench/paper.js
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { defaultConfig } from "../src/run/config.js";
import { executeRun } from "../src/run/execute.js";

const latencyMs = Number(process.env.LATENCY_MS ?? 50);
const capacity = Number(process.env.CAPACITY ?? 64);
const repeats = Number(process.env.REPEATS ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(here, "server.js")], {
    env: { ...process.env, LATENCY_MS: String(latencyMs), CAPACITY: String(capacity) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`benchmark server exited with ${code}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}

interface Row {
  suite: string;
  calls: number;
  rounds: number;
  idealS: number;
  wallS: number;
  cpuMsPerCall: number;
}

async function measure(suite: string, url: string, dir: string): Promise<Row> {
  const config = defaultConfig(suite);
  config.model = "openai:bench-model";
  config.provider.baseUrls = [url];
  config.provider.concurrency = capacity;
  // The default settings, cache included: each run has a fresh store, so nothing is answered
  // from the cache, but every answer is written to it as in a real run.
  config.db = join(dir, `${suite}.db`);
  let calls = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await executeRun(config, { onCall: () => calls++ });
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (result.failed.length) throw new Error(`${result.failed.length} episodes failed: ${result.failed[0].error}`);
  const rounds = Math.max(...result.plans.map((p) => p.settings.rounds));
  const idealS = Math.max((rounds * latencyMs) / 1000, (calls * latencyMs) / 1000 / capacity);
  return { suite, calls, rounds, idealS, wallS, cpuMsPerCall: (used.user + used.system) / 1000 / calls };
}

const server = await startServer();
const dir = mkdtempSync(join(tmpdir(), "atp-bench-"));
try {
  await measure("roleplay", server.url, join(dir, "warm-up")); // warm-up: module loading, JIT, SQLite pages
  const rows: Row[] = [];
  for (const suite of ["roleplay", "collusion", "paper"] as const) {
    const runs: Row[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await measure(suite, server.url, join(dir, `${i}`)));
    runs.sort((a, b) => a.wallS - b.wallS);
    rows.push(runs[Math.floor(runs.length / 2)]);
  }
  process.stdout.write(`L = ${latencyMs} ms, C = ${capacity}, median of ${repeats} runs\n`);
  process.stdout.write("suite      calls  rounds  ideal (s)  measured (s)  ratio  harness CPU per call (ms)\n");
  for (const r of rows) {
    process.stdout.write(
      `${r.suite.padEnd(9)}  ${String(r.calls).padStart(5)}  ${String(r.rounds).padStart(6)}  ${r.idealS.toFixed(3).padStart(9)}  ` +
        `${r.wallS.toFixed(3).padStart(12)}  ${(r.wallS / r.idealS).toFixed(2).padStart(5)}  ${r.cpuMsPerCall.toFixed(3).padStart(25)}\n`,
    );
  }
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
