/**
 * What the viewer shows, read from a run store: run overviews with headline numbers, the run
 * summary, episode lists with filters, episode transcripts and chart specs.
 *
 * A run is read in one snapshot (one read transaction), so a run that is still writing is seen
 * between two rounds, never inside one. The numbers are loadRun()'s, the same as the report's:
 * finished episodes, with every planned decision not made (an episode failed or still playing)
 * counted as missing. While episodes are still playing, `soFar` gives the rates over every
 * decision saved until now, which is what shows a running run drifting.
 *
 * Rounds are 1-based everywhere in this API, like the tables. What is particular to a testbed
 * (its settings, headline numbers, rates so far, episode rows and views, charts) is its view's
 * (TestbedView, src/view/sections.ts), put in the registry's order here; a testbed without a
 * view is shown by its measures (src/view/measures.ts).
 */
import type { TopLevelSpec } from "vega-lite";
import type { Decision } from "../metrics/rates.js";
import { summaryRecord, type RunSummary } from "../metrics/run-summary.js";
import * as specs from "../report/charts.js";
import { summarizeStored } from "../report/load.js";
import { findTestbed, registeredTestbeds, transcriptRounds, type RunPlan } from "../testbeds/registry.js";
import type { CallStats, EpisodeState, RunRecord, RunStore } from "../store/store.js";
import { toTranscript } from "../transcript/episode.js";
import { settingsRecord } from "../transcript/settings.js";
import type { TranscriptCall, TranscriptRound } from "../transcript/types.js";
import type { Testbed } from "../testbed/contract.js";
import { callDecisions, measuredDecisions, measuredTestbeds, measuresChartSpec, measuresViews, shownByMeasures } from "./measures.js";
import type { CallView, EpisodeList, EpisodeRow, EpisodeView, Headline, MeasuredEpisodeView, MeasuresView, RoundDecisions, RunDetail, RunOverview, RunSettings, SoFar } from "./api.js";
import type { ChartBuilder, ChartRequest, Fields, TestbedView } from "./sections.js";

/** An error the server answers with its HTTP status: 400 for a bad parameter, 404 for an unknown thing. */
export class ViewError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = "ViewError";
  }
}

const notFound = (message: string) => new ViewError(404, message);
const badRequest = (message: string) => new ViewError(400, message);

// ---------------------------------------------------------------- snapshot

/** A registered testbed with views of its own, and its view. */
interface Viewed {
  testbed: Testbed<RunPlan>;
  view: TestbedView<RunPlan>;
}

/** The registered testbeds with views of their own, in the registry's order: the order their fields are in. */
function viewed(): Viewed[] {
  return registeredTestbeds().flatMap((testbed) => (testbed.view ? [{ testbed, view: testbed.view }] : []));
}

/** The view of a plan's testbed, if it has one. */
const viewOf = (plan: RunPlan): TestbedView<RunPlan> | undefined => findTestbed(plan.suite)?.view;

/** Whether the run's scenario list and traces take the plan's episodes (see TestbedView.listsScenarios). */
const listed = (plan: RunPlan): boolean => Boolean(viewOf(plan)?.listsScenarios);

/** One run as read at one moment, with the lean rounds of every episode. */
export interface RunSnapshot {
  run: RunRecord;
  /** Every planned episode, in plan order (indexes match `states`). */
  plans: RunPlan[];
  states: EpisodeState[];
  /**
   * Saved rounds per episode index, all episodes (playing ones too). Lean: the calls carry the
   * choice, reward and capital but no messages or answer text, which lists and traces never read.
   */
  rounds: Map<number, TranscriptRound[]>;
  /** Episodes the summary has transcripts of (the done ones). */
  counted: number;
  summary: RunSummary;
  /** Rates over every decision saved so far (see soFar). */
  soFar: SoFar;
  /** What each testbed's view read of the snapshot (TestbedView.load), by testbed id. */
  parts: Map<string, unknown>;
  stats: CallStats;
}

