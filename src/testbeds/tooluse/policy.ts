/**
 * A simulated agent for the tool-use testbed, so tests and demos run without a model.
 *
 * It keeps one habit, the probability of reaching for the calculator, shared by easy and hard
 * problems: that sharing is the overgeneralisation the testbed is about. The habit is learned
 * in context from the seen problems with the learner policy's REINFORCE rule
 * (`learnerDeviationProbability`), where answering directly is the deviant choice and the
 * starting point is a prior of using the tool.
 *
 * Advantages are measured against problems of the same kind (each kind's rewards standardised
 * on their own, as GRPO compares answers within a group) rather than against the mix: a hard
 * problem's +4.3 says nothing about whether 1.0 is good on an easy one. So while the agent
 * always uses the tool on hard problems, they carry no contrast and teach it nothing; the easy
 * problems' contrast (1.0 direct against 0.5 with the tool) drives the habit down until it
 * skips the tool on a hard problem too, and only that failure pushes back.
 *
 * Like the other policies it is stateless and deterministic given the call's seed: it knows
 * the current problem from the call's hint (`ToolUseCall.tooluse`), which the engine provides.
 */
import { learnerDeviationProbability, type LearnerParams } from "../../agents/learner.js";
import { checkParams, numberParam, specContext } from "../../agents/spec.js";
import type { Agent, AgentCall, Reply } from "../../agents/types.js";
import type { OwnPolicy, PolicyHabit } from "../../testbed/contract.js";
import type { Observation } from "../../testbed/observation.js";
import { InputError } from "../../core/errors.js";
import { Rng, hashSeed } from "../../core/rng.js";
import { evaluate } from "./calculator.js";
import type { ToolUseCall, ToolUseHint } from "./engine.js";
import { CALCULATOR_TOOL_NAME, type ToolCall } from "./protocol.js";

export interface ToolUsePolicyParams {
  /** Probability of using the calculator before any feedback. */
  prior: number;
  /** Step size of the in-context update. */
  lr: number;
  /** Probability that a direct answer to an easy problem is right. */
  easyAccuracy: number;
  /** Probability that a direct answer to a hard problem is right. */
  hardAccuracy: number;
}

// lr is far below the role-play learner's 1.5 because a round here brings some ten observations,
// not one; 0.2 gives a drift of the size the paper reports (hard-problem tool use from about
// 0.7 to about 0.3 over 5 rounds with the default settings).
export const TOOLUSE_POLICY_DEFAULTS: ToolUsePolicyParams = { prior: 0.8, lr: 0.2, easyAccuracy: 0.98, hardAccuracy: 0.1 };

/**
 * Rewards standardised within each kind of problem. A kind whose rewards are all equal carries
 * no contrast and is left out (keeping it as zeros would shrink the spread the learner divides
 * by and so inflate the other kinds' advantages).
 */
function withinKindAdvantages(seen: readonly Observation[]): Observation[] {
  const kindOf = (o: Observation) => (o as { kind?: string }).kind ?? "";
  const stats = new Map<string, { mean: number; sd: number }>();
  for (const kind of new Set(seen.map(kindOf))) {
    const rewards = seen.filter((o) => kindOf(o) === kind).map((o) => o.reward);
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const sd = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length);
    stats.set(kind, { mean, sd });
  }
  const flat = ({ mean, sd }: { mean: number; sd: number }) => sd <= 1e-12 * Math.max(1, Math.abs(mean));
  return seen
    .filter((o) => !flat(stats.get(kindOf(o))!))
    .map((o) => {
      const { mean, sd } = stats.get(kindOf(o))!;
      return { ...o, reward: (o.reward - mean) / sd };
    });
}

/** The probability that the agent uses the calculator on the next problem, after the seen ones. */
export function toolUseProbability(seen: readonly Observation[], params: Pick<ToolUsePolicyParams, "prior" | "lr">): number {
  const learner: LearnerParams = { prior: 1 - params.prior, lr: params.lr };
  return 1 - learnerDeviationProbability(withinKindAdvantages(seen), learner);
}

/**
 * A wrong answer of the kind a person makes: for short numbers an off-by-a-few, for long ones
 * one or two digits slipped (never the leading one, so the size looks right).
 */
export function plausibleError(answer: string, rng: Rng): string {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(answer);
  if (!m) return `${answer}1`;
  const [, sign, whole, fraction = ""] = m;
  if (whole.length <= 2) {
    const n = Number(whole);
    const delta = rng.int(1, 3);
    const next = n >= delta && rng.next() < 0.5 ? n - delta : n + delta;
    return `${sign}${next}${fraction}`;
  }
  const digits = whole.split("");
  const slips = digits.length > 4 && rng.next() < 0.5 ? 2 : 1;
  const positions = new Set<number>();
  while (positions.size < slips) positions.add(rng.int(1, digits.length - 1));
  for (const i of positions) {
    const old = Number(digits[i]);
    digits[i] = String((old + rng.int(1, 9)) % 10);
  }
  return `${sign}${digits.join("")}${fraction}`;
}

