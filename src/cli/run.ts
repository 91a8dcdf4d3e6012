import { Command, Option } from "commander";
import { InputError } from "../core/errors.js";
import { PARITIES } from "../core/types.js";
import { checkConfig, DEFAULT_DB, HISTORY_REASONING, DEFAULT_MODEL, defaultConfig, loadConfigFile, notPlayedReason, playedTestbeds, providerFlags, runTargets, samplingFlags, type ModelFlags, type RunConfig } from "../run/config.js";
import { executeRun, loadPlan } from "../run/execute.js";
import { intFlag } from "../core/flags.js";
import { flagName, settingEntries, settingKey, SHARED, type SharedKind } from "../testbed/settings.js";
import { PRESETS, PRESETS_HELP, WITH_TOOLUSE } from "../testbeds/presets.js";
import { callsPerRound, registeredTestbeds, transcriptRounds, type RunPlan } from "../testbeds/registry.js";
import { firstMessages } from "../run/runner.js";
import { addModelOptions, collect, runIdFlag } from "./options.js";
import { reportRun } from "./report-run.js";
import type { Io } from "./io.js";

/** The flags of `atp run`: the run's own, then every testbed's settings under their keys (`supervisionSeed` is `--supervision-seed`). */
interface RunFlags extends ModelFlags {
  dataset?: string[];
  model?: string;
  parity?: RunConfig["parity"];
  seed?: number;
  repeats?: number;
  transcript?: string;
  db?: string;
  runId?: string;
  /** The shared settings as the flags give them (`--history all` is "all"). */
  rounds?: number;
  history?: number | "all";
  withTooluse?: boolean;
  limit?: number;
  dryRun?: boolean;
  scoreTruncated?: boolean;
  historyReasoning?: RunConfig["historyReasoning"];
  [testbedSetting: string]: unknown;
}

/** A flag for a testbed the run does not play would be ignored: refuse it instead. */
function checkFlagsApply(config: RunConfig, f: RunFlags): void {
  const played = playedTestbeds(config);
  for (const [kind, shared] of Object.entries(SHARED) as [SharedKind, (typeof SHARED)[SharedKind]][]) {
    if (f[shared.key] === undefined || played.some((t) => settingEntries(t.settings).some(([, s]) => s.shared === kind))) continue;
    throw new InputError(`${flagName(shared.key)}: not a setting of the ${played.map((t) => t.title).join(" or ")} testbed, which \`atp run ${config.suite}\` plays`);
  }
  for (const testbed of registeredTestbeds()) {
    if (played.includes(testbed)) continue;
    const given = settingEntries(testbed.settings).find(([field, s]) => !s.shared && f[settingKey(field, s)] !== undefined);
    if (given !== undefined) throw new InputError(`${flagName(settingKey(...given))}: applies to ${notPlayedReason(config, testbed)}`);
  }
}

/** Flags given on the command line override the YAML file, which overrides the paper's settings. */
export function applyFlags(config: RunConfig, f: RunFlags): RunConfig {
  const c = structuredClone(config);
  if (f.dataset) c.datasets = f.dataset;
  if (f.model !== undefined) c.model = f.model;
  if (f.parity !== undefined) c.parity = f.parity;
  if (f.seed !== undefined) c.seed = f.seed;
  if (f.repeats !== undefined) c.repeats = f.repeats;
  if (f.transcript !== undefined) c.transcript = f.transcript;
  if (f.db !== undefined) c.db = f.db;
  if (f.runId !== undefined) c.runId = f.runId;
  if (f.cache === false) c.cache = false;
  Object.assign(c.provider, providerFlags(f));
  c.sampling = samplingFlags(c.sampling, f);
  for (const testbed of registeredTestbeds()) {
    const settings = c.testbeds[testbed.id] as object as Record<string, unknown>;
    for (const [field, s] of settingEntries(testbed.settings)) {
      // --rounds and --history apply to every testbed the run plays.
      const value = f[settingKey(field, s)];
      if (value === undefined) continue;
      settings[field] = s.shared ? (SHARED[s.shared].read as (v: unknown) => unknown)(value) : value;
    }
  }
  if (f.withTooluse) c.withToolUse = true;
  if (f.limit !== undefined) c.limit = f.limit;
  if (f.scoreTruncated) c.scoreTruncated = true;
  if (f.historyReasoning !== undefined) c.historyReasoning = f.historyReasoning;
  checkFlagsApply(c, f);
  checkConfig(c, (field) => (field === "withToolUse" ? WITH_TOOLUSE.flag : flagName(field.split(".").pop()!.replace(/\[\d+\]$/, ""))));
  return c;
}

