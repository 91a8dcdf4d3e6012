/**
 * Data that the alignment stage produces and the trainers consume.
 *
 * A preference pair keeps the prompt the agent will really see at deployment: the steering
 * instruction used to sample each side is not stored, so training teaches the model to pick the
 * aligned option from the plain prompt.
 */
import type { Message, Suite } from "../core/types.js";

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
