/**
 * The settings of a run, from command-line flags or a YAML file (validated by a schema), merged
 * over the paper's settings. Every bad value is an InputError naming where it came from (the
 * flag, or the file and field) and why.
 */
import { REFERENCE_ONLY } from "../testbed/record.js";
import { readUserText } from "../core/files.js";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError, inputError } from "../core/errors.js";
import { PARITIES, type Parity } from "../core/types.js";
import { PAPER_COLLUSION, PAPER_THRESHOLDS, payoffSet, type CapitalMode, type Payoffs, type PeerVisibility, type SuccessPays } from "../testbeds/collusion/engine.js";
import { PAPER_ROLEPLAY } from "../testbeds/roleplay/engine.js";
import { DEFAULT_VARIANTS } from "../testbeds/roleplay/scenarios.js";
import { SUPERVISION_PATTERNS, type SupervisionPattern } from "../testbeds/roleplay/supervision.js";
import { DEFAULT_PROVIDER_OPTIONS, type Sampling } from "../providers/types.js";
import { TOOLUSE_DEFAULTS } from "../testbeds/tooluse/engine.js";
import { TOOL_PROTOCOLS, type ToolProtocol } from "../testbeds/tooluse/protocol.js";
import type { HistoryReasoning } from "./runner.js";

export const SUITES = ["paper", "roleplay", "collusion", "tooluse"] as const;
/** Run ids name rows and appear in commands: keep them to a safe alphabet. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export type RunSuite = (typeof SUITES)[number];

export interface RoleplayConfig {
  rounds: number;
  historyWindow: number | null;
  supervision: SupervisionPattern;
  supervisionSeed: number;
  /** Reward variants per scenario when playing templates (built-in packs or template files). */
  variants: number;
}

export interface CollusionConfig {
  rounds: number;
  agents: number;
  thresholds: number[];
  payoffSets: Payoffs[];
  peers: PeerVisibility;
  capitalMode: CapitalMode;
  startCapital: number;
  additiveBase: number | null;
  successPays: SuccessPays;
  fixedColluders: number;
  fixedPosition: "head" | "tail";
  historyWindow: number | null;
}

/** Field names match the flags (`easy` is `--easy`), so errors name the flag the user typed. */
export interface ToolUseConfig {
  /** Episodes, each on its own problem set (episode i plays problem set i in every run). */
  episodes: number;
  rounds: number;
  /** Problems per round. */
  easy: number;
  hard: number;
  /** Size of the hard problems, 1 to 5. */
  difficulty: number;
  /** Added to a problem's reward when the calculator was used / not used. */
  toolCost: number;
  directCost: number;
  /** Earned by a correct answer. */
  easyReward: number;
  hardReward: number;
  toolProtocol: ToolProtocol;
  /** Calculator calls allowed per problem. */
  maxToolCalls: number;
  /** Rounds of history the agent sees; null for all. */
  historyWindow: number | null;
}

/** Tool-use episodes per run when not given: 32 x 2 hard problems = 64 per round, as many as the 64 role-play items. */
export const DEFAULT_TOOLUSE_EPISODES = 32;

/** How to reach a model server; none of it changes the answers, so a resume may change it. */
export interface ProviderConfig {
  baseUrls: string[];
  /** Requests in flight at once, per endpoint. */
  concurrency: number;
  timeoutMs: number;
  retries: number;
}

/** The model flags of the command line and the same keys of a run file (only those given). */
export interface ModelFlags {
  cache?: boolean;
  baseUrl?: string[];
  concurrency?: number;
  timeout?: number;
  retries?: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  topK?: number;
  extra?: Record<string, unknown>;
}

