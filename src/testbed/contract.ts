/**
 * What a testbed is to the rest of the code. Each testbed folder under src/testbeds exports one
 * `Testbed`, and src/testbeds/registry.ts lists them; the runner, the store, transcripts and
 * replay reach a testbed only through this contract, never by asking which testbed a plan is.
 */
import type { Agent, AgentCall, Reply } from "../agents/types.js";
import type { PairItem, PairItemOptions } from "../align/types.js";
import { hashSeed } from "../core/rng.js";
import type { Message, Parity, ToolCall } from "../core/types.js";
import type { FailedCall } from "../metrics/rates.js";
import type { TestbedReport } from "../report/sections.js";
import type { DatasetKind } from "../scenarios/load.js";
import type { Dataset } from "../scenarios/types.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";
import type { TestbedView } from "../view/sections.js";
import type { TestbedSettings } from "./settings.js";

/** One planned episode: its place in the grid (a stable key and a repeat), its scenario and settings. */
export interface PlanOf<Id extends string, Scenario extends { id: string | number; environment: string }, Settings> {
  suite: Id;
  key: string;
  repeat: number;
  scenario: Scenario;
  settings: Settings;
}

/** A call the engine needs answered now, and its place in the round. */
export interface Request {
  call: AgentCall;
  /** The call's position among the agent's calls of this round, from 0 (a tool loop asks one agent several times). */
  turn: number;
}

/** What the engine takes back of a reply: the text (as the history carries it) and any tool calls. */
export interface Answer {
  text: string;
  toolCalls?: ToolCall[];
}

/**
 * One episode as a pure state machine: it says which calls it needs now and takes their
 * answers. Simultaneous agents ask several calls at once, one speaker one, a tool loop one after
 * another until the round is scored. Given the same plan, seed and answers it gives the same
 * requests and rounds, byte for byte, so a resume replays saved answers through it.
 */
export interface Engine {
  readonly done: boolean;
  /** The transcript round played next. */
  readonly round: number;
  /** The calls to answer before the engine can go on; never empty while not done. */
  pending(): Request[];
  /** The answers to the pending calls, in their order: the finished round, or null when it needs more calls. */
  submit(answers: Answer[]): TranscriptRound | null;
}

/** What rebuilding plans from a transcript may look in: the given scenario files and the replay's parity. */
export interface ReplanContext {
  datasets: Dataset[];
  parity: Parity;
  /** The transcript file, for messages. */
  file: string;
  /** Where scenarios are looked up, for messages: the scenario files, or the built-in packs. */
  source: string;
}

/** What planning a run gives a testbed besides its settings. */
export interface PlanContext {
  /** The run's scenario files (a testbed plays those of its `datasetKinds`, or its built-in pack). */
  datasets: Dataset[];
  parity: Parity;
  /** Episodes are played this many times, each with its own seeds. */
  repeats: number;
}

/** A testbed's built-in scenarios, as `atp list` shows them. */
export interface Pack {
  name: string;
  size: string;
  contents: string;
}

