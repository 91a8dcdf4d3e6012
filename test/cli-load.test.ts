/** The `atp` command loads only what the command it runs needs, and runs again and again in one process. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Help } from "commander";
import { COMMANDS, loadCommand } from "../src/cli/cli.js";
import { Io } from "../src/cli/io.js";
import { CLI, cleanEnv } from "./helpers/atp-cli.js";
import { atpInProcess } from "./helpers/atp-in-process.js";
import { repoRoot } from "./helpers/paper.js";

const root = mkdtempSync(join(tmpdir(), "atp-load-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** The modules a real `atp` process loads for `args`, logged by the benchmark's loader hook. */
function modulesLoaded(args: string[], name: string): Promise<string[]> {
  const log = join(root, `${name}.txt`);
  const hook = join(repoRoot, "dist", "bench", "module-log.js");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", hook, CLI, ...args], { cwd: root, env: cleanEnv(join(root, ".cache"), { ATP_MODULE_LOG: log }) }, (err, _out, stderr) => {
      if (err) reject(new Error(`atp ${args.join(" ")}: ${stderr}`));
      else resolve(readFileSync(log, "utf8").split("\n").filter(Boolean));
    });
  });
}

/** What neither `atp --help` nor `atp run` needs: charts, the viewer, the exporters, alignment, llama.cpp. */
const HEAVY = [/\/node_modules\/(vega|vega-lite|@resvg|hyparquet-writer|node-llama-cpp)\//, /\/src\/view\//, /\/src\/align\//, /\/src\/report\/(charts|report|render)\.js$/];

test("atp --help and atp run paper load no charts, viewer, exporters, alignment or llama.cpp modules", async () => {
  const help = await modulesLoaded(["--help"], "help");
  const run = await modulesLoaded(["run", "paper", "--seed", "1", "--db", join(root, "run.db")], "run");
  for (const [name, modules] of [["--help", help], ["run paper", run]] as const) {
    const heavy = modules.filter((m) => HEAVY.some((h) => h.test(m)));
    assert.deepEqual(heavy, [], `atp ${name} loaded ${heavy.length} modules it does not need`);
  }
  // --help loads the command table, not the commands: no run settings, no testbed code.
  assert.ok(!help.some((m) => /\/src\/(run|testbeds)\//.test(m)), help.join("\n"));
  assert.ok(run.some((m) => m.endsWith("/src/run/runner.js")));
  // The report command, asked for, does load the charts.
  const report = await modulesLoaded(["report", "--help"], "report");
  assert.ok(report.some((m) => m.endsWith("/src/report/charts.js")));
});

test("each command's line in atp --help is the one commander writes for the full command", async () => {
  const help = new Help();
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const cmd = await loadCommand(name, new Io({ write: () => true }, { write: () => true }));
    assert.equal(entry.term, help.subcommandTerm(cmd), name);
    assert.equal(cmd.summary(), entry.summary);
  }
});

test("the in-process command keeps nothing between runs: exit codes, output and flags are each run's own", async () => {
  const cwd = mkdtempSync(join(root, "t-"));
  const bad = await atpInProcess(["run", "paper", "--seed", "x"], cwd);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--seed: expected an integer >= 0, got 'x'/);
  const transcript = join(cwd, "seed1.jsonl");
  const first = await atpInProcess(["run", "roleplay", "--seed", "1", "--limit", "2", "--transcript", transcript, "--db", "a.db"], cwd);
  assert.equal(first.code, 0, first.stderr);
  // A second run with other flags: a program kept from the first would still hold --seed 1 and --transcript.
  const second = await atpInProcess(["run", "roleplay", "--limit", "2", "--db", "b.db"], cwd);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /seed 0/);
  assert.doesNotMatch(second.stderr, /seed1\.jsonl/);
  // A failing replay check (a default-parity run replayed in paper parity) sets the run's exit code, never the process's.
  const differs = await atpInProcess(["replay", transcript, "--check", "--parity", "paper"], cwd);
  assert.equal(differs.code, 1, differs.stderr);
  assert.match(differs.stdout, /^Differences from /m);
  assert.equal(process.exitCode, undefined);
  const same = await atpInProcess(["replay", transcript, "--check", "--parity", "default"], cwd);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /Identical to the input/);
  const help = await atpInProcess(["--help"], cwd);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: atp \[options\] \[command\]/);
});
