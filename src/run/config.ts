/**
 * The settings of a run, from command-line flags or a YAML file (validated by a schema), merged
 * over the paper's settings. Every bad value is an InputError naming where it came from (the
 * flag, or the file and field) and why.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError, inputError } from "../core/errors.js";
import { readUserText } from "../core/files.js";
import { PARITIES, type Parity } from "../core/types.js";
import { DEFAULT_PROVIDER_OPTIONS, type Sampling } from "../providers/types.js";
import type { Testbed } from "../testbed/contract.js";
import { REFERENCE_ONLY } from "../testbed/record.js";
import { count, defaultSettings, readSection, sectionSchema } from "../testbed/settings.js";
import { addHint, findPreset, playedIds, PRESETS, takesWithToolUse } from "../testbeds/presets.js";
import { findTestbed, registeredTestbeds, type RunPlan, type TestbedConfigs } from "../testbeds/registry.js";
import type { HistoryReasoning } from "./runner.js";

/** Run ids name rows and appear in commands: keep them to a safe alphabet. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What `atp run` takes besides a run file: the presets, then every registered testbed. */
export function runTargets(): string[] {
  return [...PRESETS.map((p) => p.id), ...registeredTestbeds().map((t) => t.id)];
}

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
  /** A preset or a testbed's id (runTargets). */
  suite: string;
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
  /** Every registered testbed's settings, by its id; a run uses those of the testbeds it plays. */
  testbeds: TestbedConfigs;
  /** A preset only: play the testbed it adds on request too (src/testbeds/presets.ts). */
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

export function defaultConfig(suite: string): RunConfig {
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
    // A preset such as `atp run paper` is the paper's experiment, so it defaults to the paper's exact behaviour.
    parity: findPreset(suite)?.parity ?? "default",
    seed: 0,
    repeats: 1,
    transcript: null,
    db: DEFAULT_DB,
    runId: null,
    cache: true,
    testbeds: Object.fromEntries(registeredTestbeds().map((t) => [t.id, defaultSettings(t.settings)])) as TestbedConfigs,
    withToolUse: false,
    limit: null,
    scoreTruncated: false,
    historyReasoning: null,
  };
}

// ---- YAML ----

// The run file's keys, in the order zod reports them; each testbed's section goes between the two halves.
const GENERAL_KEYS = z.object({
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
});

const LATER_KEYS = z.object({
  withToolUse: z.boolean().optional(),
  limit: count(1).optional(),
  scoreTruncated: z.boolean().optional(),
  historyReasoning: z.enum(HISTORY_REASONING).optional(),
});

type ConfigFile = z.infer<typeof GENERAL_KEYS> & z.infer<typeof LATER_KEYS> & { suite: string } & Record<string, unknown>;

