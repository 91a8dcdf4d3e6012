/** Role-play settings as transcripts record them (the golden files' keys), and back. */
import type { Parity } from "../../core/types.js";
import { checkKeys, oneOf } from "../../testbed/record.js";
import type { RoleplaySettings } from "./engine.js";
import { SUPERVISION_PATTERNS, type SupervisionPattern } from "./supervision.js";

export interface RoleplaySettingsRecord {
  rounds: number;
  history_window: number | null;
  supervision: string;
  supervision_seed?: number;
}

const KEYS: (keyof RoleplaySettingsRecord)[] = ["rounds", "history_window", "supervision", "supervision_seed"];

export function roleplaySettingsRecord(s: RoleplaySettings): RoleplaySettingsRecord {
  const record: RoleplaySettingsRecord = { rounds: s.rounds, history_window: s.historyWindow, supervision: s.supervision };
  if (s.supervisionSeed !== 0) record.supervision_seed = s.supervisionSeed;
  return record;
}

export function roleplaySettingsFrom(record: RoleplaySettingsRecord, parity: Parity, where: string): RoleplaySettings {
  checkKeys(record, KEYS, where);
  return {
    rounds: record.rounds,
    historyWindow: record.history_window ?? null,
    supervision: oneOf<SupervisionPattern>(record.supervision, SUPERVISION_PATTERNS, "supervision", where),
    supervisionSeed: record.supervision_seed ?? 0,
    parity,
  };
}
