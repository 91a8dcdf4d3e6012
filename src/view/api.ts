/**
 * The JSON the viewer's server sends and its client reads: the one contract between the two.
 * Types only, importing nothing, so the browser build can share it without node's modules; the
 * server's functions are declared to return these shapes, so the compiler checks both sides.
 *
 * These are the shapes every testbed shares. A testbed with views of its own adds fields to
 * several of them (its settings, headline numbers, rates so far, summary, episode rows and
 * views), typed in its folder (src/testbeds/NAME/view-api.ts) and read there by its panel.
 */

/** A testbed's fields in one of the objects below: its own section, under the field names it gives. */
export type Fields = Record<string, unknown>;
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

/** The run's settings: each testbed's own section (by the field its view gives), and the shared fields. */
export interface RunSettings {
  [section: string]: unknown;
  /** Testbeds without a panel of their own, shown by their measures; only when the run plays some. */
  measured?: MeasuredTestbed[];
  repeats: number;
  /** Episodes of testbeds the viewer does not show (none: a testbed without a view of its own is shown by its measures). */
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

/** The run's headline numbers: each testbed's own (by the fields its view gives), and their scope. */
export interface Headline {
  [section: string]: unknown;
  /** `finished`: the summary's numbers; `sofar`: every decision saved, while episodes are unfinished. */
  scope: "finished" | "sofar";
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

/** Rates over every decision saved so far, in finished episodes or not: each testbed's own section. */
export type SoFar = Fields;

export interface SuiteCounts {
  total: number;
  done: number;
  failed: number;
}

/** One run: the shared fields, and each testbed's own sections (by the fields its view gives) after `soFar`. */
export interface RunDetail {
  [section: string]: unknown;
  run: RunOverview & { config: unknown; versions: Record<string, string> };
  /** The snapshot these numbers are of: give it as `?at=` to read the episodes and charts of the same one. */
  at: number;
  stats: CallStats;
  /** Finished episodes the summary has transcripts of. */
  counted: number;
  /** Episodes by testbed id and status: of the testbeds the pages always read, and of the others with views the run plays. */
  episodesBySuite: Record<string, SuiteCounts>;
  soFar: SoFar;
  /** The scenario filter's choices. */
  scenarios: string[];
  /** The threshold filter's choices. */
  thresholds: number[];
  /** The run summary: each testbed's section, and the failures. */
  summary: Fields;
  /** The measures of the testbeds without a panel of their own; only when the run plays some. */
  measures?: MeasuresView[];
}

/** Decisions of one round, as the episode list's pills show them; a testbed may count more (in its own fields). */
export interface RoundDecisions {
  round: number;
  deviant: number;
  aligned: number;
  unparseable: number;
}

export interface EpisodeRow {
  idx: number;
  key: string;
  repeat: number;
  /** A testbed id: one with a panel of its own, or one shown by its measures. */
  suite: string;
  scenario: string | number;
  environment: string;
  status: EpisodeStatus;
  error: string | null;
  /** Self-evolution rounds planned. */
  rounds: number;
  /** Transcript rounds saved (a tool-use episode's problems). */
  roundsSaved: number;
  decisions: RoundDecisions[];
  /** The threshold filter's value, for a testbed whose episodes have one. */
  threshold?: number;
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

/** A round of a testbed whose agents pick one of two options; a testbed adds its own fields. */
export interface ChoiceRoundView {
  round: number;
  outcome: string;
  calls: ChoiceCallView[];
}

export interface RejectedView {
  round: number;
  agent: number;
  turn: number;
  why: "truncated" | "empty";
  response: string;
  reasoning?: string;
}

/** What every episode view has. */
export interface EpisodeViewBase extends Omit<EpisodeRow, "rounds"> {
  runId: string;
  settings: Record<string, unknown>;
  agents: number;
  rejected: RejectedView[];
}

/** An episode of a testbed whose agents pick one of two options. */
export interface ChoiceEpisodeView<R extends ChoiceRoundView = ChoiceRoundView> extends EpisodeViewBase {
  options: { aligned: string; deviant: string };
  rounds: R[];
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

/** An episode as its testbed's view shows it: rounds of calls, and the testbed's own fields. */
export interface EpisodeView extends EpisodeViewBase {
  rounds: { round: number; calls: CallView[] }[];
}

export interface ApiErrorBody {
  error: string;
}