export interface Testbed<P extends PlanOf<string, { id: string | number; environment: string }, unknown>, C extends object = object> {
  /** The name in `atp run NAME`, in transcripts' `suite` and in the store. */
  readonly id: P["suite"];
  /** The name in sentences, e.g. "role-play". */
  readonly title: string;
  /** What an episode is, in a line (`atp list`). */
  readonly about?: string;
  /** Its run settings: the run file's section, the flags and their defaults derive from them. */
  readonly settings: TestbedSettings<C>;
  /** The run's episodes, in a stable order: keys and repeats name their place in the grid. */
  plan(settings: C, context: PlanContext): P[];
  /** The scenarios it plays without a scenario file, under these settings. */
  pack?(settings: C): Pack;
  /** What a dry run says the episodes will ask, e.g. "6 rounds, 6 calls" (the default counts rounds and calls). */
  workSummary?(plans: P[]): string;
  /** The kinds of scenario file it plays (src/scenarios/load.ts tells them apart). */
  readonly datasetKinds: readonly DatasetKind[];
  engine(plan: P, runSeed: number): Engine;
  /** How many transcript rounds an episode plays. */
  transcriptRounds(plan: P): number;
  /** The calls one round makes when they are known in advance; null when a round asks until it is done. */
  callsPerRound(plan: P): number | null;
  /** Where a call of transcript round `round` sits, in a user's words, for messages (e.g. "round 2 agent 0"). */
  describeCall(round: number, request: Request): string;
  /** The episode's settings as its transcript records them. */
  settingsRecord(plan: P): object;
  /**
   * The episode's decisions, one row per agent slot that decides and per decision, in round
   * order; planned decisions the transcript lacks (a call failed) are failed rows.
   */
  decisions(plan: P, transcript: TranscriptEpisode): DecisionRow[];
  /** The rates it reports, the first being its headline. */
  readonly measures: readonly Measure[];
  /**
   * Its tables, charts and files in the report, and its table in `atp run`'s output. Without
   * them a testbed is shown by its measures' rates per round.
   */
  readonly report?: TestbedReport<P>;
  /**
   * Its section of the run summary (src/metrics/run-summary.ts), which its report and the viewer
   * read; without it the summary holds its measures' rates per round.
   */
  readonly summary?: SummarySection<P>;
  /** Set when the run's parity does not apply to it (tool use is not in the reference code), so `atp run` names no parity for it alone. */
  readonly withoutParity?: boolean;
  /** Its fields of the viewer's JSON and its charts; without them the viewer shows it by its measures. */
  readonly view?: TestbedView<P>;
  /** Rebuilds a recorded episode's plan; called once per transcript, the returned function once per episode. */
  replanner(context: ReplanContext): (episode: TranscriptEpisode, where: string) => P;
  /** Preference pairs and the choice reward (src/align); absent when the testbed has no two-option choice to train. */
  readonly pairs?: PairSource;
  /** What simulated models (`policy:` model strings) need of it; without this they play its two-option calls only. */
  readonly policies?: TestbedPolicies;
  /** Set when a round asks one agent again and again, offering tools, until it is done. */
  readonly toolLoop?: ToolLoop;
  /** Whether each transcript round carries a `detail` object (tool use: the scored problem), which reading requires and comparing compares. */
  readonly roundDetail?: boolean;
  /** Its settings record as a transcript line spells it, when JSON.stringify cannot (collusion: payoffs as Python writes them). */
  settingsText?(record: object): string;
  /**
   * Reads back from a transcript line's text what JSON.parse loses of the settings (what
   * `settingsText` spelled), into the parsed record; a bad field is an InputError naming `where`.
   */
  readSettingsText?(line: string, record: object, where: string): void;
}

/** An episode as the summary reads it: its plan and what its transcript holds (no rounds when it did not play). */
export interface EpisodeOf<P> {
  plan: P;
  transcript: TranscriptEpisode;
}

/** What a summary section is computed with besides the episodes. */
export interface SectionOptions {
  /** Every failed call of the run; a section keeps those of its episodes. */
  failed: readonly FailedCall[];
  /** Normal quantile of the intervals. */
  z: number;
}

/** A testbed's own section of the run summary. */
export interface SummarySection<P, S = unknown> {
  /**
   * The section over the run's episodes of the testbed, in plan order, planned ones that did not
   * finish included without rounds (their decisions count as missing). Asked for every run, with
   * no episodes when the run does not play the testbed, so the summary has one shape.
   */
  of(episodes: readonly EpisodeOf<P>[], options: SectionOptions): S;
  /**
   * Whether the summary's record (report.json's and the viewer's `summary`) lays the section out
   * under the testbed's id; a testbed whose report puts its numbers in fields of its own leaves it out.
   */
  readonly recorded?: boolean;
}

/**
 * What the alignment stage needs of a testbed whose agent picks one of two options: training
 * items steered toward each option, the prompt they are sampled from, and how to read and name
 * the option an answer took.
 */
export interface PairSource {
  /**
   * The training items of the given scenario files, or of the built-in pack when none is given;
   * an InputError names a file of a kind the testbed cannot make items from.
   */
  items(datasets: readonly Dataset[], options: PairItemOptions): PairItem[];
  /**
   * The prompt an item is sampled from before any steering, which is also the GRPO prompt.
   * `where` names the prompt in errors.
   */
  generationPrompt(prompt: readonly Message[], parity: Parity, where: string): Message[];
  /** Reads the option an answer chose with the testbed's own parser of `parity`; null when none is read. */
  readChoice(parity: Parity, completion: string, aligned: string, deviant: string): string | null;
  /** What a parsed answer is called in reports: the aligned option ("compliant"), the deviant one ("violating"). */
  readonly choiceNames: Readonly<Record<"aligned" | "deviant", string>>;
  /** The item options the testbed reads, with their defaults (the defaults of their flags). */
  readonly itemDefaults: Readonly<Partial<Omit<PairItemOptions, "parity">>>;
  /** What the built-in pack makes without --dataset, in the help's words ("role-play: 10 reward variants per scenario"). */
  readonly builtInItems: string;
  /** The paper's GRPO learning rate for the testbed's prompts. */
  readonly grpoLearningRate: number;
}

