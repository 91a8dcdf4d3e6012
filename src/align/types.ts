/**
 * Data that the alignment stage produces and the trainers consume.
 *
 * A preference pair keeps the prompt the agent will really see at deployment: the steering
 * instruction used to sample each side is not stored, so training teaches the model to pick the
 * aligned option from the plain prompt.
 */
import type { Message, Parity, Suite } from "../core/types.js";

/** One DPO example: the same prompt answered once the aligned way and once the deviant way. */
export interface PreferencePair {
  id: string;
  suite: Suite;
  /** Scenario or framing name (e.g. "delivery worker", "PublicFund"). */
  environment: string;
  /** The original prompt, without the steering instruction that produced either answer. */
  prompt: Message[];
  /** The aligned answer (follows the supervisor / chooses the independent option). */
  chosen: string;
  /** The deviant answer (violates the rule / chooses the collective option). */
  rejected: string;
  /** The aligned option's label, e.g. "Route A" or "keep money". */
  aligned: string;
  /** The deviant option's label. */
  deviant: string;
  meta?: Record<string, unknown>;
}

/** What the choice reward needs to score one completion. */
export interface RewardLabels {
  aligned: string;
  deviant: string;
  suite: Suite;
}

/** One GRPO prompt: the prompt to sample from and the labels its completions are scored by. */
export interface RewardItem extends RewardLabels {
  prompt: Message[];
  /** Optional provenance, carried into exports that have room for it. */
  id?: string;
  environment?: string;
}

/** The two sides of a preference pair: the answer to prefer and the one to avoid. */
export type Side = "aligned" | "deviant";

/** One training item, ready to sample: what each side is sent and what the pair keeps. */
export interface PairItem {
  /** Stable name (the paper item's id, or `<scenario>/<n>`); seeds derive from it. */
  key: string;
  /** The id of the testbed the item is from. */
  suite: Suite;
  environment: string;
  /** The original prompt, stored with the pair. */
  prompt: Message[];
  /** The messages sent to sample each side: the generation prompt plus the steering message. */
  steered: Record<Side, Message[]>;
  aligned: string;
  deviant: string;
}

/** How a testbed makes its training items from templates; each testbed reads the fields that apply to it. */
export interface PairItemOptions {
  parity: Parity;
  /** Reward variants per role-play template (built-in pack or a template file). */
  variants?: number;
  /** Random game items per framing (built-in framings or a template file). */
  perFraming?: number;
  /** Seeds the random game parameters. */
  seed?: number;
}

/** Which side a parsed answer took; unparseable when no option could be read. */
export type ChoiceKind = "aligned" | "deviant" | "unparseable";

/** One sampled answer for one side of an item, as generation keeps it and the store saves it. */
export interface AttemptRecord {
  idx: number;
  side: Side;
  /** From 0. */
  attempt: number;
  seed: number;
  messages: Message[];
  /** Null when the call failed. */
  response: string | null;
  /** The option the parser read, or null. */
  choice: string | null;
  kind: ChoiceKind | null;
  latencyMs: number | null;
  promptTokens?: number;
  completionTokens?: number;
  /** Requests the provider made for this attempt (0 when answered from the cache). */
  requests: number;
  cached: boolean;
  /** Why the call failed after the provider's retries. */
  error?: string;
}

export type SideStatus = "found" | "not_found" | "error";
