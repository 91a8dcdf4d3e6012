/** Tool-use settings as transcripts record them, and back. */
import { InputError } from "../../core/errors.js";
import { checkKeys, oneOf } from "../../testbed/record.js";
import { TOOLUSE_DEFAULTS, type ToolUseSettings } from "./engine.js";
import { TOOL_PROTOCOLS } from "./protocol.js";

export interface ToolUseSettingsRecord {
  /** Self-evolution rounds. */
  rounds: number;
  easy_per_round: number;
  hard_per_round: number;
  /** Added to a problem's reward when the calculator was used, or when it was not. */
  tool_cost: number;
  direct_cost: number;
  /** Earned by a correct answer. */
  easy_reward: number;
  hard_reward: number;
  max_tool_calls: number;
  protocol: string;
  /** Past problems the agent sees; null for all. */
  history_window: number | null;
  difficulty: number;
  /** [relative, absolute]; only when not the default 1e-9 each. */
  tolerance?: [number, number];
}

const KEYS: (keyof ToolUseSettingsRecord)[] = [
  "rounds", "easy_per_round", "hard_per_round", "tool_cost", "direct_cost", "easy_reward", "hard_reward", "max_tool_calls", "protocol", "history_window", "difficulty", "tolerance",
];


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
  checkKeys(record, KEYS, where);
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