/** A cheap fingerprint of a run's progress: it changes whenever a round, an episode or the run status is saved. */
export function runSignature(run: RunRecord, states: EpisodeState[]): string {
  const byStatus = new Map<string, number>();
  for (const e of states) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  const counts = [...byStatus].sort(([a], [b]) => (a < b ? -1 : 1)).map(([status, n]) => `${status}:${n}`);
  return `${run.updatedAt}|${run.status}|${counts.join(",")}|${states.reduce((n, e) => n + e.roundsSaved, 0)}`;
}

/**
 * Reads the rest of a run whose record and episode states were just read, and summarizes it as
 * the report does. Call it inside the read transaction that read those: every table is read
 * once, and the calls without their messages.
 */
export function loadSnapshot(store: RunStore, run: RunRecord, states: EpisodeState[]): RunSnapshot {
  const plans = store.loadRunPlans(run.id);
  const rounds = store.leanRounds(run.id);
  const finished = plans.flatMap((plan, idx) => (states[idx].status === "done" ? [toTranscript(plan, rounds.get(idx) ?? [])] : []));
  const loaded = summarizeStored(run, plans, states, finished, store.callStats(run.id));
  const parts = new Map<string, unknown>();
  for (const { testbed, view } of viewed()) if (view.load) parts.set(testbed.id, view.load({ run, plans, states, rounds }, loaded));
  const snapshot: RunSnapshot = {
    run,
    plans,
    states,
    rounds,
    counted: loaded.testbeds.reduce((n, t) => n + t.played.length, 0),
    summary: loaded.summary,
    soFar: {},
    parts,
    stats: loaded.stats,
  };
  snapshot.soFar = soFar(snapshot);
  return snapshot;
}

// ---------------------------------------------------------------- runs

const distinct = <T>(values: T[]): T[] => [...new Set(values)];

/** The plans of a testbed. */
const plansOf = (plans: RunPlan[], id: string) => plans.filter((p) => p.suite === id);

/** Every viewed testbed's fields of one part of the JSON, in the registry's order. */
const fieldsOf = (of: (v: Viewed) => Fields | undefined): Fields => Object.assign({}, ...viewed().map(of));

function settingsOf(plans: RunPlan[]): RunSettings {
  const measured = measuredTestbeds(plans);
  return {
    ...fieldsOf(({ testbed, view }) => view.settings(plansOf(plans, testbed.id))),
    ...(measured.length ? { measured } : {}),
    repeats: Math.max(0, ...plans.map((p) => p.repeat + 1)),
    otherEpisodes: 0,
  } as RunSettings;
}

function headlineOf(s: RunSnapshot): Headline {
  const unfinished = s.states.some((e) => e.status !== "done" && e.status !== "failed");
  return { scope: unfinished ? "sofar" : "finished", ...fieldsOf(({ view }) => view.headline(s, unfinished)) } as Headline;
}

export function runOverview(s: RunSnapshot): RunOverview {
  const { run } = s;
  const count = (status: string) => s.states.filter((e) => e.status === status).length;
  return {
    id: run.id,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
    status: run.status,
    suite: run.suite,
    model: run.model,
    seed: run.seed,
    parity: run.parity,
    settings: settingsOf(s.plans),
    episodes: {
      total: s.plans.length,
      done: count("done"),
      failed: count("failed"),
      running: count("running"),
      pending: count("pending"),
      roundsSaved: s.states.reduce((n, e) => n + e.roundsSaved, 0),
      // Transcript rounds: a tool-use episode's are its problems.
      roundsPlanned: s.plans.reduce((n, p) => n + transcriptRounds(p), 0),
    },
    headline: headlineOf(s),
  };
}

/** The run summary for the page: summarize()'s numbers, with each testbed's fields as its view gives them (without per-trajectory lists). */
export function summaryJson(summary: RunSummary) {
  return { ...summaryRecord(summary), ...fieldsOf(({ view }) => view.summary?.(summary)) };
}

