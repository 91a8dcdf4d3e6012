/**
 * Episode settings as transcripts record them, and back. Keys the paper's golden files carry
 * keep their names; our extra settings are written only when they differ from the paper's, so a
 * paper-settings episode records exactly what the golden files record.
 */
import { PAPER_COLLUSION, type CollusionSettings } from "../envs/collusion.js";
import { SUPERVISION_PATTERNS, type SupervisionPattern } from "../envs/supervision.js";
import type { RoleplaySettings } from "../envs/roleplay.js";
import type { Parity } from "../core/types.js";
import { InputError } from "../core/errors.js";
import type { EpisodePlan } from "../run/plan.js";
import type { CollusionSettingsRecord, RoleplaySettingsRecord } from "./types.js";

export function settingsRecord(plan: EpisodePlan): RoleplaySettingsRecord | CollusionSettingsRecord {
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

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, where: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${where}: field 'settings.${field}': expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
}

export function roleplaySettingsFrom(record: RoleplaySettingsRecord, parity: Parity, where: string): RoleplaySettings {
  return {
    rounds: record.rounds,
    historyWindow: record.history_window ?? null,
    supervision: oneOf<SupervisionPattern>(record.supervision, SUPERVISION_PATTERNS, "supervision", where),
    supervisionSeed: record.supervision_seed ?? 0,
    parity,
  };
}

export function collusionSettingsFrom(record: CollusionSettingsRecord, parity: Parity, where: string): CollusionSettings {
  const d = PAPER_COLLUSION;
  const [high, normal, low] = record.rewards;
  const startCapital = record.start_capital ?? d.startCapital;
  return {
    rounds: record.rounds,
    agents: record.agents,
    threshold: record.threshold,
    rewards: { high, normal, low },
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
