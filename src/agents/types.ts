import type { Message, ToolCall, ToolSchema, ToolUseMessage } from "../core/types.js";
import type { Observation } from "../testbed/observation.js";

/** One request to an agent: the conversation so far and where in the run it sits. */
export interface AgentCall {
  /** The testbed's id (the registry knows them); a testbed may add fields of its own. */
  suite: string;
  /** The episode's plan key: its testbed's id, then its place in the grid. */
  episode: string;
  round: number;
  agent: number;
  repeat: number;
  /** Derived from the run seed and the call's place; the same on every run and resume. */
  seed: number;
  /** Earlier rounds the agent can see, inside its history window, oldest first. */
  seen: Observation[];
  /** Exactly what the agent is sent; tool turns only in testbeds that offer tools. */
  messages: ToolUseMessage[];
  /** The two options, when the agent picks one of two: what the simulated choice policies answer. */
  options?: ChoiceOptions;
  /** The tools to offer, under the tools protocol (absent otherwise). */
  tools?: ToolSchema[];
}

/** The two options of a choice: the aligned one keeps to the rule, the deviant one breaks it (or colludes). */
export interface ChoiceOptions {
  aligned: string;
  deviant: string;
}

/** A request in a testbed where the agent picks one of two options. */
export interface ChoiceCall extends AgentCall {
  messages: Message[];
  options: ChoiceOptions;
}

/** An agent's answer to one call, with what it cost. */
export interface Reply {
  text: string;
  /** Tool calls the reply makes (under the tools protocol). */
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