/** The sampling flags laid over `base`; server extras are merged key by key. */
export function samplingFlags(base: Sampling, f: ModelFlags): Sampling {
  const sampling: Sampling = { ...base };
  if (f.temperature !== undefined) sampling.temperature = f.temperature;
  if (f.topP !== undefined) sampling.topP = f.topP;
  if (f.maxTokens !== undefined) sampling.maxTokens = f.maxTokens;
  if (f.topK !== undefined) sampling.topK = f.topK;
  if (f.extra !== undefined) sampling.extra = { ...base.extra, ...f.extra };
  return sampling;
}

/** The server flags as provider settings, only those given (a resume may change just one). */
export function providerFlags(f: ModelFlags): Partial<ProviderConfig> {
  const provider: Partial<ProviderConfig> = {};
  if (f.baseUrl !== undefined) provider.baseUrls = f.baseUrl;
  if (f.concurrency !== undefined) provider.concurrency = f.concurrency;
  if (f.timeout !== undefined) provider.timeoutMs = f.timeout * 1000;
  if (f.retries !== undefined) provider.retries = f.retries;
  return provider;
}

export interface RunConfig {
  suite: RunSuite;
  /** Model string; null runs the simulated `policy:learner`. */
  model: string | null;
  sampling: Sampling;
  provider: ProviderConfig;
  datasets: string[];
  parity: Parity;
  seed: number;
  repeats: number;
  transcript: string | null;
  /** SQLite store file. */
  db: string;
  /** Run id: a new run, or an existing one to continue. Null: a new id. */
  runId: string | null;
  /** Answer repeated calls from the store's response cache. */
  cache: boolean;
  roleplay: RoleplayConfig;
  collusion: CollusionConfig;
  tooluse: ToolUseConfig;
  /** `paper` only: play the tool-use testbed too. */
  withToolUse: boolean;
  /** Play only the first N episodes of each testbed; null plays them all. Part of the run's record. */
  limit: number | null;
  /** Score answers cut off at the token limit instead of failing their episode. */
  scoreTruncated: boolean;
  /** Whether separated reasoning goes back into the history; null follows the parity (historyReasoningOf). */
  historyReasoning: HistoryReasoning | null;
}

export const HISTORY_REASONING = ["keep", "drop"] as const;

/** The reference kept the whole generated text, thinking included, in the history; the default mode sends the answer only. */
export function historyReasoningOf(config: Pick<RunConfig, "historyReasoning" | "parity">): HistoryReasoning {
  return config.historyReasoning ?? (config.parity === "paper" ? "keep" : "drop");
}

export const DEFAULT_DB = "atp-runs/atp.db";

export const DEFAULT_MODEL = "policy:learner";

export function defaultConfig(suite: RunSuite): RunConfig {
  return {
    suite,
    model: null,
    sampling: {},
    provider: {
      baseUrls: [...DEFAULT_PROVIDER_OPTIONS.baseUrls],
      concurrency: DEFAULT_PROVIDER_OPTIONS.concurrency,
      timeoutMs: DEFAULT_PROVIDER_OPTIONS.timeoutMs,
      retries: DEFAULT_PROVIDER_OPTIONS.retries,
    },
    datasets: [],
    // `atp run paper` is the paper's experiment, so it defaults to the paper's exact behaviour.
    parity: suite === "paper" ? "paper" : "default",
    seed: 0,
    repeats: 1,
    transcript: null,
    db: DEFAULT_DB,
    runId: null,
    cache: true,
    roleplay: { ...PAPER_ROLEPLAY, variants: DEFAULT_VARIANTS },
    collusion: {
      rounds: PAPER_COLLUSION.rounds,
      agents: PAPER_COLLUSION.agents,
      thresholds: [...PAPER_THRESHOLDS],
      payoffSets: [{ ...PAPER_COLLUSION.rewards }],
      peers: PAPER_COLLUSION.peers,
      capitalMode: PAPER_COLLUSION.capitalMode,
      startCapital: PAPER_COLLUSION.startCapital,
      additiveBase: null,
      successPays: PAPER_COLLUSION.successPays,
      fixedColluders: PAPER_COLLUSION.fixedColluders,
      fixedPosition: PAPER_COLLUSION.fixedPosition,
      historyWindow: PAPER_COLLUSION.historyWindow,
    },
    tooluse: {
      episodes: DEFAULT_TOOLUSE_EPISODES,
      rounds: TOOLUSE_DEFAULTS.rounds,
      easy: TOOLUSE_DEFAULTS.easyPerRound,
      hard: TOOLUSE_DEFAULTS.hardPerRound,
      difficulty: TOOLUSE_DEFAULTS.difficulty,
      toolCost: TOOLUSE_DEFAULTS.costs.tool,
      directCost: TOOLUSE_DEFAULTS.costs.direct,
      easyReward: TOOLUSE_DEFAULTS.rewards.easy,
      hardReward: TOOLUSE_DEFAULTS.rewards.hard,
      toolProtocol: TOOLUSE_DEFAULTS.protocol,
      maxToolCalls: TOOLUSE_DEFAULTS.maxToolCalls,
      historyWindow: null,
    },
    withToolUse: false,
    limit: null,
    scoreTruncated: false,
    historyReasoning: null,
  };
}

