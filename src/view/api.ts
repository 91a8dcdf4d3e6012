/**
 * The JSON the viewer's server sends and its client reads: the one contract between the two.
 * Types only, importing nothing, so the browser build can share it without node's modules; the
 * server's functions are declared to return these shapes, so the compiler checks both sides.
 */

/** A testbed the viewer shows. */
export type TestbedId = "roleplay" | "collusion" | "tooluse";
export type Decision = "deviant" | "aligned" | "unparseable";
export type EpisodeStatus = "pending" | "running" | "done" | "failed";

/** One round's rate with its 95% interval. */
export interface RateCell {
  round: number;
  deviant: number;
  total: number;
  rate: number;
  low: number;
  high: number;
}

/** A rate table row: a RateCell with the decisions not counted in it. */
export interface RateRow extends RateCell {
  unparseable: number;
  /** Decisions missing because a call failed. */
  failed: number;
}

export interface Proportion {
  successes: number;
  n: number;
  rate: number;
  low: number;
  high: number;
}

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

export interface EpisodeCounts {
  total: number;
  done: number;
  failed: number;
  running: number;
  pending: number;
  /** Rounds saved over rounds planned, all episodes. */
  roundsSaved: number;
  roundsPlanned: number;
}

export interface RunSettings {
  roleplay: { episodes: number; rounds: number; historyWindow: number | null; supervision: string } | null;
  collusion: {
    episodes: number;
    games: number;
    agents: number;
    rounds: number;
    thresholds: number[];
    /** Payoff sets as `high,normal,low`. */
    payoffs: string[];
    peers: string;
    capitalMode: string;
    successPays: string;
    fixedColluders: number;
    historyWindow: number | null;
  } | null;
  toolUse: {
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
  } | null;
  /** Testbeds without a panel of their own, shown by their measures; only when the run plays some. */
  measured?: MeasuredTestbed[];
  repeats: number;
  /** Episodes of testbeds the viewer does not show (none since it shows tool use). */
  otherEpisodes: number;
}

/** A testbed the viewer has no panel of, which declares measures. */
export interface MeasuredTestbed {
  id: string;
  /** The name in sentences. */
  title: string;
  episodes: number;
  /** The rounds its measures run to. */
  rounds: number;
}

/** One round of a measure: hits of the decisions counted, with the 95% interval. */
export interface MeasureRound {
  round: number;
  hits: number;
  unparseable: number;
  /** Decisions lost to a failed call; not in `total`. */
  failed: number;
  total: number;
  rate: number;
  low: number;
  high: number;
}

/** A testbed's measures over its finished episodes, per group of each measure's axes. */
export interface MeasuresView {
  testbed: string;
  title: string;
  counts: SuiteCounts;
  measures: { id: string; title: string; by: string[]; groups: { axes: Record<string, string | number>; episodes: number; rounds: MeasureRound[] }[] }[];
}

export interface ToolUseEnds {
  first: Proportion | null;
  last: Proportion | null;
}

export interface Headline {
  /** `finished`: the summary's numbers; `sofar`: every decision saved, while episodes are unfinished. */
  scope: "finished" | "sofar";
  /** Violation rate of the last round played. */
  violation: RateCell | null;
  /** Collusion rate of the first and last round, per threshold and payoff set. */
  collusion: { threshold: number; payoff: string; first: RateCell | null; last: RateCell | null }[];
  /** Tool use: the tool-use rate and hard-problem accuracy of the first and last round. */
  toolUse: { toolUse: ToolUseEnds; hardAccuracy: ToolUseEnds } | null;
}

export interface RunOverview {
  id: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  status: string;
  suite: string;
  model: string;
  seed: number;
  parity: string;
  settings: RunSettings;
  episodes: EpisodeCounts;
  headline: Headline;
}

export interface RunList {
  db: string;
  runs: RunOverview[];
}

export interface CallStats {
  calls: number;
  cached: number;
  errors: number;
  truncated: number;
  empty: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  meanLatencyMs: number | null;
}

export interface Tipping {
  complete: number;
  tipped: number;
  cumulative: { round: number; tipped: number; share: number; low: number; high: number }[];
}

export interface Conditional {
  n: number;
  rate: number;
  low: number;
  high: number;
}

/** One threshold and payoff set of a run's games. */
export interface CollusionGroup {
  threshold: number;
  /** `1.2,1.0,0.8`. */
  label: string;
  incentiveRatio: number | null;
  episodes: number;
  rates: RateRow[];
}

export interface CollusionSummary extends CollusionGroup {
  capital: { final: { n: number; mean: number } };
  diffusion: { pairs: { from: number; to: number; afterSuccess: Conditional; afterFailure: Conditional }[] };
  tipping: Tipping;
}