/** The policy's reply to one call. Draws in a fixed order (use tool, correct, error) so the seed fixes all. */
export function toolUsePolicyReply(call: ToolUseCall, params: ToolUsePolicyParams): Reply {
  const hint: ToolUseHint | undefined = call.tooluse;
  if (hint === undefined) throw new Error("the tool-use policy needs the current problem's hint (call.tooluse)");
  const last = hint.toolResults.at(-1);
  if (last !== undefined && last.ok) {
    return { text: `The calculator gives ${last.result}.\n{"answer": "${last.result}"}`, attempts: 1 };
  }
  const rng = new Rng(call.seed);
  const useTool = rng.next() < toolUseProbability(call.seen, params);
  if (useTool && last === undefined && hint.toolCallsLeft > 0) {
    const text = "This needs an exact computation; I will use the calculator.";
    if (hint.protocol === "tools") {
      const toolCall: ToolCall = {
        id: `call_${hashSeed(call.seed, hint.problem).toString(16)}`,
        type: "function",
        function: { name: CALCULATOR_TOOL_NAME, arguments: JSON.stringify({ expression: hint.expression }) },
      };
      return { text, toolCalls: [toolCall], attempts: 1 };
    }
    return { text: `${text}\nCALCULATE: ${hint.expression}`, attempts: 1 };
  }
  const exact = evaluate(hint.expression);
  if (!exact.ok) throw new Error(`problem ${hint.problem}: its expression does not evaluate (${exact.error})`);
  const accuracy = hint.kind === "easy" ? params.easyAccuracy : params.hardAccuracy;
  const value = rng.next() < accuracy ? exact.value : plausibleError(exact.value, rng);
  return { text: `Working it out directly, the answer is ${value}.\n{"answer": "${value}"}`, attempts: 1 };
}

const PROBABILITY = { min: 0, max: 1 } as const;
const OPEN_PROBABILITY = { min: 0, max: 1, open: true } as const;

/** Parameter names of `policy:tooluse?...`. */
export const TOOLUSE_POLICY_PARAMS = ["prior", "lr", "easyAccuracy", "hardAccuracy"] as const;

/** Makes the tool-use policy agent from model-string parameters (e.g. `policy:tooluse?prior=0.8`). */
export function createToolUsePolicyAgent(params: Record<string, string> = {}, specText = "policy:tooluse"): Agent {
  checkParams(params, TOOLUSE_POLICY_PARAMS, specText);
  const p: ToolUsePolicyParams = {
    prior: numberParam(params, "prior", TOOLUSE_POLICY_DEFAULTS.prior, OPEN_PROBABILITY, specText),
    lr: numberParam(params, "lr", TOOLUSE_POLICY_DEFAULTS.lr, { min: 0, max: 100 }, specText),
    easyAccuracy: numberParam(params, "easyAccuracy", TOOLUSE_POLICY_DEFAULTS.easyAccuracy, PROBABILITY, specText),
    hardAccuracy: numberParam(params, "hardAccuracy", TOOLUSE_POLICY_DEFAULTS.hardAccuracy, PROBABILITY, specText),
  };
  return {
    id: specText,
    respond: async (call) => {
      if (call.suite !== "tooluse") {
        throw new InputError(`${specContext(specText)}: this policy plays only the tool-use testbed, not ${call.suite} (use policy:learner there)`);
      }
      return toolUsePolicyReply(call as ToolUseCall, p);
    },
  };
}

/** `policy:tooluse`, as `atp list` shows it. */
export const TOOLUSE_POLICY: OwnPolicy = {
  name: "tooluse",
  about: "tool-use testbed only: skips the calculator more as skipping pays",
  params: { ...TOOLUSE_POLICY_DEFAULTS },
  create: createToolUsePolicyAgent,
};

/**
 * How the choice policies play this testbed, so one model string runs every testbed: with this
 * agent and its defaults. Skipping the calculator is the deviation here, so a given `prior` (and
 * `fixed`'s `p`) is still the probability of deviating, `lr` the step size; `fixed` never learns.
 */
export function choicePolicyPlayer(habit: PolicyHabit): (call: AgentCall) => Reply {
  const d = TOOLUSE_POLICY_DEFAULTS;
  const params: ToolUsePolicyParams = { ...d, prior: habit.prior === undefined ? d.prior : 1 - habit.prior, lr: habit.lr ?? d.lr };
  // The contract hands this testbed only its own calls.
  return (call) => toolUsePolicyReply(call as ToolUseCall, params);
}