// ---- YAML ----

const count = (min: number) => z.number().int().min(min);
const history = z.union([count(0), z.literal("all")]);
const payoffs = z.tuple([z.number().positive(), z.number().positive(), z.number().nonnegative()]);

const roleplaySchema = z
  .object({
    rounds: count(1),
    history,
    supervision: z.enum(SUPERVISION_PATTERNS),
    supervisionSeed: z.number().int(),
    variants: count(1),
  })
  .partial()
  .strict();

const collusionSchema = z
  .object({
    rounds: count(1),
    agents: count(1),
    thresholds: z.array(count(1)).min(1),
    rewards: z.array(payoffs).min(1),
    peers: z.enum(["final_only", "full"]),
    capitalMode: z.enum(["multiplicative", "additive"]),
    startCapital: z.number().positive(),
    additiveBase: z.number().positive(),
    successPays: z.enum(["all", "colluders"]),
    fixedColluders: count(0),
    fixedPosition: z.enum(["head", "tail"]),
    history,
  })
  .partial()
  .strict();

const tooluseSchema = z
  .object({
    episodes: count(1),
    rounds: count(1),
    easy: count(0),
    hard: count(0),
    difficulty: z.number().int().min(1).max(5),
    toolCost: z.number(),
    directCost: z.number(),
    easyReward: z.number(),
    hardReward: z.number(),
    toolProtocol: z.enum(TOOL_PROTOCOLS as [ToolProtocol, ...ToolProtocol[]]),
    maxToolCalls: count(1),
    history,
  })
  .partial()
  .strict();

