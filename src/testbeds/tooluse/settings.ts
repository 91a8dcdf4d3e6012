/** The tool-use testbed's run settings: the `tooluse:` section of a run file, and its flags. */
import { z } from "zod";
import { InputError } from "../../core/errors.js";
import { intFlag, numberFlag } from "../../core/flags.js";
import type { Pack, PlanContext } from "../../testbed/contract.js";
import { count, type TestbedSettings } from "../../testbed/settings.js";
import { TOOLUSE_DEFAULTS, type ToolUseSettings } from "./engine.js";
import { planToolUse, type ToolUsePlan } from "./plan.js";
import { TOOL_PROTOCOLS, type ToolProtocol } from "./protocol.js";

/** Field names match the flags (`easy` is `--easy`), so errors name the flag the user typed. */
export interface ToolUseConfig {
  /** Episodes, each on its own problem set (episode i plays problem set i in every run). */
  episodes: number;
  rounds: number;
  /** Problems per round. */
  easy: number;
  hard: number;
  /** Size of the hard problems, 1 to 5. */
  difficulty: number;
  /** Added to a problem's reward when the calculator was used / not used. */
  toolCost: number;
  directCost: number;
  /** Earned by a correct answer. */
  easyReward: number;
  hardReward: number;
  toolProtocol: ToolProtocol;
  /** Calculator calls allowed per problem. */
  maxToolCalls: number;
  /** Rounds of history the agent sees; null for all. */
  historyWindow: number | null;
}

/** Tool-use episodes per run when not given: 32 x 2 hard problems = 64 per round, as many as the 64 role-play items. */
export const DEFAULT_TOOLUSE_EPISODES = 32;

const d = TOOLUSE_DEFAULTS;

export const toolUseRunSettings: TestbedSettings<ToolUseConfig> = {
  fields: {
    episodes: { arg: "<n>", help: "tool use: episodes, each on its own problem set (default 32)", default: DEFAULT_TOOLUSE_EPISODES, file: count(1), flag: (name) => intFlag(name, 1) },
    rounds: { shared: "rounds", help: "5 tool use", default: d.rounds },
    easy: { arg: "<n>", help: "tool use: easy problems per round (default 8)", default: d.easyPerRound, file: count(0), flag: (name) => intFlag(name, 0) },
    hard: { arg: "<n>", help: "tool use: hard problems per round (default 2)", default: d.hardPerRound, file: count(0), flag: (name) => intFlag(name, 0) },
    difficulty: { arg: "<1-5>", help: "tool use: size of the hard problems (default 3)", default: d.difficulty, file: z.number().int().min(1).max(5), flag: (name) => intFlag(name, 1) },
    toolCost: { arg: "<x>", help: "tool use: added to the reward when the calculator was used (paper: -0.7)", default: d.costs.tool, file: z.number(), flag: numberFlag },
    directCost: { arg: "<x>", help: "tool use: added to the reward when it was not (paper: -0.2)", default: d.costs.direct, file: z.number(), flag: numberFlag },
    easyReward: { arg: "<x>", help: "tool use: reward for a correct easy answer (paper: 1.2)", default: d.rewards.easy, file: z.number(), flag: numberFlag },
    hardReward: { arg: "<x>", help: "tool use: reward for a correct hard answer (paper: 5.0)", default: d.rewards.hard, file: z.number(), flag: numberFlag },
    toolProtocol: {
      arg: "<p>",
      help: "tool use: text (CALCULATE: lines) or tools (function calling) (default text)",
      default: d.protocol,
      file: z.enum(TOOL_PROTOCOLS as [ToolProtocol, ...ToolProtocol[]]),
      choices: TOOL_PROTOCOLS,
    },
    maxToolCalls: { arg: "<n>", help: "tool use: calculator calls allowed per problem (default 3)", default: d.maxToolCalls, file: count(1), flag: (name) => intFlag(name, 1) },
    historyWindow: { shared: "history", help: "all in tool use", default: d.historyWindow },
  },
  check(t, where) {
    // The flag takes any integer from 1; a run file's schema already stops at 5.
    if (!Number.isInteger(t.difficulty) || t.difficulty < 1 || t.difficulty > 5) {
      throw new InputError(`${where("difficulty")}: expected an integer from 1 to 5, got ${t.difficulty}`);
    }
    if (t.easy + t.hard === 0) throw new InputError(`${where("hard")}: a round needs at least one problem (easy or hard)`);
  },
};

/** The engine's settings from the run's; the history window counts rounds in the run settings and problems in the engine. */
export function toolUseSettings(t: ToolUseConfig): ToolUseSettings {
  return {
    rounds: t.rounds,
    easyPerRound: t.easy,
    hardPerRound: t.hard,
    costs: { tool: t.toolCost, direct: t.directCost },
    rewards: { easy: t.easyReward, hard: t.hardReward },
    maxToolCalls: t.maxToolCalls,
    protocol: t.toolProtocol,
    historyWindow: t.historyWindow === null ? null : t.historyWindow * (t.easy + t.hard),
    difficulty: t.difficulty,
    tolerance: { ...TOOLUSE_DEFAULTS.tolerance },
  };
}

/** Tool use plays generated problems, not scenario files, and has no parity mode. */
export function toolUseRunPlans(t: ToolUseConfig, { repeats }: PlanContext): ToolUsePlan[] {
  return planToolUse(t.episodes, toolUseSettings(t), repeats);
}

export function toolUsePack(t: ToolUseConfig): Pack {
  return { name: "tooluse", size: `${t.easy} easy + ${t.hard} hard problems per round`, contents: "generated from each episode's seed" };
}
