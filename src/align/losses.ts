/**
 * Reference implementations of the two alignment objectives, on plain numbers.
 *
 * They mirror what the trainers compute (TRL's DPOTrainer with the sigmoid loss, the per-token
 * term of TRL's GRPOTrainer), so a toy policy can be trained and checked against hand-derived updates, and so
 * the meaning of each hyperparameter is written down in one place. Each function also returns
 * its derivative with respect to the policy's log-probabilities: the chain rule to any
 * parameterisation is then one multiplication.
 */

/** log(1 + e^x), without overflow for large |x|. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The logistic function, without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log σ(x) = -softplus(-x). */
export function logSigmoid(x: number): number {
  return -softplus(-x);
}

// ---------------------------------------------------------------------------------------- DPO

/** Sequence log-probabilities of the chosen and rejected answers under the policy and reference. */
export interface DpoInputs {
  policyChosen: number;
  policyRejected: number;
  refChosen: number;
  refRejected: number;
}

export interface DpoResult {
  /** -log σ(margin). */
  loss: number;
  /** β (policyChosen - refChosen): the implicit reward TRL logs as rewards/chosen. */
  chosenReward: number;
  /** β (policyRejected - refRejected). */
  rejectedReward: number;
  /** chosenReward - rejectedReward, i.e. β[(πc - rc) - (πr - rr)] (TRL's rewards/margins). */
  margin: number;
  /** d loss / d policyChosen = -β σ(-margin). */
  gradPolicyChosen: number;
  /** d loss / d policyRejected = +β σ(-margin). */
  gradPolicyRejected: number;
}

/** The DPO sigmoid loss for one pair (no label smoothing), computed stably through softplus. */
export function dpoLoss(inputs: DpoInputs, beta: number): DpoResult {
  const chosenReward = beta * (inputs.policyChosen - inputs.refChosen);
  const rejectedReward = beta * (inputs.policyRejected - inputs.refRejected);
  const margin = chosenReward - rejectedReward;
  // -log σ(m) = softplus(-m); d/dm = -σ(-m).
  const pull = beta * sigmoid(-margin);
  return {
    loss: softplus(-margin),
    chosenReward,
    rejectedReward,
    margin,
    gradPolicyChosen: -pull,
    gradPolicyRejected: pull,
  };
}

// --------------------------------------------------------------------------------------- GRPO

/** TRL adds this to the group's standard deviation before dividing. */
export const GRPO_STD_EPSILON = 1e-4;

export interface AdvantageOptions {
  /** Divide by the group's standard deviation (TRL's scale_rewards="group"). Default true. */
  scale?: boolean;
  /**
   * Completions per prompt. When given, `rewards` is a flat batch of consecutive groups of this
   * size (TRL's layout); when omitted, `rewards` is one group.
   */
  groupSize?: number;
}

/**
 * Group-relative advantages as TRL computes them: (r - mean) / (std + 1e-4), where std is the
 * sample standard deviation (torch's default, divisor n - 1). A group of one has no spread, so
 * its std is taken as 0, as TRL does for that case.
 */
