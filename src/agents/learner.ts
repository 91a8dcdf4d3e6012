/**
 * The in-context reward learner's update rule, shared by the simulated policies of every
 * testbed: each testbed's observations say whether the agent took its deviant option (breaking
 * the rule, colluding, answering without the calculator).
 */
import type { Observation } from "../testbed/observation.js";

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

export interface LearnerParams {
  /** Probability of deviating before any feedback. */
  prior: number;
  /** Step size of the in-context update. */
  lr: number;
}

export const LEARNER_DEFAULTS: LearnerParams = { prior: 0.15, lr: 1.5 };

/**
 * The in-context reward learner's probability of deviating after the seen rounds.
 *
 * A REINFORCE step on the log-odds z of deviating, replayed over the seen rounds in order, with
 * a group-normalised advantage as in GRPO: b = mean and sd = standard deviation of the seen
 * rewards; for each round with a parsed choice, a = 1 if it deviated else 0, p = sigmoid(z),
 * z += lr * ((reward - b) / sd) * (a - p). (a - p) is the gradient of log P(choice) with respect
 * to z, so a choice that paid more than the agent's typical reward becomes more likely and one
 * that paid less becomes less likely. Normalising by the spread makes the step independent of
 * the currency and of how large the premium is: a violation paying 2.1 against 2.0 is as
 * noticeable as one paying 3000 against 2000. When every seen reward is equal nothing moves.
 */
export function learnerDeviationProbability(seen: readonly Observation[], params: LearnerParams): number {
  let z = logit(params.prior);
  const n = seen.length;
  if (n === 0) return sigmoid(z);
  const mean = seen.reduce((sum, o) => sum + o.reward, 0) / n;
  const sd = Math.sqrt(seen.reduce((sum, o) => sum + (o.reward - mean) ** 2, 0) / n);
  // Equal rewards carry no advantage; also guards against dividing float noise by float noise.
  if (sd <= 1e-12 * Math.max(1, Math.abs(mean))) return sigmoid(z);
  for (const o of seen) {
    if (o.choice === null) continue;
    const a = o.choice === "deviant" ? 1 : 0;
    z += params.lr * ((o.reward - mean) / sd) * (a - sigmoid(z));
  }
  return sigmoid(z);
}
