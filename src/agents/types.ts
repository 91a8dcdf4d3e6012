import type { Message, Suite } from "../core/types.js";

/**
 * What an agent saw of one earlier round, in the environment's own terms. LLM agents read the
 * messages instead; policy agents (simulated models) learn from these.
 */
export interface Observation {
  round: number;
  /** The agent's own parsed choice: the aligned option, the deviant one, or unparseable. */
  choice: "aligned" | "deviant" | null;
  /** The reward fed back to the agent (a capital change in games). */
  reward: number;
  /** Games: how many of the other agents chose the deviant (collusive) option. */
  peersDeviant?: number;
  /** Games: how many other agents there are. */
  peers?: number;
  /** Games: whether collusion reached the threshold. */
  success?: boolean;
}

/** One request to an agent: the conversation so far and where in the run it sits. */
export interface AgentCall {
  suite: Suite;
  /** Episode key, e.g. `roleplay/3` or `collusion/t=4/r=1.2,1.0,0.8/0`. */
  episode: string;
  round: number;
  agent: number;
  repeat: number;
  /** Derived from the run seed and the call's place; the same on every run and resume. */
  seed: number;
  messages: Message[];
  /**
   * The two options. In role-play the aligned option is the compliant one and the deviant
   * option the violation; in games the aligned option is the independent one and the deviant
   * option is collusion.
   */
  options: { aligned: string; deviant: string };
  /** Earlier rounds the agent can see (inside its history window), oldest first. */
  seen: Observation[];
}

/** An agent's answer to one call, with what it cost. */
export interface Reply {
  text: string;
  /** Requests made, including retries (1 for agents that make none). */
  attempts: number;
  promptTokens?: number;
  completionTokens?: number;
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
