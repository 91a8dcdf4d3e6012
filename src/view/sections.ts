/**
 * What a testbed gives the viewer's server: its fields of the JSON the page reads (settings,
 * headline numbers, rates so far, episode views) and its charts. Each testbed's folder builds
 * its own from these types; src/view/data.ts puts the registered testbeds' fields in order. A
 * testbed without a view is shown by its measures (src/view/measures.ts).
 *
 * Types only: `atp run` loads every testbed, and should not load the viewer or the charts with
 * them, so the chart builders and the request's helpers are handed in.
 */
import type { TopLevelSpec } from "vega-lite";
import type { TippingSeries } from "../report/charts.js";
import type { ChartSpecs } from "../report/sections.js";
import type { LoadedRun } from "../report/load.js";
import type { TranscriptCall, TranscriptRound } from "../transcript/types.js";
import type { CallView, EpisodeView, RoundDecisions } from "./api.js";
import type { RunSnapshot } from "./data.js";

/** JSON fields a testbed adds to an object of the API, in its order. */
export type Fields = Record<string, unknown>;

/** What a chart's request gives and how it is refused, for a testbed's chart builders. */
export interface ChartRequest {
  query: URLSearchParams;
  specs: ChartSpecs;
  /** Refuses (400) a parameter not in `allowed`. */
  params(allowed: string[]): void;
  /** `?scope=sofar` draws every decision saved so far; the default draws the finished episodes. */
  scope(): "finished" | "sofar";
  /** An integer parameter from `min`; a 400 names a bad one. */
  int(name: string, min: number): number;
  notFound(message: string): Error;
  badRequest(message: string): Error;
  /** The episode with this key and repeat among those whose scenarios the run lists, with its testbed's title; a 404 when none. */
  listed(key: string, repeat: number): { idx: number; plan: RunSnapshot["plans"][number]; title: string };
}

export type ChartBuilder = (s: RunSnapshot, request: ChartRequest) => TopLevelSpec;

/** One saved episode as the episode page reads it. */
export interface SavedEpisode<P> {
  plan: P;
  /** Its saved rounds with their full messages and answers. */
  rounds: TranscriptRound[];
  /** A call as the page shows it: the call, its extras from the store under `key` (round/agent/turn), `fields`, and where its new messages start. */
  call(c: TranscriptCall, key: string, fields?: Fields): CallView;
}

/** What the viewer shows of a testbed with views of its own; every field is the testbed's. */
export interface TestbedView<P> {
  /** Read once per snapshot, for the other hooks (`RunSnapshot.parts`): tool use's rates. */
  load?(s: Pick<RunSnapshot, "run" | "plans" | "states" | "rounds">, loaded: LoadedRun): unknown;
  /** Its fields of the run's settings, given its plans (none when the run does not play it). */
  settings(mine: P[]): Fields;
  /** Its fields of the run's headline numbers: of the summary, or of every decision saved so far while episodes are `unfinished`. */
  headline(s: RunSnapshot, unfinished: boolean): Fields;
  /** Its fields of the rates over every decision saved so far. */
  soFar?(s: RunSnapshot): Fields;
  /** Its fields of the run's detail, after the rates so far. */
  detail?(s: RunSnapshot): Fields;
  /** Its fields of the run summary for the page, over the summary's own. */
  summary?(summary: RunSnapshot["summary"]): Fields;
  /** Whether its episode counts are in the run's detail even when the run does not play it (the paper's testbeds, as pages always read them). */
  readonly alwaysCounted?: boolean;
  /** Whether its scenarios are the episode list's scenario filter. */
  readonly listsScenarios?: boolean;
  /** The thresholds of its plans, the episode list's threshold filter. */
  thresholds?(mine: P[]): number[];
  /** An episode's decisions per round, of its saved rounds. */
  decisions(plan: P, rounds: TranscriptRound[]): RoundDecisions[];
  /** Its fields of an episode's row in the list (threshold, payoff set). */
  row?(plan: P): Fields;
  /** Its fields of an episode's page after the settings: `agents` and `rounds`, and what else it shows. */
  episode(e: SavedEpisode<P>): Pick<EpisodeView, "agents" | "rounds"> & Fields;
  /** Its charts by name: `main` before the shared tipping chart, `afterTipping` after it (the order the charts are listed in). */
  readonly charts?: { main?: Record<string, ChartBuilder>; afterTipping?: Record<string, ChartBuilder> };
  /** Its series of the shared tipping chart. */
  tipping?(s: RunSnapshot): TippingSeries[];
}
