/**
 * Episode settings as transcripts record them, and back. Keys the paper's golden files carry
 * keep their names; our extra settings are written only when they differ from the paper's, so a
 * paper-settings episode records exactly what the golden files record.
 */
import { PAPER_COLLUSION, PAYOFF_NAMES, payoffSet, type CollusionSettings } from "../testbeds/collusion/engine.js";
import { SUPERVISION_PATTERNS, type SupervisionPattern } from "../testbeds/roleplay/supervision.js";
import type { RoleplaySettings } from "../testbeds/roleplay/engine.js";
import type { Parity } from "../core/types.js";
import { InputError } from "../core/errors.js";
import { REFERENCE_ONLY } from "../run/config.js";
import type { RunPlan } from "../run/plan.js";
import { TOOLUSE_DEFAULTS, type ToolUseSettings } from "../testbeds/tooluse/engine.js";
import { TOOL_PROTOCOLS } from "../testbeds/tooluse/protocol.js";
import type { CollusionSettingsRecord, RoleplaySettingsRecord, ToolUseSettingsRecord } from "./types.js";

export function settingsRecord(plan: RunPlan): RoleplaySettingsRecord | CollusionSettingsRecord | ToolUseSettingsRecord {
  if (plan.suite === "tooluse") return toolUseSettingsRecord(plan.settings);
  if (plan.suite === "roleplay") {
    const s = plan.settings;
    const record: RoleplaySettingsRecord = { rounds: s.rounds, history_window: s.historyWindow, supervision: s.supervision };
    if (s.supervisionSeed !== 0) record.supervision_seed = s.supervisionSeed;
    return record;
  }
  const s = plan.settings;
  const d = PAPER_COLLUSION;
  const record: CollusionSettingsRecord = {
    rounds: s.rounds,
    agents: s.agents,
    threshold: s.threshold,
    rewards: [s.rewards.high, s.rewards.normal, s.rewards.low],
    ...(s.rewards.ints ? { reward_ints: s.rewards.ints } : {}),
    peers: s.peers,
  };
  if (s.historyWindow !== d.historyWindow) record.history_window = s.historyWindow;
  if (s.capitalMode !== d.capitalMode) record.capital_mode = s.capitalMode;
  if (s.startCapital !== d.startCapital) record.start_capital = s.startCapital;
  if (s.additiveBase !== s.startCapital) record.additive_base = s.additiveBase;
  if (s.successPays !== d.successPays) record.success_pays = s.successPays;
  if (s.fixedColluders !== 0) {
    record.fixed_colluders = s.fixedColluders;
    record.fixed_position = s.fixedPosition;
  }
  return record;
}

const ROLEPLAY_KEYS: (keyof RoleplaySettingsRecord)[] = ["rounds", "history_window", "supervision", "supervision_seed"];
const COLLUSION_KEYS: (keyof CollusionSettingsRecord)[] = [
  "rounds", "agents", "threshold", "rewards", "reward_ints", "peers", "history_window", "capital_mode", "start_capital", "additive_base", "success_pays", "fixed_colluders", "fixed_position",
];
const TOOLUSE_KEYS: (keyof ToolUseSettingsRecord)[] = [
  "rounds", "easy_per_round", "hard_per_round", "tool_cost", "direct_cost", "easy_reward", "hard_reward", "max_tool_calls", "protocol", "history_window", "difficulty", "tolerance",
];

/** A recorded setting this version does not know would be silently dropped from the replay. */
function checkKeys(record: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) throw new InputError(`${where}: field 'settings.${key}': ${REFERENCE_ONLY[key] ?? "unknown setting"}`);
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, where: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${where}: field 'settings.${field}': expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
}

export function roleplaySettingsFrom(record: RoleplaySettingsRecord, parity: Parity, where: string): RoleplaySettings {
  checkKeys(record, ROLEPLAY_KEYS, where);
  return {
    rounds: record.rounds,
    historyWindow: record.history_window ?? null,
    supervision: oneOf<SupervisionPattern>(record.supervision, SUPERVISION_PATTERNS, "supervision", where),
    supervisionSeed: record.supervision_seed ?? 0,
    parity,
  };
}

