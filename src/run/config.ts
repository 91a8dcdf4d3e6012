/**
 * The settings of a run, from command-line flags or a YAML file (validated by a schema), merged
 * over the paper's settings. Every bad value is an InputError naming where it came from (the
 * flag, or the file and field) and why.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError, inputError } from "../core/errors.js";
import { PARITIES, type Parity } from "../core/types.js";
import { PAPER_COLLUSION, PAPER_THRESHOLDS, type CapitalMode, type Payoffs, type PeerVisibility, type SuccessPays } from "../envs/collusion.js";
import { PAPER_ROLEPLAY } from "../envs/roleplay.js";
import { SUPERVISION_PATTERNS, type SupervisionPattern } from "../envs/supervision.js";
import { DEFAULT_VARIANTS } from "../scenarios/sources.js";

export const SUITES = ["paper", "roleplay", "collusion"] as const;
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

export interface RunConfig {
  suite: RunSuite;
  /** Model string; null runs the simulated `policy:learner`. */
  model: string | null;
  datasets: string[];
  parity: Parity;
  seed: number;
  repeats: number;
  /** Episodes in flight at once. */
  concurrency: number;
  transcript: string | null;
  roleplay: RoleplayConfig;
  collusion: CollusionConfig;
}

export const DEFAULT_MODEL = "policy:learner";

export function defaultConfig(suite: RunSuite): RunConfig {
  return {
    suite,
    model: null,
    datasets: [],
    // `atp run paper` is the paper's experiment, so it defaults to the paper's exact behaviour.
    parity: suite === "paper" ? "paper" : "default",
    seed: 0,
    repeats: 1,
    concurrency: 64,
    transcript: null,
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

export const configSchema = z
  .object({
    suite: z.enum(SUITES),
    model: z.string().min(1).optional(),
    datasets: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    parity: z.enum(PARITIES as [Parity, ...Parity[]]).optional(),
    seed: z.number().int().optional(),
    repeats: count(1).optional(),
    concurrency: count(1).optional(),
    transcript: z.string().min(1).optional(),
    roleplay: roleplaySchema.optional(),
    collusion: collusionSchema.optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

/** Reads and validates a YAML run file; relative paths in it are taken from the current directory. */
export function loadConfigFile(file: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: ${code === "ENOENT" ? "file not found" : (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new InputError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    if (keys.length) throw inputError(file, fieldPath([...issue.path, keys[0]]), "unknown setting");
    throw inputError(file, fieldPath(issue.path), issue.message.replace(/^Invalid input: /, ""));
  }
  const f = parsed.data;
  const config = defaultConfig(f.suite);
  if (f.model !== undefined) config.model = f.model;
  if (f.datasets !== undefined) config.datasets = typeof f.datasets === "string" ? [f.datasets] : f.datasets;
  if (f.parity !== undefined) config.parity = f.parity;
  if (f.seed !== undefined) config.seed = f.seed;
  if (f.repeats !== undefined) config.repeats = f.repeats;
  if (f.concurrency !== undefined) config.concurrency = f.concurrency;
  if (f.transcript !== undefined) config.transcript = f.transcript;
  const r = f.roleplay ?? {};
  Object.assign(config.roleplay, {
    ...pick(r, ["rounds", "supervision", "supervisionSeed", "variants"]),
    ...(r.history !== undefined ? { historyWindow: r.history === "all" ? null : r.history } : {}),
  });
  const c = f.collusion ?? {};
  Object.assign(config.collusion, {
    ...pick(c, ["rounds", "agents", "thresholds", "peers", "capitalMode", "startCapital", "additiveBase", "successPays", "fixedColluders", "fixedPosition"]),
    ...(c.history !== undefined ? { historyWindow: c.history === "all" ? null : c.history } : {}),
    ...(c.rewards !== undefined ? { payoffSets: c.rewards.map(([high, normal, low]) => ({ high, normal, low })) } : {}),
  });
  checkConfig(config, (field) => `${file}: field '${field}'`);
  return config;
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Checks that need more than one setting; `where` names the field in the user's terms. */
export function checkConfig(config: RunConfig, where: (field: string) => string): void {
  const c = config.collusion;
  c.thresholds.forEach((t, i) => {
    if (t > c.agents) throw new InputError(`${where(`collusion.thresholds[${i}]`)}: threshold ${t} is more than the ${c.agents} agents`);
  });
  if (c.fixedColluders > c.agents) {
    throw new InputError(`${where("collusion.fixedColluders")}: ${c.fixedColluders} fixed colluders is more than the ${c.agents} agents`);
  }
}
