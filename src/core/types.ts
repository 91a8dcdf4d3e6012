/** One chat message, as sent to a model. */
export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/** An OpenAI-style tool call, as a chat completion returns it. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/**
 * A chat message of the tool-use testbed: the core message plus what the tools protocol needs
 * (an assistant turn's `tool_calls`, a tool turn's `tool_call_id`), in OpenAI's field names so
 * a provider can pass it on unchanged. A separate type, so role-play and game conversations
 * can never hold a tool turn.
 */
export interface ToolUseMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

/** A function tool offered to a model, in the OpenAI request's shape. */
export interface ToolSchema {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/**
 * `paper` reproduces the reference implementation byte for byte (prompts, parser, number
 * formatting, quirks); `default` uses clean prompts and a robust parser (docs/parity.md).
 */
export type Parity = "paper" | "default";
export const PARITIES: readonly Parity[] = ["paper", "default"];

/** A testbed's id, as plans, transcripts and the store name it (src/testbeds/registry.ts knows them). */
export type Suite = string;