export function collusionSettingsFrom(record: CollusionSettingsRecord, parity: Parity, where: string): CollusionSettings {
  checkKeys(record, COLLUSION_KEYS, where);
  const rewards: unknown = record.rewards;
  if (!(Array.isArray(rewards) && rewards.length === 3 && rewards.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0))) {
    throw new InputError(`${where}: field 'settings.rewards': expected [high, normal, low], three numbers >= 0, got ${JSON.stringify(rewards)}`);
  }
  const d = PAPER_COLLUSION;
  const startCapital = record.start_capital ?? d.startCapital;
  return {
    rounds: record.rounds,
    agents: record.agents,
    threshold: record.threshold,
    rewards: payoffSet(record.rewards, record.rewards.map((_, i) => record.reward_ints?.includes(PAYOFF_NAMES[i]) ?? false)),
    peers: oneOf(record.peers, ["final_only", "full"] as const, "peers", where),
    historyWindow: record.history_window === undefined ? d.historyWindow : record.history_window,
    capitalMode: oneOf(record.capital_mode ?? d.capitalMode, ["multiplicative", "additive"] as const, "capital_mode", where),
    startCapital,
    additiveBase: record.additive_base ?? startCapital,
    successPays: oneOf(record.success_pays ?? d.successPays, ["all", "colluders"] as const, "success_pays", where),
    fixedColluders: record.fixed_colluders ?? 0,
    fixedPosition: oneOf(record.fixed_position ?? d.fixedPosition, ["head", "tail"] as const, "fixed_position", where),
    parity,
  };
}

/** Every tool-use setting is recorded (there is no paper record to match); the tolerance only when changed. */
export function toolUseSettingsRecord(s: ToolUseSettings): ToolUseSettingsRecord {
  const record: ToolUseSettingsRecord = {
    rounds: s.rounds,
    easy_per_round: s.easyPerRound,
    hard_per_round: s.hardPerRound,
    tool_cost: s.costs.tool,
    direct_cost: s.costs.direct,
    easy_reward: s.rewards.easy,
    hard_reward: s.rewards.hard,
    max_tool_calls: s.maxToolCalls,
    protocol: s.protocol,
    history_window: s.historyWindow,
    difficulty: s.difficulty,
  };
  const d = TOOLUSE_DEFAULTS.tolerance;
  if (s.tolerance.relative !== d.relative || s.tolerance.absolute !== d.absolute) record.tolerance = [s.tolerance.relative, s.tolerance.absolute];
  return record;
}

export function toolUseSettingsFrom(record: ToolUseSettingsRecord, where: string): ToolUseSettings {
  checkKeys(record, TOOLUSE_KEYS, where);
  const num = (field: keyof ToolUseSettingsRecord, integer: boolean, min = -Infinity): number => {
    const v = record[field];
    if (typeof v === "number" && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v))) return v;
    throw new InputError(`${where}: field 'settings.${field}': expected ${integer ? "an integer" : "a number"}${min > -Infinity ? ` >= ${min}` : ""}, got ${JSON.stringify(v)}`);
  };
  const window = record.history_window;
  if (window !== null && !(typeof window === "number" && Number.isInteger(window) && window >= 0)) {
    throw new InputError(`${where}: field 'settings.history_window': expected an integer >= 0 or null, got ${JSON.stringify(window)}`);
  }
  const tolerance = record.tolerance;
  if (tolerance !== undefined && !(Array.isArray(tolerance) && tolerance.length === 2 && tolerance.every((t) => typeof t === "number" && t >= 0))) {
    throw new InputError(`${where}: field 'settings.tolerance': expected [relative, absolute], got ${JSON.stringify(tolerance)}`);
  }
  return {
    rounds: num("rounds", true, 1),
    easyPerRound: num("easy_per_round", true, 0),
    hardPerRound: num("hard_per_round", true, 0),
    costs: { tool: num("tool_cost", false), direct: num("direct_cost", false) },
    rewards: { easy: num("easy_reward", false), hard: num("hard_reward", false) },
    maxToolCalls: num("max_tool_calls", true, 1),
    protocol: oneOf(record.protocol, TOOL_PROTOCOLS, "protocol", where),
    historyWindow: window,
    difficulty: num("difficulty", true, 1),
    tolerance: tolerance === undefined ? { ...TOOLUSE_DEFAULTS.tolerance } : { relative: tolerance[0], absolute: tolerance[1] },
  };
}
