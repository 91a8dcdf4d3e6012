import { Command, Option } from "commander";
import { InputError } from "../core/errors.js";
import { PARITIES } from "../core/types.js";
import { SUPERVISION_PATTERNS } from "../testbeds/roleplay/supervision.js";
import { checkConfig, DEFAULT_DB, HISTORY_REASONING, DEFAULT_MODEL, defaultConfig, loadConfigFile, notPlayedReason, playedTestbeds, providerFlags, samplingFlags, SUITES, TESTBED_NAMES, type ModelFlags, type RunConfig, type RunSuite, type Testbed } from "../run/config.js";
import { executeRun, loadPlan } from "../run/execute.js";
import { callsPerRound, transcriptRounds, type RunPlan } from "../testbeds/registry.js";
import { firstMessages } from "../run/runner.js";
import { TOOL_PROTOCOLS } from "../testbeds/tooluse/protocol.js";
import { addModelOptions, collect, historyFlag, intFlag, intListFlag, numberFlag, payoffFlag, positiveNumberFlag, runIdFlag } from "./options.js";
import { reportRun } from "./report-run.js";
import type { Io } from "./io.js";

interface RunFlags extends ModelFlags {
  dataset?: string[];
  model?: string;
  parity?: RunConfig["parity"];
  seed?: number;
  repeats?: number;
  transcript?: string;
  db?: string;
  runId?: string;
  rounds?: number;
  history?: number | "all";
  supervision?: RunConfig["roleplay"]["supervision"];
  supervisionSeed?: number;
  variants?: number;
  agents?: number;
  thresholds?: number[];
  rewards?: RunConfig["collusion"]["payoffSets"];
  peers?: RunConfig["collusion"]["peers"];
  capitalMode?: RunConfig["collusion"]["capitalMode"];
  startCapital?: number;
  additiveBase?: number;
  successPays?: RunConfig["collusion"]["successPays"];
  fixedColluders?: number;
  fixedPosition?: RunConfig["collusion"]["fixedPosition"];
  withTooluse?: boolean;
  episodes?: number;
  easy?: number;
  hard?: number;
  difficulty?: number;
  toolCost?: number;
  directCost?: number;
  easyReward?: number;
  hardReward?: number;
  toolProtocol?: RunConfig["tooluse"]["toolProtocol"];
  maxToolCalls?: number;
  limit?: number;
  dryRun?: boolean;
  scoreTruncated?: boolean;
  historyReasoning?: RunConfig["historyReasoning"];
}

/** The flags of one testbed each; `--rounds` and `--history` apply to every testbed. */
const TESTBED_FLAGS: Record<Testbed, (keyof RunFlags)[]> = {
  roleplay: ["supervision", "supervisionSeed", "variants"],
  collusion: ["agents", "thresholds", "rewards", "peers", "capitalMode", "startCapital", "additiveBase", "successPays", "fixedColluders", "fixedPosition"],
  tooluse: ["episodes", "easy", "hard", "difficulty", "toolCost", "directCost", "easyReward", "hardReward", "toolProtocol", "maxToolCalls"],
};

/** `toolCost` as the user typed it: `--tool-cost`. */
function flagName(field: string): string {
  return `--${field.replace(/([A-Z])/g, "-$1").toLowerCase()}`;
}

