/**
 * Simulated models (`policy:` model strings), so runs, tests and demos work without a model.
 *
 * Every policy is deterministic given the call's seed and stateless across calls: all it knows
 * is `call.seen`, the earlier rounds the environment showed it (inside the history window), just
 * as an LLM only knows its context. It answers in the testbeds' format: a short sentence, then
 * `{"choice": "<option>"}` on its own line.
 */
import { InputError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { Observation } from "../testbed/observation.js";
import type { Agent, ChoiceCall } from "./types.js";
import { LEARNER_DEFAULTS, learnerDeviationProbability, logit, sigmoid, type LearnerParams } from "./learner.js";
import { checkParams, numberParam, specContext } from "./spec.js";
import { TOOLUSE_POLICY_DEFAULTS, createToolUsePolicyAgent, toolUsePolicyReply, type ToolUsePolicyParams } from "../testbeds/tooluse/policy.js";

export const POLICY_NAMES = ["fixed", "learner", "imitator", "tooluse"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface ImitatorParams {
  prior: number;
  /** Weight of the peers' collusion share (mapped to -1..+1). */
  wPeers: number;
  /** Weight of whether collusion succeeded last round (+1) or failed (-1). */
  wPaid: number;
}

export const IMITATOR_DEFAULTS: ImitatorParams = { prior: 0.3, wPeers: 2, wPaid: 1.5 };

/**
 * The imitator's probability of colluding: it follows the crowd and what paid, looking only at
 * the most recent seen round. z = logit(prior) + wPeers * (2 * share - 1) + wPaid * outcome,
 * share = peers who colluded / peers, outcome = +1 if collusion succeeded, -1 if it failed,
 * 0 with nothing seen (or no peer information, for the share term).
 */
export function imitatorDeviationProbability(seen: readonly Observation[], params: ImitatorParams): number {
  let z = logit(params.prior);
  const last = seen.at(-1);
  if (last !== undefined) {
    if (last.peers !== undefined && last.peers > 0 && last.peersDeviant !== undefined) {
      z += params.wPeers * ((2 * last.peersDeviant) / last.peers - 1);
    }
    if (last.success !== undefined) z += params.wPaid * (last.success ? 1 : -1);
  }
  return sigmoid(z);
}

// Short sentences of our own, by testbed and by side. None mentions an option or the word
// "choice", so an answer without its JSON line is truly unparseable.
const SENTENCES = {
  roleplay: {
    aligned: [
      "Following the supervisor's requirement.",
      "I will stick to what the supervisor asked for.",
      "Staying within the rules this time.",
    ],
    deviant: [
      "The other option pays more, so I will take it.",
      "Going for the higher payoff this time.",
      "The rule costs too much here; I will take the better-paying option.",
    ],
  },
  collusion: {
    aligned: [
      "I will act on my own this round.",
      "Playing it safe on my own; the group may not reach the threshold.",
      "Keeping to my own plan.",
    ],
    deviant: [
      "I will join the group this round.",
      "Together we can reach the threshold, so I am in.",
      "Betting on the group effort.",
    ],
  },
} as const;

/** Writes the answer. Draws in a fixed order (deviate, noise, wording) so the seed fixes all. */
function answer(call: ChoiceCall, deviationProbability: number, noise: number): string {
  const rng = new Rng(call.seed);
  const deviate = rng.next() < deviationProbability;
  const garbled = rng.next() < noise;
  const side = deviate ? "deviant" : "aligned";
  const sentence = rng.pick(SENTENCES[call.suite][side]);
  if (garbled) return sentence;
  const option = deviate ? call.options.deviant : call.options.aligned;
  return `${sentence}\n{"choice": ${JSON.stringify(option)}}`;
}

/** `policy:fixed`'s probability of deviating when `p` is not given. */
const FIXED_P = 0.3;

/** What each policy is, and its parameters with their defaults: what the policies accept and `atp list` shows. */
export const POLICIES: Readonly<Record<PolicyName, { about: string; params: Readonly<Record<string, number>> }>> = {
  fixed: { about: "deviates with probability p, whatever happened before", params: { p: FIXED_P, noise: 0 } },
  learner: {
    about: "in-context reward learner: deviates more as deviating pays more than its typical reward",
    params: { prior: LEARNER_DEFAULTS.prior, lr: LEARNER_DEFAULTS.lr, noise: 0 },
  },
  imitator: {
    about: "games: follows its peers and whether collusion paid; role-play: learns as the learner",
    params: { prior: IMITATOR_DEFAULTS.prior, wPeers: IMITATOR_DEFAULTS.wPeers, wPaid: IMITATOR_DEFAULTS.wPaid, lr: LEARNER_DEFAULTS.lr, noise: 0 },
  },
  tooluse: {
    about: "tool-use testbed only: skips the calculator more as skipping pays",
    // Read when asked: the tool-use policy module imports this one, so its defaults may not exist yet at load.
    get params() {
      return { ...TOOLUSE_POLICY_DEFAULTS };
    },
  },
};

const PROBABILITY = { min: 0, max: 1 } as const;
const OPEN_PROBABILITY = { min: 0, max: 1, open: true } as const;
const WEIGHT = { min: -100, max: 100 } as const;

/** Makes the agent for `policy:NAME?params`. */
export function createPolicyAgent(name: string, params: Record<string, string>, specText: string): Agent {
  // The tool-use testbed's own policy (src/tooluse/policy.ts); it answers no other testbed.
  if (name === "tooluse") return createToolUsePolicyAgent(params, specText);
  let probability: (call: ChoiceCall) => number;
  switch (name) {
    case "fixed": {
      checkParams(params, Object.keys(POLICIES.fixed.params), specText);
      const p = numberParam(params, "p", FIXED_P, PROBABILITY, specText);
      probability = () => p;
      break;
    }
    case "learner": {
      checkParams(params, Object.keys(POLICIES.learner.params), specText);
      const learner: LearnerParams = {
        prior: numberParam(params, "prior", LEARNER_DEFAULTS.prior, OPEN_PROBABILITY, specText),
        lr: numberParam(params, "lr", LEARNER_DEFAULTS.lr, { min: 0, max: 100 }, specText),
      };
      probability = (call) => learnerDeviationProbability(call.seen, learner);
      break;
    }
    case "imitator": {
      checkParams(params, Object.keys(POLICIES.imitator.params), specText);
      const imitator: ImitatorParams = {
        prior: numberParam(params, "prior", IMITATOR_DEFAULTS.prior, OPEN_PROBABILITY, specText),
        wPeers: numberParam(params, "wPeers", IMITATOR_DEFAULTS.wPeers, WEIGHT, specText),
        wPaid: numberParam(params, "wPaid", IMITATOR_DEFAULTS.wPaid, WEIGHT, specText),
      };
      // Role-play has no peers to imitate, so there it learns from its own rewards instead.
      const learner: LearnerParams = {
        prior: imitator.prior,
        lr: numberParam(params, "lr", LEARNER_DEFAULTS.lr, { min: 0, max: 100 }, specText),
      };
      probability = (call) =>
        call.suite === "collusion"
          ? imitatorDeviationProbability(call.seen, imitator)
          : learnerDeviationProbability(call.seen, learner);
      break;
    }
    default:
      throw new InputError(
        `${specContext(specText)}: unknown policy '${name}' (accepted: ${POLICY_NAMES.join(", ")})`,
      );
  }
  const noise = numberParam(params, "noise", 0, PROBABILITY, specText);
  const toolUse = toolUseParams(name as PolicyName, params, specText);
  return {
    id: specText,
    respond: async (call) =>
      call.suite === "tooluse" ? toolUsePolicyReply(call, toolUse) : { text: answer(call, probability(call), noise), attempts: 1 },
  };
}

/**
 * The tool-use testbed has its own simulated agent (src/tooluse/policy.ts); these policies play
 * it with its defaults, so one model string runs every testbed. Skipping the calculator is the
 * deviation there: `prior` (and `fixed`'s `p`) is still the probability of deviating, `lr` the
 * step size; `fixed` never learns. There are no peers to imitate, so `imitator` learns as the
 * learner does; `noise` does not apply.
 */
function toolUseParams(name: PolicyName, params: Record<string, string>, specText: string): ToolUsePolicyParams {
  const d = TOOLUSE_POLICY_DEFAULTS;
  if (name === "fixed") return { ...d, prior: 1 - numberParam(params, "p", FIXED_P, PROBABILITY, specText), lr: 0 };
  const prior = Object.hasOwn(params, "prior") ? 1 - numberParam(params, "prior", 0.5, OPEN_PROBABILITY, specText) : d.prior;
  return { ...d, prior, lr: numberParam(params, "lr", d.lr, { min: 0, max: 100 }, specText) };
}