/** What `--dry-run` prints: the episodes and calls of each testbed, and the first prompt of each. */
function dryRun(config: RunConfig, plans: RunPlan[]): string {
  const limit = config.limit === null ? "" : `, --limit ${config.limit}`;
  const out = [`atp run ${config.suite} --dry-run: model ${config.model ?? DEFAULT_MODEL}, parity ${config.parity}, seed ${config.seed}${limit}, ${plans.length} episodes`];
  for (const testbed of playedTestbeds(config)) {
    const mine = plans.filter((p) => p.suite === testbed.id);
    if (mine.length === 0) continue;
    out.push(`  ${testbed.title}: ${mine.length} episodes, ${testbed.workSummary?.(mine) ?? work(mine)}`);
  }
  for (const testbed of playedTestbeds(config)) {
    const first = plans.find((p) => p.suite === testbed.id);
    if (!first) continue;
    out.push("", `First prompt of ${testbed.title} (${first.key}, round 1):`);
    for (const m of firstMessages(first)) out.push(`--- ${m.role} ---`, m.content ?? "");
  }
  out.push("", "Nothing was called or stored; run it without --dry-run.");
  return out.join("\n") + "\n";
}

/** The rounds the episodes play, and their calls when every round's are known in advance. */
function work(plans: RunPlan[]): string {
  const rounds = plans.reduce((n, p) => n + transcriptRounds(p), 0);
  if (plans.some((p) => callsPerRound(p) === null)) return `${rounds} rounds`;
  const calls = plans.reduce((n, p) => n + transcriptRounds(p) * callsPerRound(p)!, 0);
  return `${rounds} rounds, ${calls} calls`;
}

function isRunFile(target: string): boolean {
  return /\.ya?ml$/i.test(target);
}

export function resolveRunConfig(target: string, flags: RunFlags): RunConfig {
  if (isRunFile(target)) return applyFlags(loadConfigFile(target, Boolean(flags.withTooluse)), flags);
  const targets = runTargets();
  if (!targets.includes(target)) {
    throw new InputError(`run: unknown testbed '${target}': expected one of ${targets.join(", ")}, or a .yaml run file`);
  }
  return applyFlags(defaultConfig(target), flags);
}

/**
 * The testbeds' flags, derived from their settings: first the shared ones (each testbed's default
 * in the help), then each testbed's own, in the registry's order; a preset's --with-tooluse comes
 * just before the flags of the testbed it adds.
 */
function addTestbedOptions(cmd: Command): Command {
  const testbeds = registeredTestbeds();
  for (const [kind, shared] of Object.entries(SHARED) as [SharedKind, (typeof SHARED)[SharedKind]][]) {
    const parts = testbeds.flatMap((t) => settingEntries(t.settings).flatMap(([, s]) => (s.shared === kind ? [s.help] : [])));
    if (parts.length === 0) continue;
    const flag = flagName(shared.key);
    cmd.option(`${flag} ${shared.arg}`, `${shared.help} (paper: ${parts.join(", ")})`, shared.flag(flag));
  }
  const addsAt = testbeds.findIndex((t) => PRESETS.some((p) => p.withToolUse === t.id));
  testbeds.forEach((testbed, i) => {
    if (i === addsAt) cmd.option(WITH_TOOLUSE.flag, WITH_TOOLUSE.help);
    for (const [field, s] of settingEntries(testbed.settings)) {
      if (s.shared) continue;
      const flag = flagName(settingKey(field, s));
      const option = new Option(`${flag} ${s.arg}`, s.help);
      if (s.choices) option.choices(s.choices);
      else if (s.flag) option.argParser(s.flag(flag));
      cmd.addOption(option);
    }
  });
  return cmd;
}