/** The run file's schema, with a section for every testbed registered now. */
function configSchema() {
  const sections: Record<string, z.ZodType> = {};
  for (const { id, settings } of registeredTestbeds()) {
    // A section named like a run setting would shadow it: a testbed must take another id.
    if ([...Object.keys(GENERAL_KEYS.shape), ...Object.keys(LATER_KEYS.shape), "suite"].includes(id)) throw new Error(`testbed '${id}': its id is a run file key`);
    sections[id] = sectionSchema(settings).optional();
  }
  return z
    .object({ suite: z.enum(runTargets() as [string, ...string[]]), ...GENERAL_KEYS.shape, ...sections, ...LATER_KEYS.shape })
    .strict();
}

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
  let spelled: unknown;
  try {
    raw = parseYaml(text);
    // The same file with ints as BigInt: which numbers were written as ints (`2`, not `2.0`).
    spelled = parseYaml(text, { intAsBigInt: true });
  } catch (err) {
    throw new InputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const secret = Object.keys(isRecord(raw) ? raw : {}).find((key) => SECRET_KEY.test(key));
  if (secret) {
    throw inputError(file, secret, "keys are not read from run files: set OPENAI_API_KEY in the environment or in a .env file in the working folder");
  }
  const parsed = configSchema().safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    if (keys.length) throw inputError(file, fieldPath([...issue.path, keys[0]]), REFERENCE_ONLY[keys[0]] ?? "unknown setting");
    throw inputError(file, fieldPath(issue.path), issue.message.replace(/^Invalid input: /, ""));
  }
  const f = parsed.data as ConfigFile;
  const config = defaultConfig(f.suite);
  const plays = { suite: f.suite, withToolUse: withToolUse || (f.withToolUse ?? false) };
  const played = playedTestbeds(plays);
  for (const testbed of registeredTestbeds()) {
    const section = f[testbed.id] as Record<string, unknown> | undefined;
    if (section === undefined || played.includes(testbed)) continue;
    // A section that is there but cannot apply would be silently ignored: name its first key.
    const key = Object.keys(section)[0];
    throw inputError(file, key === undefined ? testbed.id : `${testbed.id}.${key}`, `applies to ${notPlayedReason(plays, testbed)}`);
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
  for (const testbed of played) {
    const section = f[testbed.id] as Record<string, unknown> | undefined;
    if (section !== undefined) readSection(testbed.settings, section, (spelled as Record<string, Record<string, unknown> | undefined>)[testbed.id], config.testbeds[testbed.id]);
  }
  if (f.withToolUse !== undefined) config.withToolUse = f.withToolUse;
  if (f.limit !== undefined) config.limit = f.limit;
  if (f.scoreTruncated !== undefined) config.scoreTruncated = f.scoreTruncated;
  if (f.historyReasoning !== undefined) config.historyReasoning = f.historyReasoning;
  checkConfig(config, (field) => `${file}: field '${field}'`);
  return config;
}

/** Checks that need more than one setting; `where` names the field in the user's terms (`collusion.agents`). */
export function checkConfig(config: RunConfig, where: (field: string) => string): void {
  for (const testbed of playedTestbeds(config)) {
    testbed.settings.check?.(config.testbeds[testbed.id], (key) => where(`${testbed.id}.${key}`));
  }
  if (config.withToolUse && !takesWithToolUse(config.suite)) {
    const adds = PRESETS.map((p) => `adds the ${findTestbed(p.withToolUse)!.title} testbed to \`${p.id}\` only; play it alone with \`atp run ${p.withToolUse}\``);
    throw new InputError(`${where("withToolUse")}: ${adds.join("; ")}`);
  }
}

/** The testbeds a run plays, in the registry's order (the order they are planned in). */
export function playedTestbeds(config: Pick<RunConfig, "suite" | "withToolUse">): Testbed<RunPlan>[] {
  const ids = playedIds(config.suite, Boolean(config.withToolUse));
  return registeredTestbeds().filter((t) => ids.includes(t.id));
}

/** Why a setting of `testbed` has no effect on this run, to end an error message ("applies to ..."). */
export function notPlayedReason(config: Pick<RunConfig, "suite" | "withToolUse">, testbed: Testbed<RunPlan>): string {
  return `the ${testbed.title} testbed, which \`atp run ${config.suite}\` does not play${addHint(config.suite, testbed.id)}`;
}

/**
 * The settings as a run's record keeps them: laid out as a run file is, each testbed's settings
 * under its id among the run's own, so records written before testbeds were registered read the same.
 */
export function configRecord(config: RunConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).flatMap(([key, value]) => (key === "testbeds" ? Object.entries(value as object) : [[key, value]])));
}

/** A run's settings from its record; a testbed the record has no settings of (registered since) takes its defaults. */
export function configFromRecord(record: Record<string, unknown>): RunConfig {
  const rest = { ...record };
  const testbeds: Record<string, object> = {};
  for (const t of registeredTestbeds()) {
    testbeds[t.id] = (rest[t.id] as object | undefined) ?? defaultSettings(t.settings);
    delete rest[t.id];
  }
  return { ...rest, testbeds } as unknown as RunConfig;
}
