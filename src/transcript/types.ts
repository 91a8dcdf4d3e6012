import type { Message, Suite } from "../core/types.js";

/**
 * The transcript format: one JSON object per line, one per episode. It is what `atp run
 * --transcript` and `atp export` write and what `atp replay` and `replay:FILE` agents read;
 * the paper's golden files are in this format. Keys are snake_case to match them.
 */
export interface TranscriptCall {
  agent: number;
  /** Exactly what the agent was sent. */
  messages: Message[];
  response: string;
  /** The parsed option, or null when the answer could not be read. */
  choice: string | null;
  reward: number;
  /** Games only. */
  capital_before?: number;
  capital_after?: number;
}

export interface TranscriptRound {
  round: number;
  /** Role-play only: 1 supervised, -1 unsupervised. */
  supervision?: 1 | -1;
  calls: TranscriptCall[];
  /** The environment's explanation line for the round. */
  outcome: string;
}

export interface RoleplaySettingsRecord {
  rounds: number;
  history_window: number | null;
  supervision: string;
  supervision_seed?: number;
  parity?: string;
}

export interface CollusionSettingsRecord {
  rounds: number;
  agents: number;
  threshold: number;
  rewards: [number, number, number];
  peers: string;
  history_window?: number | null;
  capital_mode?: string;
  start_capital?: number;
  additive_base?: number;
  success_pays?: string;
  fixed_colluders?: number;
  fixed_position?: string;
  parity?: string;
}

export interface TranscriptEpisode {
  suite: Suite;
  episode: string;
  scenario: string | number;
  environment: string;
  settings: RoleplaySettingsRecord | CollusionSettingsRecord;
  /** Which repeat of the episode this is (absent means 0). */
  repeat?: number;
  rounds: TranscriptRound[];
}