/** A flag for a testbed the run does not play would be ignored: refuse it instead. */
function checkFlagsApply(config: RunConfig, f: RunFlags): void {
  const played = playedTestbeds(config);
  for (const [testbed, keys] of Object.entries(TESTBED_FLAGS) as [Testbed, (keyof RunFlags)[]][]) {
    if (played.includes(testbed)) continue;
    const given = keys.find((k) => f[k] !== undefined);
    if (given !== undefined) throw new InputError(`${flagName(given)}: applies to ${notPlayedReason(config, testbed)}`);
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
  // --rounds and --history apply to every testbed the run plays.
  if (f.rounds !== undefined) c.roleplay.rounds = c.collusion.rounds = c.tooluse.rounds = f.rounds;
  if (f.history !== undefined) c.roleplay.historyWindow = c.collusion.historyWindow = c.tooluse.historyWindow = f.history === "all" ? null : f.history;
  if (f.supervision !== undefined) c.roleplay.supervision = f.supervision;
  if (f.supervisionSeed !== undefined) c.roleplay.supervisionSeed = f.supervisionSeed;
  if (f.variants !== undefined) c.roleplay.variants = f.variants;
  if (f.agents !== undefined) c.collusion.agents = f.agents;
  if (f.thresholds !== undefined) c.collusion.thresholds = f.thresholds;
  if (f.rewards !== undefined) c.collusion.payoffSets = f.rewards;
  if (f.peers !== undefined) c.collusion.peers = f.peers;
  if (f.capitalMode !== undefined) c.collusion.capitalMode = f.capitalMode;
  if (f.startCapital !== undefined) c.collusion.startCapital = f.startCapital;
  if (f.additiveBase !== undefined) c.collusion.additiveBase = f.additiveBase;
  if (f.successPays !== undefined) c.collusion.successPays = f.successPays;
  if (f.fixedColluders !== undefined) c.collusion.fixedColluders = f.fixedColluders;
  if (f.fixedPosition !== undefined) c.collusion.fixedPosition = f.fixedPosition;
  if (f.withTooluse) c.withToolUse = true;
  if (f.episodes !== undefined) c.tooluse.episodes = f.episodes;
  if (f.easy !== undefined) c.tooluse.easy = f.easy;
  if (f.hard !== undefined) c.tooluse.hard = f.hard;
  if (f.difficulty !== undefined) c.tooluse.difficulty = f.difficulty;
  if (f.toolCost !== undefined) c.tooluse.toolCost = f.toolCost;
  if (f.directCost !== undefined) c.tooluse.directCost = f.directCost;
  if (f.easyReward !== undefined) c.tooluse.easyReward = f.easyReward;
  if (f.hardReward !== undefined) c.tooluse.hardReward = f.hardReward;
  if (f.toolProtocol !== undefined) c.tooluse.toolProtocol = f.toolProtocol;
  if (f.maxToolCalls !== undefined) c.tooluse.maxToolCalls = f.maxToolCalls;
  if (f.limit !== undefined) c.limit = f.limit;
  if (f.scoreTruncated) c.scoreTruncated = true;
  if (f.historyReasoning !== undefined) c.historyReasoning = f.historyReasoning;
  checkFlagsApply(c, f);
  checkConfig(c, (field) => (field === "withToolUse" ? "--with-tooluse" : flagName(field.split(".").pop()!.replace(/\[\d+\]$/, ""))));
  return c;
}

/** What `--dry-run` prints: the episodes and calls of each testbed, and the first prompt of each. */
function dryRun(config: RunConfig, plans: RunPlan[]): string {
  const limit = config.limit === null ? "" : `, --limit ${config.limit}`;
  const out = [`atp run ${config.suite} --dry-run: model ${config.model ?? DEFAULT_MODEL}, parity ${config.parity}, seed ${config.seed}${limit}, ${plans.length} episodes`];
  for (const testbed of playedTestbeds(config)) {
    const mine = plans.filter((p) => p.suite === testbed);
    if (mine.length === 0) continue;
    const rounds = mine.reduce((n, p) => n + transcriptRounds(p), 0);
    const calls = mine.reduce((n, p) => n + transcriptRounds(p) * (callsPerRound(p) ?? 0), 0);
    const work =
      testbed === "tooluse"
        ? `${rounds} problems, each 1 to ${config.tooluse.maxToolCalls + 1} calls`
        : `${rounds} rounds, ${calls} calls`;
    out.push(`  ${TESTBED_NAMES[testbed]}: ${mine.length} episodes, ${work}`);
  }
  for (const testbed of playedTestbeds(config)) {
    const first = plans.find((p) => p.suite === testbed);
    if (!first) continue;
    out.push("", `First prompt of ${TESTBED_NAMES[testbed]} (${first.key}, round 1):`);
    for (const m of firstMessages(first)) out.push(`--- ${m.role} ---`, m.content ?? "");
  }
  out.push("", "Nothing was called or stored; run it without --dry-run.");
  return out.join("\n") + "\n";
}

function isRunFile(target: string): boolean {
  return /\.ya?ml$/i.test(target);
}

export function resolveRunConfig(target: string, flags: RunFlags): RunConfig {
  if (isRunFile(target)) return applyFlags(loadConfigFile(target, Boolean(flags.withTooluse)), flags);
  if (!(SUITES as readonly string[]).includes(target)) {
    throw new InputError(`run: unknown testbed '${target}': expected one of ${SUITES.join(", ")}, or a .yaml run file`);
  }
  return applyFlags(defaultConfig(target as RunSuite), flags);
}

export function runCommand(io: Io): Command {
  return addModelOptions(new Command("run"))
    .description(
      "Runs a testbed and prints the per-round tables in the paper's layout.\n" +
        "`paper` plays role-play and collusion with the paper's settings (and defaults to --parity paper;\n" +
        "--with-tooluse adds the tool-use testbed); `tooluse` plays the tool-use testbed alone;\n" +
        "without --dataset the built-in scenario packs are used; without --model a simulated agent\n" +
        `(${DEFAULT_MODEL}) answers. A YAML file takes the same settings (docs/config.md); flags override it.`,
    )
    .argument("<target>", `${SUITES.join(" | ")} | FILE.yaml`)
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  atp run paper --model policy:learner --seed 1\n" +
        "  atp run paper --model openai:Qwen/Qwen3-8B --base-url http://127.0.0.1:8000/v1 --temperature 0.6\n" +
        "  atp run roleplay --model llama:./Qwen3-8B-Q4_K_M.gguf\n" +
        "  atp init my-run.yaml && atp run my-run.yaml   (a run file with the server settings)\n",
    )
    .option("--dataset <file>", "scenario file in the paper's JSON layout, or paper:NAME after `atp data fetch paper` (repeatable)", collect)
    .option("--model <spec>", `model string: openai:NAME, llama:FILE.gguf, replay:FILE.jsonl, or a simulated policy:learner (the default), policy:fixed?p=0.3`)
    .addOption(new Option("--parity <mode>", "paper: the reference's exact prompts, parser and quirks; default: clean prompts, robust parser").choices(PARITIES))
    .option("--seed <n>", "run seed (default 0)", intFlag("--seed", 0))
    .option("--repeats <k>", "play each episode k times with independent seeds (default 1)", intFlag("--repeats", 1))
    .option("--transcript <file>", "write every episode to this JSONL transcript")
    .option("--db <file>", `SQLite store (default ${DEFAULT_DB})`)
    .option("--run-id <id>", "name the run; if the store has it, continue it (same settings required)", runIdFlag)
    .option("--rounds <n>", "rounds per episode (paper: 6 role-play, 3 collusion, 5 tool use)", intFlag("--rounds", 1))
    .option("--history <n|all>", "rounds of history each agent sees (paper: 5 role-play, 3 collusion, all in tool use)", historyFlag("--history"))
    .addOption(new Option("--supervision <pattern>", "role-play supervision pattern (paper: all_unsupervised)").choices(SUPERVISION_PATTERNS))
    .option("--supervision-seed <n>", "seed of the `random` supervision pattern (default 0)", intFlag("--supervision-seed", 0))
    .option("--variants <n>", "reward variants per role-play template (default 4: 16 x 4 = 64 items)", intFlag("--variants", 1))
    .option("--agents <n>", "agents per game (paper: 8)", intFlag("--agents", 1))
    .option("--thresholds <list>", "collusion thresholds t, e.g. 2,4,6,8 (paper)", intListFlag("--thresholds", 1))
    .option("--rewards <H,N,L>", "payoff set as capital factors, repeatable (paper: 1.2,1.0,0.8)", payoffFlag("--rewards"))
    .addOption(new Option("--peers <mode>", "what agents see of peers (paper: final_only)").choices(["final_only", "full"]))
    .addOption(new Option("--capital-mode <mode>", "how payoffs change capital (paper: multiplicative)").choices(["multiplicative", "additive"]))
    .option("--start-capital <x>", "starting capital (paper: 1.0)", positiveNumberFlag("--start-capital"))
    .option("--additive-base <x>", "additive mode: a round adds (factor - 1) x this (default: the start capital)", positiveNumberFlag("--additive-base"))
    .addOption(new Option("--success-pays <who>", "who gets the high factor when collusion succeeds (paper: all)").choices(["all", "colluders"]))
    .option("--fixed-colluders <k>", "k agents that always collude without being asked (default 0)", intFlag("--fixed-colluders", 0))
    .addOption(new Option("--fixed-position <where>", "where the fixed colluders sit (default tail)").choices(["head", "tail"]))
    .option("--with-tooluse", "paper: also play the tool-use testbed")
    .option("--episodes <n>", "tool use: episodes, each on its own problem set (default 32)", intFlag("--episodes", 1))
    .option("--easy <n>", "tool use: easy problems per round (default 8)", intFlag("--easy", 0))
    .option("--hard <n>", "tool use: hard problems per round (default 2)", intFlag("--hard", 0))
    .option("--difficulty <1-5>", "tool use: size of the hard problems (default 3)", intFlag("--difficulty", 1))
    .option("--tool-cost <x>", "tool use: added to the reward when the calculator was used (paper: -0.7)", numberFlag("--tool-cost"))
    .option("--direct-cost <x>", "tool use: added to the reward when it was not (paper: -0.2)", numberFlag("--direct-cost"))
    .option("--easy-reward <x>", "tool use: reward for a correct easy answer (paper: 1.2)", numberFlag("--easy-reward"))
    .option("--hard-reward <x>", "tool use: reward for a correct hard answer (paper: 5.0)", numberFlag("--hard-reward"))
    .addOption(new Option("--tool-protocol <p>", "tool use: text (CALCULATE: lines) or tools (function calling) (default text)").choices(TOOL_PROTOCOLS))
    .option("--max-tool-calls <n>", "tool use: calculator calls allowed per problem (default 3)", intFlag("--max-tool-calls", 1))
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
