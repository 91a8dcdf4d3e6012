/**
 * What a testbed is to the rest of the code. Each testbed folder under src/testbeds exports one
 * `Testbed`, and src/testbeds/registry.ts lists them; the runner, the store, transcripts and
 * replay reach a testbed only through this contract, never by asking which testbed a plan is.
 */
import type { AgentCall } from "../agents/types.js";
import { hashSeed } from "../core/rng.js";
import type { Parity, ToolCall } from "../core/types.js";
import type { TestbedReport } from "../report/sections.js";
import type { DatasetKind } from "../scenarios/load.js";
import type { Dataset } from "../scenarios/types.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";

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

export interface Testbed<P extends PlanOf<string, { id: string | number; environment: string }, unknown>> {
  /** The name in `atp run NAME`, in transcripts' `suite` and in the store. */
  readonly id: P["suite"];
  /** The name in sentences, e.g. "role-play". */
  readonly title: string;
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
  /** The episode's decisions, one row per agent slot that decides and per decision, failed ones included. */
  decisions?(plan: P, transcript: TranscriptEpisode): DecisionRow[];
  /** The rates it reports, the first being its headline. */
  readonly measures?: readonly Measure[];
  /**
   * Its tables, charts and files in the report, and its table in `atp run`'s output. Without
   * them a testbed that declares measures and decisions is shown by its measures' rates per round.
   */
  readonly report?: TestbedReport<P>;
  /** Rebuilds a recorded episode's plan; called once per transcript, the returned function once per episode. */
  replanner(context: ReplanContext): (episode: TranscriptEpisode, where: string) => P;
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
}

/** The seed of a call asked once per round and agent: a pure function of where it sits in the run. */
export function callSeed(runSeed: number, episode: string, repeat: number, round: number, agent: number): number {
  return hashSeed(runSeed, episode, repeat, round, agent);
}
