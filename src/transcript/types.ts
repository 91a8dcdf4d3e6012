import type { Suite, ToolCall, ToolUseMessage } from "../core/types.js";

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

export interface TranscriptEpisode {
  /** The testbed's id; reading a transcript checks it against the registry. */
  suite: Suite;
  episode: string;
  scenario: string | number;
  environment: string;
  /** As the testbed records them (its `record.ts`). */
  settings: object;
  /** Which repeat of the episode this is (absent means 0). */
  repeat?: number;
  rounds: TranscriptRound[];
}