/** Rates over every decision saved so far, each testbed's as its view reads them. */
export function soFar(s: RunSnapshot): SoFar {
  return fieldsOf(({ view }) => view.soFar?.(s));
}

/** Episodes of the viewed testbeds by status: of those the pages always read, and of the others the run plays. */
function bySuite(s: RunSnapshot): RunDetail["episodesBySuite"] {
  return fieldsOf(({ testbed, view }) => {
    const idx = s.plans.flatMap((p, i) => (p.suite === testbed.id ? [i] : []));
    if (!idx.length && !view.alwaysCounted) return {};
    const of = (status: string) => idx.filter((i) => s.states[i].status === status).length;
    return { [testbed.id]: { total: idx.length, done: of("done"), failed: of("failed") } };
  }) as RunDetail["episodesBySuite"];
}

/** `at`: the snapshot's number in the server's cache (see RunDetail). */
export function runDetail(s: RunSnapshot, at: number): RunDetail {
  return {
    run: { ...runOverview(s), config: s.run.config, versions: s.run.versions },
    at,
    stats: s.stats,
    /** Finished episodes the summary has transcripts of. */
    counted: s.counted,
    episodesBySuite: bySuite(s),
    /** Rates over every decision saved so far; differs from the summary while episodes are unfinished. */
    soFar: s.soFar,
    ...fieldsOf(({ view }) => view.detail?.(s)),
    scenarios: distinct(s.plans.filter(listed).map((p) => p.scenario.environment)),
    thresholds: distinct(viewed().flatMap(({ testbed, view }) => view.thresholds?.(plansOf(s.plans, testbed.id)) ?? [])).sort((a, b) => a - b),
    summary: summaryJson(s.summary),
    ...measuresOf(s),
  } as RunDetail;
}

/** The measures of the testbeds shown by them, only when the run plays some, so other runs read as before. */
function measuresOf(s: RunSnapshot): { measures?: MeasuresView[] } {
  const measures = measuresViews(s);
  return measures.length ? { measures } : {};
}

// ---------------------------------------------------------------- episodes

const CHOICES = ["deviant", "aligned", "unparseable"] as const;
const STATUSES = ["pending", "running", "done", "failed"] as const;

export interface EpisodeFilter {
  /** A registered testbed's id. */
  suite?: string;
  /** A scenario name (environment) or scenario id. */
  scenario?: string;
  threshold?: number;
  /** With `choice`: the decision was made in this round; alone: the episode reached it. */
  round?: number;
  choice?: Decision;
  status?: EpisodeState["status"];
  offset?: number;
  limit?: number;
}

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 2000;

