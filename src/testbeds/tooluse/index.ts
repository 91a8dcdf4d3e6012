/**
 * The tool-use testbed: an agent solves arithmetic problems with or without a calculator over
 * self-evolution rounds. A problem is one transcript round: the agent is asked again and again,
 * the calculator's results added each time, until it answers or its calculator calls run out.
 */
import { hashSeed } from "../../core/rng.js";
import { InputError } from "../../core/errors.js";
import type { Testbed } from "../../testbed/contract.js";
import { checkEnvironment } from "../../testbed/record.js";
import { toolUseDecisions, TOOLUSE_MEASURES } from "./decisions.js";
import type { TranscriptRound } from "../../transcript/types.js";
import { ToolUseEpisode, type ToolUseCall, type ToolUseRecord } from "./engine.js";
import { TOOLUSE_ENVIRONMENT, toolUseScenario, type ToolUsePlan } from "./plan.js";
import { choicePolicyPlayer, TOOLUSE_POLICY } from "./policy.js";
import { CALCULATOR_TOOL } from "./protocol.js";
import { toolUseReport } from "./report.js";
import { toolUseSection } from "./summary.js";
import { toolUseView } from "./view.js";
import { toolUseSettingsFrom, toolUseSettingsRecord, type ToolUseSettingsRecord } from "./record.js";
import { toolUsePack, toolUseRunPlans, toolUseRunSettings, type ToolUseConfig } from "./settings.js";

/** The seed of one tool-use call: its episode, repeat, round, problem and place within the problem. */
export function toolUseCallSeed(runSeed: number, episode: string, repeat: number, round: number, problem: number, turn: number): number {
  return hashSeed(runSeed, episode, repeat, round, problem, turn);
}

/**
 * A scored problem in the transcript format (src/transcript/types.ts): every call of the
 * problem, the feedback line as the outcome, and the scoring as `detail`.
 */
export function toolUseRound(r: ToolUseRecord): TranscriptRound {
  const last = r.calls.length - 1;
  return {
    round: r.index,
    calls: r.calls.map((c, i) => ({
      agent: 0,
      messages: c.messages,
      response: c.response,
      ...(c.toolCalls !== undefined && c.toolCalls.length > 0 ? { tool_calls: c.toolCalls } : {}),
      choice: i < last ? "calculator" : r.answer,
      reward: i < last ? 0 : r.reward,
    })),
    outcome: r.feedback,
    detail: {
      evolution_round: r.round,
      problem: r.problem,
      kind: r.kind,
      template: r.template,
      used_tool: r.usedTool,
      tool_calls: r.toolCalls,
      answer: r.answer,
      expected: r.expected,
      correct: r.correct,
    },
  };
}

export const tooluse: Testbed<ToolUsePlan, ToolUseConfig> = {
  id: "tooluse",
  title: "tool-use",
  about: "problems to solve with or without a calculator that costs reward",
  settings: toolUseRunSettings,
  plan: toolUseRunPlans,
  pack: toolUsePack,
  // A problem takes from one call to its calculator limit plus one.
  workSummary: (plans) => `${plans.reduce((n, p) => n + tooluse.transcriptRounds(p), 0)} problems, each 1 to ${plans[0].settings.maxToolCalls + 1} calls`,
  datasetKinds: [],
  engine(plan, runSeed) {
    const env = new ToolUseEpisode(plan.scenario.problems, plan.settings);
    const tools = plan.settings.protocol === "tools" ? [CALCULATOR_TOOL] : undefined;
    let turn = 0;
    return {
      get done() {
        return env.done;
      },
      get round() {
        return env.index;
      },
      pending: () => [
        {
          turn,
          call: {
            suite: "tooluse",
            episode: plan.key,
            round: env.round,
            problem: env.index,
            turn,
            agent: 0,
            repeat: plan.repeat,
            seed: toolUseCallSeed(runSeed, plan.key, plan.repeat, env.round, env.index, turn),
            messages: env.messages(),
            seen: env.seen(),
            ...(tools ? { tools } : {}),
            tooluse: env.hint(),
          } satisfies ToolUseCall,
        },
      ],
      submit([answer]) {
        // The engine ends every problem after at most maxToolCalls + 1 calls.
        const step = env.respond({ text: answer.text, toolCalls: answer.toolCalls });
        if (step.type !== "answer") {
          turn++;
          return null;
        }
        turn = 0;
        return toolUseRound(step.record);
      },
    };
  },
  transcriptRounds: (plan) => plan.settings.rounds * (plan.settings.easyPerRound + plan.settings.hardPerRound),
  callsPerRound: () => null,
  describeCall: (round, { turn }) => `problem ${round + 1} call ${turn + 1}`,
  report: toolUseReport,
  summary: toolUseSection,
  withoutParity: true,
  view: toolUseView,
  settingsRecord: (plan) => toolUseSettingsRecord(plan.settings),
  decisions: toolUseDecisions,
  measures: TOOLUSE_MEASURES,
  replanner() {
    return (e, where) => {
      if (typeof e.scenario !== "number" || !Number.isSafeInteger(e.scenario)) {
        throw new InputError(`${where}: field 'scenario': expected the problem seed (an integer), got ${JSON.stringify(e.scenario)}`);
      }
      checkEnvironment(where, e.environment, TOOLUSE_ENVIRONMENT);
      const settings = toolUseSettingsFrom(e.settings as ToolUseSettingsRecord, where);
      return { suite: "tooluse", key: e.episode, repeat: e.repeat ?? 0, scenario: toolUseScenario(e.scenario, settings), settings };
    };
  },
  policies: { play: choicePolicyPlayer, own: [TOOLUSE_POLICY] },
  toolLoop: {
    roundName: "problem",
    // Only this testbed's calls are asked here, and its engine makes them all as ToolUseCalls.
    place(call) {
      const { problem, turn } = call as ToolUseCall;
      return { round: problem, turn };
    },
  },
  roundDetail: true,
};