export function runCommand(io: Io): Command {
  const cmd = addModelOptions(new Command("run"))
    .description(
      "Runs a testbed and prints the per-round tables in the paper's layout.\n" +
        PRESETS_HELP +
        "without --dataset the built-in scenario packs are used; without --model a simulated agent\n" +
        `(${DEFAULT_MODEL}) answers. A YAML file takes the same settings (docs/config.md); flags override it.`,
    )
    .argument("<target>", `${runTargets().join(" | ")} | FILE.yaml`)
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  atp run paper --model policy:learner --seed 1\n" +
        "  atp run paper --model openai:Qwen/Qwen3-8B --base-url http://127.0.0.1:8000/v1 --temperature 0.6\n" +
        `  atp run ${registeredTestbeds()[0].id} --model llama:./Qwen3-8B-Q4_K_M.gguf\n` +
        "  atp init my-run.yaml && atp run my-run.yaml   (a run file with the server settings)\n",
    )
    .option("--dataset <file>", "scenario file in the paper's JSON layout, or paper:NAME after `atp data fetch paper` (repeatable)", collect)
    .option("--model <spec>", `model string: openai:NAME, llama:FILE.gguf, replay:FILE.jsonl, or a simulated policy:learner (the default), policy:fixed?p=0.3`)
    .addOption(new Option("--parity <mode>", "paper: the reference's exact prompts, parser and quirks; default: clean prompts, robust parser").choices(PARITIES))
    .option("--seed <n>", "run seed (default 0)", intFlag("--seed", 0))
    .option("--repeats <k>", "play each episode k times with independent seeds (default 1)", intFlag("--repeats", 1))
    .option("--transcript <file>", "write every episode to this JSONL transcript")
    .option("--db <file>", `SQLite store (default ${DEFAULT_DB})`)
    .option("--run-id <id>", "name the run; if the store has it, continue it (same settings required)", runIdFlag);
  return addTestbedOptions(cmd)
    .option("--limit <n>", "play only the first n episodes of each testbed (a first try); kept in the run's record", intFlag("--limit", 1))
    .option("--dry-run", "print the plan and the first prompt of each testbed, then exit without calling the model or writing anything")
    .option("--score-truncated", "score answers cut off at the token limit instead of failing their episode (raise the limit with --max-tokens)")
    .addOption(
      new Option("--history-reasoning <mode>", "reasoning the server returns apart: keep it in the history before the answer, or drop it (default: keep under --parity paper, else drop)").choices(HISTORY_REASONING),
    )
    .action(async (target: string, flags: RunFlags) => {
      const config = resolveRunConfig(target, flags);
      const datasetsFrom = flags.dataset === undefined && isRunFile(target) ? `${target}: field 'datasets':` : undefined;
      if (flags.dryRun) {
        io.stdout.write(dryRun(config, loadPlan(config, datasetsFrom)));
        return;
      }
      if (config.model === null) {
        io.stderr.write(
          `atp: no --model given, so a simulated agent (${DEFAULT_MODEL}) answers: no language model is called.\n` +
            "     Point the run at a real model with --model openai:NAME --base-url URL or --model llama:FILE.gguf (docs/agents.md).\n",
        );
      }
      await reportRun(io, config.db, (hooks) => executeRun(config, hooks, datasetsFrom));
    });
}