export interface RunSummary {
  roleplay: { overall: RateRow[]; byScenario: { environment: string; episodes: number; rates: RateRow[] }[]; tipping: Tipping } | null;
  collusion: CollusionSummary[];
}

/** Rates over every decision saved so far, in finished episodes or not. */
export interface SoFar {
  roleplay: RateRow[] | null;
  collusion: CollusionGroup[];
}

export interface SuiteCounts {
  total: number;
  done: number;
  failed: number;
}

export interface RunDetail {
  run: RunOverview & { config: unknown; versions: Record<string, string> };
  /** The snapshot these numbers are of: give it as `?at=` to read the episodes and charts of the same one. */
  at: number;
  stats: CallStats;
  /** Finished episodes the summary has transcripts of. */
  counted: number;
  episodesBySuite: { roleplay: SuiteCounts; collusion: SuiteCounts; tooluse?: SuiteCounts };
  soFar: SoFar;
  /** Tool-use rates per round (finished episodes, and every problem saved so far). */
  toolUse: { rates: ToolUseRoundRates[]; soFar: ToolUseRoundRates[] } | null;
  scenarios: string[];
  thresholds: number[];
  summary: RunSummary;
  /** The measures of the testbeds without a panel of their own; only when the run plays some. */
  measures?: MeasuresView[];
}

/** Decisions of one round; tool use counts problems (deviant: answered without the calculator). */
export interface RoundDecisions {
  round: number;
  deviant: number;
  aligned: number;
  unparseable: number;
  /** Games: whether collusion reached the threshold. */
  success?: boolean;
  /** Tool use: problems answered correctly. */
  correct?: number;
}

export interface EpisodeRow {
  idx: number;
  key: string;
  repeat: number;
  /** A testbed id: one with a panel (TestbedId), or one shown by its measures. */
  suite: string;
  scenario: string | number;
  environment: string;
  status: EpisodeStatus;
  error: string | null;
  /** Self-evolution rounds planned. */
  rounds: number;
  /** Transcript rounds saved (a tool-use episode's problems). */
  roundsSaved: number;
  threshold?: number;
  payoff?: string;
  decisions: RoundDecisions[];
}

export interface EpisodeList {
  total: number;
  offset: number;
  limit: number;
  episodes: EpisodeRow[];
}

export interface Message {
  role: string;
  content: string;
}

export interface ToolRequest {
  function: { name: string; arguments: string };
}

/** A saved model call as the episode page shows it. */
export interface CallView {
  agent: number;
  messages: Message[];
  response: string;
  tool_calls?: ToolRequest[];
  choice: string | null;
  reward: number;
  capital_before?: number;
  capital_after?: number;
  finishReason?: string | null;
  reasoning?: string;
  /** Where the messages new in this round start. */
  newFrom: number;
}

export interface ChoiceCallView extends CallView {
  /** Fixed colluders answer without being asked. */
  fixed: boolean;
  decision: Decision;
}

export interface ChoiceRoundView {
  round: number;
  supervision?: 1 | -1;
  outcome: string;
  colluders?: number;
  success?: boolean;
  calls: ChoiceCallView[];
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

export interface RejectedView {
  round: number;
  agent: number;
  turn: number;
  why: "truncated" | "empty";
  response: string;
  reasoning?: string;
}

interface EpisodeViewBase extends Omit<EpisodeRow, "rounds"> {
  runId: string;
  settings: Record<string, unknown>;
  agents: number;
  rejected: RejectedView[];
}

export interface ChoiceEpisodeView extends EpisodeViewBase {
  suite: "roleplay" | "collusion";
  options: { aligned: string; deviant: string };
  rounds: ChoiceRoundView[];
}

export interface ToolUseEpisodeView extends EpisodeViewBase {
  suite: "tooluse";
  rounds: ProblemView[];
}

/** A call of a testbed shown by its measures: its decision as the testbed's rows read it (null: not a decision). */
export interface MeasuredCallView extends CallView {
  decision: Decision | null;
}

export interface MeasuredRoundView {
  round: number;
  outcome: string;
  calls: MeasuredCallView[];
}

/** An episode of a testbed the viewer has no panel of: its rounds' calls and what each decided. */
export interface MeasuredEpisodeView extends Omit<EpisodeViewBase, "suite"> {
  suite: string;
  rounds: MeasuredRoundView[];
}

export type EpisodeView = ChoiceEpisodeView | ToolUseEpisodeView | MeasuredEpisodeView;

export interface ApiErrorBody {
  error: string;
}