/** What simulated models need of a testbed, so one `policy:` model string runs every testbed. */
export interface TestbedPolicies {
  /**
   * What the choice policies (fixed, learner, imitator) say before their choice, by side: short
   * sentences in the testbed's words. None may mention an option or the word "choice", so an
   * answer without its JSON line is truly unparseable. Without them a generic set is used.
   */
  readonly sentences?: Readonly<Record<"aligned" | "deviant", readonly string[]>>;
  /** How a choice policy answers the testbed's calls that carry no two options (tool use: whether to use the calculator). */
  play?(habit: PolicyHabit): (call: AgentCall) => Reply;
  /** Simulated models of its own (`policy:NAME`), listed after the choice policies. */
  readonly own?: readonly OwnPolicy[];
}

/**
 * What a testbed without two options takes over of a choice policy into its own simulated
 * agent: the probability of deviating before any feedback and the step size of the in-context
 * update, each only when the model string gives it (`fixed`: its `p`, and 0, as it never
 * learns). Noise and the imitator's weights do not apply.
 */
export interface PolicyHabit {
  prior?: number;
  lr?: number;
}

/** A testbed's own simulated model, `policy:NAME?params`. */
export interface OwnPolicy {
  readonly name: string;
  /** What it does, for `atp list`. */
  readonly about: string;
  /** Its parameters and their defaults. */
  readonly params: Readonly<Record<string, number>>;
  create(params: Record<string, string>, specText: string): Agent;
}

/**
 * A testbed whose transcript round is a loop of calls to one agent (tool use: a problem, with
 * calculator requests until the answer). Its transcripts may hold tool turns and tool calls, and
 * replays and comparisons find a call by its turn within the round rather than by its agent.
 */
export interface ToolLoop {
  /** What a transcript round is called in messages ("problem"). */
  readonly roundName: string;
  /** The transcript round a call belongs to, and its turn there, from 0. */
  place(call: AgentCall): { round: number; turn: number };
}

/**
 * One decision of one agent slot: the tidy row every metric, table and comparison reads. A
 * testbed turns a played episode into its rows; the metrics never look inside a transcript.
 */
export interface DecisionRow {
  /** The episode's plan key and repeat: with round, agent and item, what pairs a decision across runs. */
  key: string;
  repeat: number;
  /** The scenario's name ("delivery worker", "PublicFund"), shared by its variants. */
  environment: string;
  /** The round the tables show, from 1 (tool use: the self-evolution round). */
  round: number;
  /** The agent slot. */
  agent: number;
  /** The decision's place among the slot's decisions of the round, from 0 (tool use: the problem). */
  item: number;
  /** The model that answered, when the store recorded it; null otherwise. */
  model: string | null;
  /** The episode's grid axes (threshold, payoff set, problem kind, ...), the groups measures are reported by. */
  axes: Readonly<Record<string, string | number>>;
  /**
   * `made`: an answer was read; `unparseable`: the answer could not be read (it stays in the
   * denominators as not deviating, the paper's convention); `failed`: the call failed, so there is
   * no decision (left out of the denominators and counted apart).
   */
  status: "made" | "unparseable" | "failed";
  /** The option taken or answer given; null unless made. */
  outcome: string | null;
  /** Whether the decision broke the rule or took the deviant option; false unless made. */
  deviant: boolean;
  /** The reward the decision earned; null when it has none (failed). */
  reward: number | null;
  /** Testbed-specific values (capital after the round, tool used, correct, ...). */
  values: Readonly<Record<string, number | boolean | string | null>>;
}

/** A rate a testbed reports per round: the share of its rows that are hits, grouped by some axes. */
export interface Measure {
  /** A stable name: `violation`, `collusion`, `tool-use`, `hard-accuracy`. */
  id: string;
  /** In sentences and table headings: "violation rate". */
  title: string;
  /** The axes the measure is reported by, in order (none: one group). */
  by: readonly string[];
  /**
   * Whether a row counts as a hit; null leaves it out (e.g. easy problems from hard accuracy).
   * Failed rows are asked too, only to learn whether the measure would have counted them: decide
   * null from the axes, not from the outcome.
   */
  hit(row: DecisionRow): boolean | null;
  /**
   * The fields that name one group of the measure in JSON outputs, when not `{ measure, axes }`:
   * the paper's testbeds keep the columns their comparisons have always had.
   */
  groupFields?(axes: Readonly<Record<string, string | number>>): Record<string, unknown>;
  /** A group's Markdown heading over `episodes` paired episodes, when not "Title: measure title, axis = value (n paired episodes)". */
  groupHeading?(axes: Readonly<Record<string, string | number>>, episodes: number): string;
}

/** The seed of a call asked once per round and agent: a pure function of where it sits in the run. */
export function callSeed(runSeed: number, episode: string, repeat: number, round: number, agent: number): number {
  return hashSeed(runSeed, episode, repeat, round, agent);
}