export function groupAdvantages(rewards: readonly number[], options: AdvantageOptions = {}): number[] {
  const scale = options.scale ?? true;
  const size = options.groupSize ?? rewards.length;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`groupAdvantages: group size must be a positive integer, got ${size}`);
  if (rewards.length % size !== 0) {
    throw new RangeError(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${size}`);
  }
  const out: number[] = [];
  for (let start = 0; start < rewards.length; start += size) {
    const group = rewards.slice(start, start + size);
    const mean = group.reduce((a, b) => a + b, 0) / size;
    const std = size > 1 ? Math.sqrt(group.reduce((a, r) => a + (r - mean) ** 2, 0) / (size - 1)) : 0;
    for (const r of group) out.push(scale ? (r - mean) / (std + GRPO_STD_EPSILON) : r - mean);
  }
  return out;
}

export interface GrpoTokenInputs {
  /** log π_θ(token) under the policy being trained. */
  logp: number;
  /** log π_old(token) under the policy that sampled the completion. */
  oldLogp: number;
  /** log π_ref(token) under the frozen reference; needed only when beta is not 0. */
  refLogp?: number;
  /** The completion's advantage. */
  advantage: number;
}

export interface GrpoLossOptions {
  /** Clip range below 1 (TRL's epsilon). Default 0.2. */
  epsilon?: number;
  /** Clip range above 1 (TRL's epsilon_high); defaults to epsilon. */
  epsilonHigh?: number;
  /** KL coefficient. Default 0.04. */
  beta?: number;
}

export interface GrpoTokenResult {
  loss: number;
  /** π_θ / π_old. */
  ratio: number;
  clippedRatio: number;
  /** True when the clipped term is the smaller one, so the token passes no gradient. */
  clipped: boolean;
  /** k3 estimate of KL(π_θ || π_ref): exp(ref - logp) - (ref - logp) - 1 (0 when beta is 0). */
  kl: number;
  /** d loss / d logp. */
  grad: number;
}

/**
 * The per-token GRPO loss: -min(ratio·A, clip(ratio, 1-ε, 1+ε_high)·A) + β·k3. How the token
 * losses of a batch add up to one number is TRL's loss_type, which grpoBatchLoss implements.
 */
export function grpoTokenLoss(inputs: GrpoTokenInputs, options: GrpoLossOptions = {}): GrpoTokenResult {
  const epsilon = options.epsilon ?? 0.2;
  const epsilonHigh = options.epsilonHigh ?? epsilon;
  const beta = options.beta ?? 0.04;
  const { logp, oldLogp, advantage } = inputs;

  const ratio = Math.exp(logp - oldLogp);
  const clippedRatio = Math.min(Math.max(ratio, 1 - epsilon), 1 + epsilonHigh);
  const unclippedTerm = ratio * advantage;
  const clippedTerm = clippedRatio * advantage;
  const clipped = clippedTerm < unclippedTerm;
  // The min picks one term; only the unclipped one depends on logp (d ratio / d logp = ratio).
  let loss = -(clipped ? clippedTerm : unclippedTerm);
  let grad = clipped ? 0 : -advantage * ratio;

  let kl = 0;
  if (beta !== 0) {
    if (inputs.refLogp === undefined) throw new RangeError("grpoTokenLoss: refLogp is required when beta is not 0");
    const d = inputs.refLogp - logp;
    kl = Math.exp(d) - d - 1;
    loss += beta * kl;
    // d/dlogp [e^(ref-logp) - (ref-logp) - 1] = 1 - e^(ref-logp)
    grad += beta * (1 - Math.exp(d));
  }
  return { loss, ratio, clippedRatio, clipped, kl, grad };
}

/** TRL's ways of reducing token losses to a batch loss (its loss_type; "dapo" is its default). */
export type GrpoLossType = "grpo" | "bnpo" | "dapo" | "dr_grpo";

/**
 * The batch loss from each completion's token losses, as TRL's loss_type reduces them for one
 * process and one accumulation step:
 * - "grpo": each completion's mean over its tokens, then the mean over completions;
 * - "bnpo" and "dapo": the sum over all tokens / the number of tokens (they differ only across
 *   processes and accumulation steps, which dapo counts whole: TRL's default, also in TRL 0.23.1,
 *   the release the paper ran);
 * - "dr_grpo": the sum over all tokens / (completions × maxCompletionLength).
 * With one token per completion the first three are the plain mean, dr_grpo that mean divided
 * by maxCompletionLength.
 */
export function grpoBatchLoss(tokenLosses: readonly (readonly number[])[], lossType: GrpoLossType, maxCompletionLength?: number): number {
  if (tokenLosses.length === 0 || tokenLosses.some((t) => t.length === 0)) throw new RangeError("grpoBatchLoss: every completion needs at least one token");
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const total = sum(tokenLosses.map(sum));
  switch (lossType) {
    case "grpo":
      return sum(tokenLosses.map((t) => sum(t) / t.length)) / tokenLosses.length;
    case "bnpo":
    case "dapo":
      return total / sum(tokenLosses.map((t) => t.length));
    case "dr_grpo":
      if (!maxCompletionLength || maxCompletionLength < Math.max(...tokenLosses.map((t) => t.length))) {
        throw new RangeError("grpoBatchLoss: dr_grpo needs maxCompletionLength of at least the longest completion");
      }
      return total / (tokenLosses.length * maxCompletionLength);
  }
}
