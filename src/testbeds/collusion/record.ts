/**
 * Collusion settings as transcripts record them, and back. The golden files' keys keep their
 * names; our extra settings are written only when they differ from the paper's, so a
 * paper-settings episode records exactly what the golden files record.
 */
import { InputError, inputError } from "../../core/errors.js";
import { isIntLiteral, objectText, parseJsonWith } from "../../core/json.js";
import { pyFloat, pyInt } from "../../core/pyformat.js";
import type { Parity } from "../../core/types.js";
import { checkKeys, oneOf } from "../../testbed/record.js";
import { PAPER_COLLUSION, PAYOFF_NAMES, payoffSet, type CollusionSettings, type PayoffName } from "./engine.js";

export interface CollusionSettingsRecord {
  rounds: number;
  agents: number;
  threshold: number;
  /** [high, normal, low], spelled as Python writes them: `2` for an int, `1.0` for a float. */
  rewards: [number, number, number];
  /** Not a key of the file: which of `rewards` it spells as ints, kept apart because a JS number cannot tell. */
  reward_ints?: PayoffName[];
  peers: string;
  history_window?: number | null;
  capital_mode?: string;
  start_capital?: number;
  additive_base?: number;
  success_pays?: string;
  fixed_colluders?: number;
  fixed_position?: string;
}

const KEYS: (keyof CollusionSettingsRecord)[] = [
  "rounds", "agents", "threshold", "rewards", "reward_ints", "peers", "history_window", "capital_mode", "start_capital", "additive_base", "success_pays", "fixed_colluders", "fixed_position",
];

export function collusionSettingsRecord(s: CollusionSettings): CollusionSettingsRecord {
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

export function collusionSettingsFrom(record: CollusionSettingsRecord, parity: Parity, where: string): CollusionSettings {
  checkKeys(record, KEYS, where);
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

/** The record as a transcript line spells it: payoff factors as Python writes them (`2`, `1.0`), which JSON.stringify cannot. */
export function collusionSettingsText(record: CollusionSettingsRecord): string {
  const { reward_ints: ints, ...settings } = record;
  const rewards = settings.rewards.map((v, i) => (ints?.includes(PAYOFF_NAMES[i]) ? pyInt(v) : pyFloat(v)));
  return objectText(settings, { rewards: `[${rewards.join(",")}]` });
}

/** Notes in the record which payoff factors the line spells as ints (`2`, not `2.0`): the reference prints the two differently. */
export function readRewardInts(line: string, record: CollusionSettingsRecord, where: string): void {
  if (Object.hasOwn(record, "reward_ints")) throw inputError(where, "settings.reward_ints", "unknown setting");
  const rewards: unknown = record.rewards;
  // Only an integral value can have been written either way.
  if (!Array.isArray(rewards) || !rewards.some((v) => Number.isInteger(v))) return;
  const ints: PayoffName[] = [];
  parseJsonWith(line, (literal, path) => {
    const at = path[2];
    if (path.length === 3 && path[0] === "settings" && path[1] === "rewards" && typeof at === "number" && at < 3 && isIntLiteral(literal)) ints.push(PAYOFF_NAMES[at]);
    return Number(literal);
  });
  if (ints.length) record.reward_ints = ints;
}