export const configSchema = z
  .object({
    suite: z.enum(SUITES),
    model: z.string().min(1).optional(),
    datasets: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    parity: z.enum(PARITIES as [Parity, ...Parity[]]).optional(),
    seed: z.number().int().optional(),
    repeats: count(1).optional(),
    transcript: z.string().min(1).optional(),
    db: z.string().min(1).optional(),
    runId: z.string().regex(RUN_ID).optional(),
    cache: z.boolean().optional(),
    baseUrl: z.union([z.string().url(), z.array(z.string().url()).min(1)]).optional(),
    concurrency: count(1).optional(),
    timeout: z.number().positive().optional(),
    retries: count(0).optional(),
    temperature: z.number().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    maxTokens: count(1).optional(),
    topK: count(1).optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
    roleplay: roleplaySchema.optional(),
    collusion: collusionSchema.optional(),
    tooluse: tooluseSchema.optional(),
    withToolUse: z.boolean().optional(),
    limit: count(1).optional(),
    scoreTruncated: z.boolean().optional(),
    historyReasoning: z.enum(HISTORY_REASONING).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

/** Settings that look like credentials: refused, so a run file can be shared or committed safely. */
const SECRET_KEY = /^(api[_-]?key|openai[_-]?api[_-]?key|key|token|secret|password|authorization)$/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads and validates a YAML run file; relative paths in it are taken from the current directory.
 * `withToolUse` is the command line's --with-tooluse, which adds a testbed the file's sections may set.
 */
export function loadConfigFile(file: string, withToolUse = false): RunConfig {
  const text = readUserText(file, "a YAML run file");
  let raw: unknown;
  let intRewards: unknown;
  try {
    raw = parseYaml(text);
    // The same file with ints as BigInt: which payoff factors were written as ints (`2`, not `2.0`).
    intRewards = (parseYaml(text, { intAsBigInt: true }) as { collusion?: { rewards?: unknown } } | null)?.collusion?.rewards;
  } catch (err) {
    throw new InputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const secret = Object.keys(isRecord(raw) ? raw : {}).find((key) => SECRET_KEY.test(key));
  if (secret) {
    throw inputError(file, secret, "keys are not read from run files: set OPENAI_API_KEY in the environment or in a .env file in the working folder");
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    if (keys.length) throw inputError(file, fieldPath([...issue.path, keys[0]]), REFERENCE_ONLY[keys[0]] ?? "unknown setting");
    throw inputError(file, fieldPath(issue.path), issue.message.replace(/^Invalid input: /, ""));
  }
  const f = parsed.data;
  const config = defaultConfig(f.suite);
  const plays = { suite: f.suite, withToolUse: withToolUse || (f.withToolUse ?? false) };
  const played = playedTestbeds(plays);
  for (const testbed of TESTBEDS) {
    const section = f[testbed];
    if (section === undefined || played.includes(testbed)) continue;
    // A section that is there but cannot apply would be silently ignored: name its first key.
    const key = Object.keys(section)[0];
    throw inputError(file, key === undefined ? testbed : `${testbed}.${key}`, `applies to ${notPlayedReason(plays, testbed)}`);
  }
  if (f.model !== undefined) config.model = f.model;
  if (f.datasets !== undefined) config.datasets = typeof f.datasets === "string" ? [f.datasets] : f.datasets;
  if (f.parity !== undefined) config.parity = f.parity;
  if (f.seed !== undefined) config.seed = f.seed;
  if (f.repeats !== undefined) config.repeats = f.repeats;
  if (f.transcript !== undefined) config.transcript = f.transcript;
  if (f.db !== undefined) config.db = f.db;
  if (f.runId !== undefined) config.runId = f.runId;
  if (f.cache !== undefined) config.cache = f.cache;
  // The same mapping as the flags': a run file's server and sampling keys are the flags' names.
  const modelKeys = { ...f, baseUrl: typeof f.baseUrl === "string" ? [f.baseUrl] : f.baseUrl };
  Object.assign(config.provider, providerFlags(modelKeys));
  config.sampling = samplingFlags(config.sampling, modelKeys);
  const r = f.roleplay ?? {};
  Object.assign(config.roleplay, {
    ...pick(r, ["rounds", "supervision", "supervisionSeed", "variants"]),
    ...(r.history !== undefined ? { historyWindow: r.history === "all" ? null : r.history } : {}),
  });
  const c = f.collusion ?? {};
  Object.assign(config.collusion, {
    ...pick(c, ["rounds", "agents", "thresholds", "peers", "capitalMode", "startCapital", "additiveBase", "successPays", "fixedColluders", "fixedPosition"]),
    ...(c.history !== undefined ? { historyWindow: c.history === "all" ? null : c.history } : {}),
    ...(c.rewards !== undefined ? { payoffSets: c.rewards.map((set, i) => payoffSet(set, set.map((_, j) => typeof (intRewards as unknown[][])[i][j] === "bigint"))) } : {}),
  });
  const t = f.tooluse ?? {};
  Object.assign(config.tooluse, {
    ...pick(t, ["episodes", "rounds", "easy", "hard", "difficulty", "toolCost", "directCost", "easyReward", "hardReward", "toolProtocol", "maxToolCalls"]),
    ...(t.history !== undefined ? { historyWindow: t.history === "all" ? null : t.history } : {}),
  });
  if (f.withToolUse !== undefined) config.withToolUse = f.withToolUse;
  if (f.limit !== undefined) config.limit = f.limit;
  if (f.scoreTruncated !== undefined) config.scoreTruncated = f.scoreTruncated;
  if (f.historyReasoning !== undefined) config.historyReasoning = f.historyReasoning;
  checkConfig(config, (field) => `${file}: field '${field}'`);
  return config;
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Agents per game: each round's prompts grow with the square of it, so a typo cannot exhaust memory. */
export const MAX_AGENTS = 1000;

/** Checks that need more than one setting; `where` names the field in the user's terms. */
export function checkConfig(config: RunConfig, where: (field: string) => string): void {
  const c = config.collusion;
  if (c.agents > MAX_AGENTS) {
    throw new InputError(`${where("collusion.agents")}: at most ${MAX_AGENTS} agents per game (every agent reads every other's choice each round), got ${c.agents}`);
  }
  c.thresholds.forEach((t, i) => {
    if (t > c.agents) throw new InputError(`${where(`collusion.thresholds[${i}]`)}: threshold ${t} is more than the ${c.agents} agents`);
  });
  if (c.fixedColluders > c.agents) {
    throw new InputError(`${where("collusion.fixedColluders")}: ${c.fixedColluders} fixed colluders is more than the ${c.agents} agents`);
  }
  const t = config.tooluse;
  if (!Number.isInteger(t.difficulty) || t.difficulty < 1 || t.difficulty > 5) {
    throw new InputError(`${where("tooluse.difficulty")}: expected an integer from 1 to 5, got ${t.difficulty}`);
  }
  if (playsToolUse(config) && t.easy + t.hard === 0) throw new InputError(`${where("tooluse.hard")}: a round needs at least one problem (easy or hard)`);
  if (config.withToolUse && config.suite !== "paper" && config.suite !== "tooluse") {
    throw new InputError(`${where("withToolUse")}: adds the tool-use testbed to \`paper\` only; play it alone with \`atp run tooluse\``);
  }
}

/** Whether the run plays the tool-use testbed. */
export function playsToolUse(config: Pick<RunConfig, "suite" | "withToolUse">): boolean {
  return config.suite === "tooluse" || (config.suite === "paper" && Boolean(config.withToolUse));
}

/** The testbeds; `paper` plays role-play and collusion (and tool use with --with-tooluse). */
export const TESTBEDS = ["roleplay", "collusion", "tooluse"] as const;
export type Testbed = (typeof TESTBEDS)[number];

export const TESTBED_NAMES: Record<Testbed, string> = { roleplay: "role-play", collusion: "collusion", tooluse: "tool-use" };

/** The testbeds a run plays. */
export function playedTestbeds(config: Pick<RunConfig, "suite" | "withToolUse">): Testbed[] {
  const played: Testbed[] = [];
  if (config.suite === "paper" || config.suite === "roleplay") played.push("roleplay");
  if (config.suite === "paper" || config.suite === "collusion") played.push("collusion");
  if (playsToolUse(config)) played.push("tooluse");
  return played;
}

/** Why a setting of `testbed` has no effect on this run, to end an error message ("applies to ..."). */
export function notPlayedReason(config: Pick<RunConfig, "suite" | "withToolUse">, testbed: Testbed): string {
  const hint = testbed === "tooluse" && config.suite === "paper" ? " (add --with-tooluse, or withToolUse: true in a run file)" : "";
  return `the ${TESTBED_NAMES[testbed]} testbed, which \`atp run ${config.suite}\` does not play${hint}`;
}