function intParam(name: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value)) throw badRequest(`${name}: expected an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw badRequest(`${name}: expected an integer from ${min} to ${max}, got ${value}`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw badRequest(`${name}: expected one of ${allowed.join(", ")}, got '${value}'`);
  return value as T;
}

/** Reads the episode filters from a query string; unknown names and bad values are 400s. */
export function parseEpisodeFilter(query: URLSearchParams): EpisodeFilter {
  const filter: EpisodeFilter = {};
  for (const [name, value] of query) {
    // An empty value is an unset filter, as a form with a blank select sends it.
    if (value === "") continue;
    switch (name) {
      case "suite":
        filter.suite = oneOf(name, value, registeredTestbeds().map((t) => t.id));
        break;
      case "scenario":
        filter.scenario = value;
        break;
      case "threshold":
        filter.threshold = intParam(name, value, 0);
        break;
      case "round":
        filter.round = intParam(name, value, 1);
        break;
      case "choice":
        filter.choice = oneOf(name, value, CHOICES);
        break;
      case "status":
        filter.status = oneOf(name, value, STATUSES);
        break;
      case "offset":
        filter.offset = intParam(name, value, 0);
        break;
      case "limit":
        filter.limit = intParam(name, value, 1, MAX_LIMIT);
        break;
      default:
        throw badRequest(`unknown parameter '${name}' (known: suite, scenario, threshold, round, choice, status, offset, limit)`);
    }
  }
  return filter;
}

function decisionsOf(plan: RunPlan, rounds: TranscriptRound[]): RoundDecisions[] {
  const testbed = findTestbed(plan.suite);
  if (testbed?.view) return testbed.view.decisions(plan, rounds);
  if (testbed && shownByMeasures(testbed)) return measuredDecisions(testbed, plan, rounds);
  // A testbed with neither its own view nor measures has no decisions the page can read.
  return [];
}

function episodeRow(s: RunSnapshot, idx: number): EpisodeRow {
  const plan = s.plans[idx];
  const state = s.states[idx];
  const rounds = s.rounds.get(idx) ?? [];
  return {
    idx,
    key: plan.key,
    repeat: plan.repeat,
    suite: plan.suite,
    scenario: plan.scenario.id,
    environment: plan.scenario.environment,
    status: state.status,
    error: state.error,
    // Self-evolution rounds (the pills); roundsSaved counts transcript rounds, a tool-use episode's problems.
    rounds: plan.settings.rounds,
    roundsSaved: rounds.length,
    decisions: decisionsOf(plan, rounds),
    ...viewOf(plan)?.row?.(plan),
  };
}

function matches(row: EpisodeRow, f: EpisodeFilter): boolean {
  if (f.suite !== undefined && row.suite !== f.suite) return false;
  if (f.scenario !== undefined && row.environment !== f.scenario && String(row.scenario) !== f.scenario) return false;
  if (f.threshold !== undefined && row.threshold !== f.threshold) return false;
  if (f.status !== undefined && row.status !== f.status) return false;
  const rounds = f.round === undefined ? row.decisions : row.decisions.filter((d) => d.round === f.round);
  if (f.round !== undefined && rounds.length === 0) return false;
  if (f.choice !== undefined && !rounds.some((d) => d[f.choice!] > 0)) return false;
  return true;
}

export function episodeList(s: RunSnapshot, filter: EpisodeFilter): EpisodeList {
  const all = s.plans.map((_, idx) => episodeRow(s, idx)).filter((row) => matches(row, filter));
  const offset = filter.offset ?? 0;
  const limit = filter.limit ?? DEFAULT_LIMIT;
  return { total: all.length, offset, limit, episodes: all.slice(offset, offset + limit) };
}

/** Where the messages new in this round start: after the agent's last answer, or after the system prompt. */
export function newMessagesFrom(messages: TranscriptCall["messages"]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === "assistant") return i + 1;
  let i = 0;
  while (i < messages.length && messages[i].role === "system") i++;
  return i;
}

/** One episode's saved rounds with their full messages and answers, and what each answer meant. */
export function episodeView(store: RunStore, s: RunSnapshot, idx: number): EpisodeView {
  const plan = s.plans[idx];
  if (plan === undefined) throw notFound(`run '${s.run.id}' has no episode ${idx}`);
  const testbed = findTestbed(plan.suite);
  if (testbed?.view) {
    const extras = store.callExtras(s.run.id, idx);
    const call = (c: TranscriptCall, key: string, fields: Fields = {}): CallView => ({ ...c, ...extras.get(key), ...fields, newFrom: newMessagesFrom(c.messages) }) as CallView;
    return {
      ...episodeRow(s, idx),
      runId: s.run.id,
      settings: { ...settingsRecord(plan) },
      ...testbed.view.episode({ plan, rounds: store.savedRounds(s.run.id, idx), call }),
      rejected: store.rejectedAnswers(s.run.id, idx),
    };
  }
  if (testbed && shownByMeasures(testbed)) return measuredEpisodeView(store, s, idx, testbed);
  throw notFound(`run '${s.run.id}': episode ${idx} is of testbed '${plan.suite}', which has no view or measures to show`);
}

/**
 * An episode of a testbed shown by its measures: its saved rounds' calls, each with what its
 * decision row says it decided, matched by round (from 1) and agent; a call no row matches
 * decided nothing the measures count.
 */
function measuredEpisodeView(store: RunStore, s: RunSnapshot, idx: number, testbed: Testbed<RunPlan>): MeasuredEpisodeView {
  const plan = s.plans[idx];
  const saved = store.savedRounds(s.run.id, idx);
  const extras = store.callExtras(s.run.id, idx);
  const decided = callDecisions(testbed, plan, saved);
  return {
    ...episodeRow(s, idx),
    runId: s.run.id,
    settings: { ...settingsRecord(plan) },
    agents: Math.max(1, ...saved.flatMap((round) => round.calls.map((c) => c.agent + 1))),
    rounds: saved.map((round, i) => ({
      round: i + 1,
      outcome: round.outcome,
      calls: round.calls.map((c) => ({ ...c, ...extras.get(`${round.round}/${c.agent}/0`), decision: decided.get(`${i + 1}/${c.agent}`) ?? null, newFrom: newMessagesFrom(c.messages) })),
    })),
    rejected: store.rejectedAnswers(s.run.id, idx),
  };
}

// ---------------------------------------------------------------- charts

/** The charts of the viewed testbeds by name, in the order they are listed: theirs before the tipping chart, `tipping`, theirs after it. */
function charts(): Map<string, ChartBuilder> {
  const placed = (place: "main" | "afterTipping") => viewed().flatMap(({ view }) => Object.entries(view.charts?.[place] ?? {}));
  return new Map([...placed("main"), ["tipping", tippingSpec], ...placed("afterTipping")]);
}

/** The names of the charts of every run (besides `measures-ID` of a testbed shown by its measures). */
export const chartNames = (): string[] => [...charts().keys()];

/** The tipping chart: each viewed testbed's series of the share of trajectories tipped by each round. */
function tippingSpec(s: RunSnapshot, q: ChartRequest): TopLevelSpec {
  q.params([]);
  return q.specs.tippingChart(viewed().flatMap(({ view }) => view.tipping?.(s) ?? []));
}

function checkParams(query: URLSearchParams, allowed: string[]): void {
  for (const name of query.keys()) if (!allowed.includes(name)) throw badRequest(`unknown parameter '${name}'${allowed.length ? ` (known: ${allowed.join(", ")})` : ""}`);
}

/** `?scope=sofar` draws every decision saved so far; the default draws the finished episodes. */
function scopeOf(query: URLSearchParams): "finished" | "sofar" {
  const scope = query.get("scope");
  if (scope === null || scope === "" || scope === "finished") return "finished";
  if (scope === "sofar") return "sofar";
  throw badRequest(`scope: expected finished or sofar, got '${scope}'`);
}

function chartRequest(s: RunSnapshot, query: URLSearchParams): ChartRequest {
  return {
    query,
    specs,
    params: (allowed) => checkParams(query, allowed),
    scope: () => scopeOf(query),
    int: (name, min) => intParam(name, query.get(name) ?? "", min),
    notFound,
    badRequest,
    listed(key, repeat) {
      const idx = s.plans.findIndex((p) => listed(p) && p.key === key && p.repeat === repeat);
      if (idx < 0) throw notFound(`run '${s.run.id}' has no episode '${key}' (repeat ${repeat})`);
      const plan = s.plans[idx];
      return { idx, plan, title: findTestbed(plan.suite)!.title };
    },
  };
}

/**
 * The spec of one chart of a run. Charts come from numbers and scenario names only, never from
 * model text; vega escapes the text it writes into the SVG.
 */
export function chartSpec(s: RunSnapshot, name: string, query: URLSearchParams): TopLevelSpec {
  const all = charts();
  const chart = all.get(name);
  if (chart) return chart(s, chartRequest(s, query));
  // A testbed shown by its measures has one chart, `measures-ID`.
  const spec = name.startsWith("measures-") ? measuresChartSpec(s, name.slice("measures-".length)) : null;
  if (spec) {
    checkParams(query, []);
    return spec;
  }
  throw notFound(`no chart '${name}' (charts: ${[...all.keys()].join(", ")})`);
}
