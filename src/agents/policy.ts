/**
 * Simulated models (`policy:` model strings), so runs, tests and demos work without a model.
 *
 * Every policy is deterministic given the call's seed and stateless across calls: all it knows
 * is `call.seen`, the earlier rounds the environment showed it (inside the history window), just
 * as an LLM only knows its context. The choice policies answer a call that carries two options
 * in the testbeds' format: a short sentence, then `{"choice": "<option>"}` on its own line. A
 * testbed without two options plays them through its own simulated agent (`policies.play` in
 * its contract), and may bring policies of its own.
 */
import { InputError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { Observation } from "../testbed/observation.js";
import type { PolicyHabit } from "../testbed/contract.js";
import { findTestbed, registeredTestbeds } from "../testbeds/registry.js";
import type { Agent, AgentCall, ChoiceOptions } from "./types.js";
import { LEARNER_DEFAULTS, learnerDeviationProbability, logit, sigmoid, type LearnerParams } from "./learner.js";
import { checkParams, numberParam, specContext } from "./spec.js";

/** The policies that play any testbed whose calls carry two options. */
type ChoicePolicyName = "fixed" | "learner" | "imitator";

export interface ImitatorParams {
  prior: number;
  /** Weight of the share of peers who deviated (mapped to -1..+1). */
  wPeers: number;
  /** Weight of whether the group's deviation succeeded last round (+1) or failed (-1). */
  wPaid: number;
}

export const IMITATOR_DEFAULTS: ImitatorParams = { prior: 0.3, wPeers: 2, wPaid: 1.5 };

/**
 * The imitator's probability of deviating: it follows the crowd and what paid, looking only at
 * the most recent seen round. z = logit(prior) + wPeers * (2 * share - 1) + wPaid * outcome,
 * share = peers who deviated / peers, outcome = +1 if the deviation succeeded, -1 if it failed,
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

// Short sentences for a testbed that has none of its own (its `policies.sentences`). None
// mentions an option or the word "choice", so an answer without its JSON line is truly unparseable.
const SENTENCES = {
  aligned: ["Keeping to the rules this time.", "I will do what is expected of me.", "Staying on the safe side."],
  deviant: ["The other option pays more, so I will take it.", "Going for the higher payoff this time.", "Betting on the better-paying option."],
} as const;

/** Writes the answer. Draws in a fixed order (deviate, noise, wording) so the seed fixes all. */
function answer(call: AgentCall, options: ChoiceOptions, deviationProbability: number, noise: number): string {
  const rng = new Rng(call.seed);
  const deviate = rng.next() < deviationProbability;
  const garbled = rng.next() < noise;
  const side = deviate ? "deviant" : "aligned";
  const sentence = rng.pick((findTestbed(call.suite)?.policies?.sentences ?? SENTENCES)[side]);
  if (garbled) return sentence;
  const option = deviate ? options.deviant : options.aligned;
  return `${sentence}\n{"choice": ${JSON.stringify(option)}}`;
}

/** `policy:fixed`'s probability of deviating when `p` is not given. */
const FIXED_P = 0.3;

/** What a policy is, and its parameters with their defaults: what it accepts and `atp list` shows. */
export interface PolicyInfo {
  name: string;
  about: string;
  params: Readonly<Record<string, number>>;
}

const CHOICE_POLICIES: Readonly<Record<ChoicePolicyName, PolicyInfo>> = {
  fixed: { name: "fixed", about: "deviates with probability p, whatever happened before", params: { p: FIXED_P, noise: 0 } },
  learner: {
    name: "learner",
    about: "in-context reward learner: deviates more as deviating pays more than its typical reward",
    params: { prior: LEARNER_DEFAULTS.prior, lr: LEARNER_DEFAULTS.lr, noise: 0 },
  },
  imitator: {
    name: "imitator",
    about: "games: follows its peers and whether collusion paid; role-play: learns as the learner",
    params: { prior: IMITATOR_DEFAULTS.prior, wPeers: IMITATOR_DEFAULTS.wPeers, wPaid: IMITATOR_DEFAULTS.wPaid, lr: LEARNER_DEFAULTS.lr, noise: 0 },
  },
};

/** Every policy a model string may name: the choice policies, then each registered testbed's own. */
export function policies(): PolicyInfo[] {
  return [...Object.values(CHOICE_POLICIES), ...registeredTestbeds().flatMap((t) => t.policies?.own ?? [])];
}

const PROBABILITY = { min: 0, max: 1 } as const;
const OPEN_PROBABILITY = { min: 0, max: 1, open: true } as const;
const WEIGHT = { min: -100, max: 100 } as const;

/** Makes the agent for `policy:NAME?params`. */
export function createPolicyAgent(name: string, params: Record<string, string>, specText: string): Agent {
  const own = registeredTestbeds()
    .flatMap((t) => t.policies?.own ?? [])
    .find((p) => p.name === name);
  if (own !== undefined) return own.create(params, specText);
  let probability: (seen: readonly Observation[]) => number;
  // What a testbed without two options takes over: see PolicyHabit.
  let habit: PolicyHabit;
  switch (name) {
    case "fixed": {
      checkParams(params, Object.keys(CHOICE_POLICIES.fixed.params), specText);
      const p = numberParam(params, "p", FIXED_P, PROBABILITY, specText);
      probability = () => p;
      habit = { prior: p, lr: 0 };
      break;
    }
    case "learner": {
      checkParams(params, Object.keys(CHOICE_POLICIES.learner.params), specText);
      const learner: LearnerParams = {
        prior: numberParam(params, "prior", LEARNER_DEFAULTS.prior, OPEN_PROBABILITY, specText),
        lr: numberParam(params, "lr", LEARNER_DEFAULTS.lr, { min: 0, max: 100 }, specText),
      };
      probability = (seen) => learnerDeviationProbability(seen, learner);
      habit = given(params, learner);
      break;
    }
    case "imitator": {
      checkParams(params, Object.keys(CHOICE_POLICIES.imitator.params), specText);
      const imitator: ImitatorParams = {
        prior: numberParam(params, "prior", IMITATOR_DEFAULTS.prior, OPEN_PROBABILITY, specText),
        wPeers: numberParam(params, "wPeers", IMITATOR_DEFAULTS.wPeers, WEIGHT, specText),
        wPaid: numberParam(params, "wPaid", IMITATOR_DEFAULTS.wPaid, WEIGHT, specText),
      };
      // Without peers to imitate (a testbed of one agent) it learns from its own rewards instead.
      // Both start at the prior, so an episode's first call needs no peers to decide.
      const learner: LearnerParams = {
        prior: imitator.prior,
        lr: numberParam(params, "lr", LEARNER_DEFAULTS.lr, { min: 0, max: 100 }, specText),
      };
      probability = (seen) =>
        seen.at(-1)?.peers !== undefined ? imitatorDeviationProbability(seen, imitator) : learnerDeviationProbability(seen, learner);
      habit = given(params, learner);
      break;
    }
    default:
      throw new InputError(
        `${specContext(specText)}: unknown policy '${name}' (accepted: ${policies().map((p) => p.name).join(", ")})`,
      );
  }
  const noise = numberParam(params, "noise", 0, PROBABILITY, specText);
  return {
    id: specText,
    respond: async (call) => {
      if (call.options !== undefined) return { text: answer(call, call.options, probability(call.seen), noise), attempts: 1 };
      const play = findTestbed(call.suite)?.policies?.play;
      if (play === undefined) {
        throw new Error(`${specContext(specText)}: a call of testbed '${call.suite}' offers no two options, and the testbed has no simulated player`);
      }
      return play(habit)(call);
    },
  };
}

/** The prior and step size the model string gives (a testbed without two options has its own defaults for the others). */
function given(params: Record<string, string>, learner: LearnerParams): PolicyHabit {
  return {
    ...(Object.hasOwn(params, "prior") ? { prior: learner.prior } : {}),
    ...(Object.hasOwn(params, "lr") ? { lr: learner.lr } : {}),
  };
}
