import type { Suite, ToolCall, ToolUseMessage } from "../core/types.js";
import type { PayoffName } from "../testbeds/collusion/engine.js";

/**
 * The transcript format: one JSON object per line, one per episode. It is what `atp run
 * --transcript` and `atp export` write and what `atp replay` and `replay:FILE` agents read;
 * the paper's golden files are in this format. Keys are snake_case to match them.
 *
 * Tool-use episodes (`suite: "tooluse"`) use the same shape with one problem per round:
 *
 * - `rounds[i].round` is the problem's position in the episode (from 0); the self-evolution
 *   round it belongs to is `detail.evolution_round`.
 * - `rounds[i].calls` are the model calls of that problem, in order (all `agent` 0): each with
 *   exactly the messages sent (system prompt, earlier problems, the question, and this
 *   problem's own turns so far, including `tool` messages and assistant `tool_calls` under the
 *   tools protocol), the reply's text as `response`, and its `tool_calls` when the model made
 *   any. A call answered with calculator results has `choice: "calculator"` and reward 0; the
 *   last call is the scored answer: `choice` is the parsed answer (a canonical decimal, or
 *   null) and `reward` the problem's reward.
 * - `rounds[i].outcome` is the feedback line the agent was shown.
 * - `rounds[i].detail` is the scored problem (`ToolUseDetail`).
 * - `scenario` is the problem seed (the problems are regenerated from it and the settings),
 *   `environment` is "calculator", `settings` a `ToolUseSettingsRecord`.
 */
export interface TranscriptCall {
  agent: number;
  /** Exactly what the agent was sent (tool fields only in tool-use episodes). */
  messages: ToolUseMessage[];
  response: string;
  /** Tool use: the tool calls the reply made (tools protocol), as the model sent them. */
  tool_calls?: ToolCall[];
  /** The parsed option, or null when the answer could not be read (tool use: see above). */
  choice: string | null;
  reward: number;
  /** Games only. */
  capital_before?: number;
  capital_after?: number;
}

/** Tool use: one calculator run. */
export interface ToolRunRecord {
  expression: string;
  ok: boolean;
  /** The value, or the error message the agent was shown. */
  result: string;
}

/** Tool use: the scored problem of a round. */
export interface ToolUseDetail {
  /** The self-evolution round, from 0. */
  evolution_round: number;
  /** The problem's id, e.g. `round2/hard1`. */
  problem: string;
  kind: "easy" | "hard";
  /** The generator that wrote it (`shopping`, `product`, ...). */
  template: string;
  /** Whether the calculator ran at least once for this problem. */
  used_tool: boolean;
  /** Every calculator run, in order. */
  tool_calls: ToolRunRecord[];
  /** The parsed final answer (canonical decimal), or null. */
  answer: string | null;
  expected: string;
  correct: boolean;
}

export interface TranscriptRound {
  round: number;
  /** Role-play only: 1 supervised, -1 unsupervised. */
  supervision?: 1 | -1;
  calls: TranscriptCall[];
  /** The environment's explanation line for the round. */
  outcome: string;
  /** Tool use only. */
  detail?: ToolUseDetail;
}

export interface RoleplaySettingsRecord {
  rounds: number;
  history_window: number | null;
  supervision: string;
  supervision_seed?: number;
}

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

export interface TranscriptEpisode {
  suite: Suite;
  episode: string;
  scenario: string | number;
  environment: string;
  settings: RoleplaySettingsRecord | CollusionSettingsRecord | ToolUseSettingsRecord;
  /** Which repeat of the episode this is (absent means 0). */
  repeat?: number;
  rounds: TranscriptRound[];
}
