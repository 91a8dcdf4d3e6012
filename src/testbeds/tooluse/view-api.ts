/**
 * Tool use's sections of the viewer's JSON (src/view/api.ts), as its view writes them and its
 * panel reads them. Types only, for the browser build too.
 */
import type { CallView, Decision, EpisodeViewBase, Proportion, RoundDecisions } from "../../view/api.js";

export type ToolUseViewSettings = {
  episodes: number;
  rounds: number;
  easy: number;
  hard: number;
  difficulty: number;
  protocol: string;
  maxToolCalls: number;
  /** Problems the agent sees; null for all. */
  historyWindow: number | null;
  rewards: { easy: number; hard: number };
  costs: { tool: number; direct: number };
};

/** Its fields of the run's settings. */
export type ToolUseSettingsFields = { toolUse: ToolUseViewSettings | null };

export interface ToolUseRoundRates {
  round: number;
  problems: number;
  toolUse: Proportion;
  easyToolUse: Proportion;
  hardToolUse: Proportion;
  easyAccuracy: Proportion;
  hardAccuracy: Proportion;
  meanReward: number | null;
}

export interface ToolUseEnds {
  first: Proportion | null;
  last: Proportion | null;
}

/** Its headline: the tool-use rate and hard-problem accuracy of the first and last round. */
export type ToolUseHeadlineFields = { toolUse: { toolUse: ToolUseEnds; hardAccuracy: ToolUseEnds } | null };

/** Its rates per round in the run's detail: of the finished episodes, and of every problem saved so far. */
export type ToolUseDetailFields = { toolUse: { rates: ToolUseRoundRates[]; soFar: ToolUseRoundRates[] } | null };

/** A self-evolution round in the episode list: its problems by decision (deviant: answered without the calculator), and those answered correctly. */
export interface ToolUseRoundDecisions extends RoundDecisions {
  correct: number;
}

export interface ProblemView {
  /** The problem's place in the episode, from 1. */
  round: number;
  evolutionRound: number;
  /** Its place within its round, from 1. */
  position: number;
  detail: { problem: string; kind: string; used_tool: boolean; answer: string | null; expected: string; correct: boolean };
  decision: Decision;
  reward: number;
  outcome: string;
  calls: CallView[];
}

export interface ToolUseEpisodeView extends EpisodeViewBase {
  rounds: ProblemView[];
}
