import type { ChoiceSuite, Message, ToolCall, ToolSchema, ToolUseMessage } from "../core/types.js";
import type { Observation } from "../testbed/observation.js";
import type { ToolUseHint } from "../testbeds/tooluse/engine.js";

/** Where a call sits in the run, and what the agent has seen. */
interface CallPlace {
  /** Episode key, e.g. `roleplay/3`, `collusion/t=4/r=1.2,1.0,0.8/0` or `tooluse/0`. */
  episode: string;
  round: number;
  agent: number;
  repeat: number;
  /** Derived from the run seed and the call's place; the same on every run and resume. */
  seed: number;
  /** Earlier rounds (tool use: problems) the agent can see, inside its history window, oldest first. */
  seen: Observation[];
}

/** A request in a testbed where the agent picks one of two options. */
export interface ChoiceCall extends CallPlace {
  suite: ChoiceSuite;
  messages: Message[];
  /**
   * The two options. In role-play the aligned option is the compliant one and the deviant
   * option the violation; in games the aligned option is the independent one and the deviant
   * option is collusion.
   */
  options: { aligned: string; deviant: string };
}

/**
 * A request in the tool-use testbed. A problem may take several calls (calculator requests,
 * then the answer), so besides its round (`round`, the self-evolution round) a call names its
 * problem and its place within it.
 */
export interface ToolUseCall extends CallPlace {
  suite: "tooluse";
  /** The problem's position in the episode, from 0 (the transcript's round). */
  problem: number;
  /** The call's position within its problem, from 0. */
  turn: number;
  messages: ToolUseMessage[];
  /** The tools to offer, under the tools protocol (absent under the text protocol). */
  tools?: ToolSchema[];
  /** The current problem as a simulated agent may know it; models read the messages. */
  tooluse?: ToolUseHint;
}

/** One request to an agent: the conversation so far and where in the run it sits. */
export type AgentCall = ChoiceCall | ToolUseCall;

/** An agent's answer to one call, with what it cost. */
export interface Reply {
  text: string;
  /** Tool calls the reply makes (tool use, tools protocol). */
  toolCalls?: ToolCall[];
  /** Requests made, including retries (1 for agents that make none). */
  attempts: number;
  /** The last failed request's error, when the answer needed a retry. */
  retryError?: string;
  promptTokens?: number;
  completionTokens?: number;
  /**
   * Why the model stopped: `stop`, `length` (the token limit), `tool_calls`, or what else the
   * server said; null when it said nothing. Absent for agents that are not models (policies,
   * replays), whose answers are taken as they are.
   */
  finishReason?: string | null;
  /** Reasoning the server returned apart from the answer (`reasoning_content` or `reasoning`); never parsed. */
  reasoning?: string;
}

/** Anything that answers calls: a policy, a replayed transcript, or a model provider. */
export interface Agent {
  /** The model string it was made from, e.g. `policy:learner?prior=0.1`. */
  readonly id: string;
  /**
   * Identifies the answers this agent would give (provider, model, sampling settings) for the
   * response cache; undefined for agents whose answers are not worth caching (policies, replay).
   */
  readonly cacheIdentity?: string;
  /** Rejects when no answer could be had (after the provider's own retries): never a fake answer. */
  respond(call: AgentCall): Promise<Reply>;
  close?(): Promise<void>;
}
