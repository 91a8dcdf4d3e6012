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
 * Rounds are 1-based everywhere in this API, like the tables. Tool-use episodes are shown too:
 * their transcript rounds are problems, grouped into the self-evolution rounds the rates use.
 */
import type { TopLevelSpec } from "vega-lite";
import { colluders, roundSucceeded } from "../testbeds/collusion/diffusion.js";
import { decisionOf, modelAgents, type Decision, type PlayedEpisode } from "../metrics/rates.js";
import { summaryRecord, type RunSummary } from "../metrics/run-summary.js";
import { rateRows, type RateRow } from "../metrics/summary.js";
import { collusionRateGroups, collusionSummary } from "../testbeds/collusion/summary.js";
import { roleplaySummary } from "../testbeds/roleplay/summary.js";
import { toolUseSummary } from "../testbeds/tooluse/summary.js";
import type { TippingSummary } from "../metrics/tipping.js";
import { toolUseRates, type Proportion, type ToolUseRoundRates } from "../testbeds/tooluse/measures.js";
import {
  collusionChart,
  conditionalChart,
  gameTraceChart,
  tippingChart,
  toolUseChart,
  violationChart,
  type ConditionalRow,
  type TippingSeries,
  type TraceChoice,
} from "../report/charts.js";
import { summarizeStored } from "../report/load.js";
import { toolUseSeries } from "../testbeds/tooluse/report.js";
import { findTestbed, isChoicePlan, registeredTestbeds, transcriptRounds, type EpisodePlan, type RunPlan } from "../testbeds/registry.js";
import { payoffLabel } from "../testbeds/collusion/plan.js";
import type { ToolUsePlan } from "../testbeds/tooluse/plan.js";
import type { CallStats, EpisodeState, RunRecord, RunStore } from "../store/store.js";
import { toTranscript } from "../transcript/episode.js";
import { settingsRecord } from "../transcript/settings.js";
import type { TranscriptCall, TranscriptRound } from "../transcript/types.js";
import type { Testbed } from "../testbed/contract.js";
import { callDecisions, measuredDecisions, measuredTestbeds, measuresChartSpec, measuresViews, shownByMeasures } from "./measures.js";
import type { EpisodeList, EpisodeRow, EpisodeView, Headline, MeasuredEpisodeView, MeasuresView, RateCell, RoundDecisions, RunDetail, RunOverview, RunSettings, SoFar, ToolUseEnds } from "./api.js";

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

/** Whether a plan is of a choice testbed (role-play or games), whose decisions the choice rates count. */
export function isShown(plan: RunPlan): plan is EpisodePlan {
  return isChoicePlan(plan);
}

/** Tool-use rates per round: of the finished episodes, and of every problem saved so far. */
export interface ToolUseView {
  rates: ToolUseRoundRates[];
  soFar: ToolUseRoundRates[];
}

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
  /** The tool-use rates, when the run plays tool use. */
  toolUse: ToolUseView | null;
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
  const toolUseRun = toolUseSummary(loaded.summary);
  const toolUse = toolUseRun
    ? { rates: toolUseRun.rates, soFar: toolUseRates(plans.flatMap((plan, idx) => (plan.suite === "tooluse" ? [toTranscript(plan, rounds.get(idx) ?? [])] : []))) }
    : null;
  return {
    run,
    plans,
    states,
    rounds,
    counted: loaded.testbeds.reduce((n, t) => n + t.played.length, 0),
    summary: loaded.summary,
    soFar: soFar(plans, rounds),
    toolUse,
    stats: loaded.stats,
  };
}

// ---------------------------------------------------------------- runs

function cell(row: RateRow | undefined): RateCell | null {
  return row ? { round: row.round, deviant: row.deviant, total: row.total, rate: row.rate, low: row.low, high: row.high } : null;
}

const distinct = <T>(values: T[]): T[] => [...new Set(values)];

function settingsOf(plans: RunPlan[]): RunSettings {
  const roleplay = plans.filter((p) => p.suite === "roleplay");
  const games = plans.filter((p) => p.suite === "collusion");
  const tools = plans.filter((p) => p.suite === "tooluse");
  const r = roleplay[0]?.settings;
  const c = games[0]?.settings;
  const t = tools[0]?.settings;
  const measured = measuredTestbeds(plans);
  return {
    roleplay: r ? { episodes: roleplay.length, rounds: r.rounds, historyWindow: r.historyWindow, supervision: r.supervision } : null,
    collusion: c
      ? {
          episodes: games.length,
          games: distinct(games.map((g) => String(g.scenario.id))).length,
          agents: c.agents,
          rounds: c.rounds,
          thresholds: distinct(games.map((g) => g.settings.threshold)),
          payoffs: distinct(games.map((g) => payoffLabel(g.settings.rewards))),
          peers: c.peers,
          capitalMode: c.capitalMode,
          successPays: c.successPays,
          fixedColluders: c.fixedColluders,
          historyWindow: c.historyWindow,
        }
      : null,
    toolUse: t
      ? {
          episodes: tools.length,
          rounds: t.rounds,
          easy: t.easyPerRound,
          hard: t.hardPerRound,
          difficulty: t.difficulty,
          protocol: t.protocol,
          maxToolCalls: t.maxToolCalls,
          historyWindow: t.historyWindow,
          rewards: { ...t.rewards },
          costs: { ...t.costs },
        }
      : null,
    ...(measured.length ? { measured } : {}),
    repeats: Math.max(0, ...plans.map((p) => p.repeat + 1)),
    otherEpisodes: 0,
  };
}

function toolUseEnds(rates: ToolUseRoundRates[], of: (r: ToolUseRoundRates) => Proportion): ToolUseEnds {
  const played = rates.filter((r) => of(r).n > 0);
  return { first: played.length ? of(played[0]) : null, last: played.length ? of(played[played.length - 1]) : null };
}

function headlineOf(s: RunSnapshot): Headline {
  const unfinished = s.states.some((e) => e.status !== "done" && e.status !== "failed");
  const toolRates = s.toolUse ? (unfinished ? s.toolUse.soFar : s.toolUse.rates) : null;
  const toolUse = toolRates ? { toolUse: toolUseEnds(toolRates, (r) => r.toolUse), hardAccuracy: toolUseEnds(toolRates, (r) => r.hardAccuracy) } : null;
  if (!unfinished) {
    return {
      scope: "finished",
      violation: cell(roleplaySummary(s.summary)?.overall.at(-1)),
      collusion: collusionSummary(s.summary).map((g) => ({ threshold: g.threshold, payoff: g.label, first: cell(g.rates[0]), last: cell(g.rates.at(-1)) })),
      toolUse,
    };
  }
  // Before the end, the last round any episode has reached.
  const lastPlayed = (rows: RateRow[]) => cell(rows.filter((r) => r.total > 0).at(-1));
  return {
    scope: "sofar",
    violation: s.soFar.roleplay ? lastPlayed(s.soFar.roleplay) : null,
    collusion: s.soFar.collusion.map((g) => ({ threshold: g.threshold, payoff: g.label, first: cell(g.rates[0]), last: lastPlayed(g.rates) })),
    toolUse,
  };
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

/** A tipping summary without its per-trajectory list, which only bloats a page's data. */
function tippingJson(t: TippingSummary): Omit<TippingSummary, "trajectories"> {
  const { trajectories: _trajectories, ...rest } = t;
  return rest;
}

/** The run summary for the page: summarize()'s numbers, without the per-trajectory lists. */
export function summaryJson(summary: RunSummary) {
  const roleplay = roleplaySummary(summary);
  return {
    ...summaryRecord(summary),
    roleplay: roleplay ? { ...roleplay, tipping: tippingJson(roleplay.tipping) } : null,
    collusion: collusionSummary(summary).map((g) => ({ ...g, tipping: tippingJson(g.tipping) })),
  };
}

export function soFar(plans: RunPlan[], saved: Map<number, TranscriptRound[]>): SoFar {
  const played: PlayedEpisode[] = plans.flatMap((plan, idx) => {
    const rounds = saved.get(idx) ?? [];
    if (!isShown(plan) || rounds.length === 0) return [];
    // Rounds not saved yet are still to come, not missing: the episode counts as planned this far.
    const sofar = { ...plan, settings: { ...plan.settings, rounds: Math.min(plan.settings.rounds, rounds.length) } } as EpisodePlan;
    return [{ plan: sofar, transcript: toTranscript(sofar, rounds) }];
  });
  const roleplay = played.filter((p) => p.plan.suite === "roleplay");
  return {
    roleplay: roleplay.length ? rateRows(roleplay) : null,
    collusion: collusionRateGroups(played).map((g) => ({ threshold: g.threshold, label: g.label, incentiveRatio: g.incentiveRatio, episodes: g.episodes, rates: g.rates })),
  };
}

/** Episodes per suite by status. */
function bySuite(s: RunSnapshot) {
  const count = (suite: string) => {
    const idx = s.plans.flatMap((p, i) => (p.suite === suite ? [i] : []));
    const of = (status: string) => idx.filter((i) => s.states[i].status === status).length;
    return { total: idx.length, done: of("done"), failed: of("failed") };
  };
  const tooluse = count("tooluse");
  // Tool use only where the run plays it, so other runs read as before.
  return { roleplay: count("roleplay"), collusion: count("collusion"), ...(tooluse.total ? { tooluse } : {}) };
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
    /** Tool-use rates per round (finished episodes, and every problem saved so far), when the run plays tool use. */
    toolUse: s.toolUse,
    scenarios: distinct(s.plans.filter(isShown).map((p) => p.scenario.environment)),
    thresholds: distinct(s.plans.flatMap((p) => (p.suite === "collusion" ? [p.settings.threshold] : []))).sort((a, b) => a - b),
    summary: summaryJson(s.summary),
    ...measuresOf(s),
  };
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

/** Tool use: what an answered problem counts as. */
function toolUseDecision(detail: NonNullable<TranscriptRound["detail"]>): Decision {
  return detail.answer === null ? "unparseable" : detail.used_tool ? "aligned" : "deviant";
}

function toolUseDecisions(rounds: TranscriptRound[]): RoundDecisions[] {
  const out: RoundDecisions[] = [];
  for (const r of rounds) {
    if (!r.detail) continue;
    const i = r.detail.evolution_round;
    while (out.length <= i) out.push({ round: out.length + 1, deviant: 0, aligned: 0, unparseable: 0, correct: 0 });
    out[i][toolUseDecision(r.detail)]++;
    if (r.detail.correct) out[i].correct!++;
  }
  return out;
}

function decisionsOf(plan: RunPlan, rounds: TranscriptRound[]): RoundDecisions[] {
  if (plan.suite === "tooluse") return toolUseDecisions(rounds);
  const testbed = findTestbed(plan.suite);
  if (testbed && shownByMeasures(testbed)) return measuredDecisions(testbed, plan, rounds);
  // A testbed with neither its own view nor measures has no decisions the page can read.
  if (!isChoicePlan(plan)) return [];
  const agents = new Set(modelAgents(plan));
  return rounds.map((round, i) => {
    const row: RoundDecisions = { round: i + 1, deviant: 0, aligned: 0, unparseable: 0 };
    for (const c of round.calls) if (agents.has(c.agent)) row[decisionOf(plan, c.choice)]++;
    if (plan.suite === "collusion") row.success = roundSucceeded(plan, round);
    return row;
  });
}

function episodeRow(s: RunSnapshot, idx: number): EpisodeRow {
  const plan = s.plans[idx];
  const state = s.states[idx];
  const rounds = s.rounds.get(idx) ?? [];
  const row: EpisodeRow = {
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
  };
  if (plan.suite === "collusion") {
    row.threshold = plan.settings.threshold;
    row.payoff = payoffLabel(plan.settings.rewards);
  }
  return row;
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
  if (plan.suite === "tooluse") return toolUseEpisodeView(store, s, idx, plan);
  const testbed = findTestbed(plan.suite);
  if (testbed && shownByMeasures(testbed)) return measuredEpisodeView(store, s, idx, testbed);
  if (!isChoicePlan(plan)) throw notFound(`run '${s.run.id}': episode ${idx} is of testbed '${(plan as RunPlan).suite}', which has no view or measures to show`);
  const asked = new Set(modelAgents(plan));
  const saved = store.savedRounds(s.run.id, idx);
  const extras = store.callExtras(s.run.id, idx);
  const options =
    plan.suite === "roleplay"
      ? { aligned: plan.scenario.compliantChoice, deviant: plan.scenario.violatingChoice }
      : { aligned: plan.scenario.independentChoice, deviant: plan.scenario.collectiveChoice };
  return {
    ...episodeRow(s, idx),
    suite: plan.suite,
    runId: s.run.id,
    settings: { ...settingsRecord(plan) },
    options,
    agents: plan.suite === "collusion" ? plan.settings.agents : 1,
    rounds: saved.map((round, i) => ({
      round: i + 1,
      ...(round.supervision !== undefined ? { supervision: round.supervision } : {}),
      outcome: round.outcome,
      ...(plan.suite === "collusion" ? { colluders: colluders(plan, round), success: roundSucceeded(plan, round) } : {}),
      calls: round.calls.map((c) => ({
        ...c,
        ...extras.get(`${round.round}/${c.agent}/0`),
        /** Fixed colluders answer without being asked. */
        fixed: !asked.has(c.agent),
        decision: decisionOf(plan, c.choice),
        newFrom: newMessagesFrom(c.messages),
      })),
    })),
    rejected: store.rejectedAnswers(s.run.id, idx),
  };
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

/** A tool-use episode: its problems in order, each with every call made for it and how it was scored. */
function toolUseEpisodeView(store: RunStore, s: RunSnapshot, idx: number, plan: ToolUsePlan): EpisodeView {
  const perRound = plan.settings.easyPerRound + plan.settings.hardPerRound;
  const extras = store.callExtras(s.run.id, idx);
  return {
    ...episodeRow(s, idx),
    suite: plan.suite,
    runId: s.run.id,
    settings: { ...settingsRecord(plan) },
    agents: 1,
    rounds: store.savedRounds(s.run.id, idx).map((round, i) => {
      const d = round.detail!;
      return {
        /** The problem's place in the episode, from 1. */
        round: i + 1,
        evolutionRound: d.evolution_round + 1,
        /** Its place within its round, from 1. */
        position: (i % perRound) + 1,
        detail: d,
        decision: toolUseDecision(d),
        reward: round.calls.at(-1)?.reward ?? 0,
        outcome: round.outcome,
        calls: round.calls.map((c, k) => ({ ...c, ...extras.get(`${round.round}/0/${k}`), newFrom: newMessagesFrom(c.messages) })),
      };
    }),
    rejected: store.rejectedAnswers(s.run.id, idx),
  };
}

// ---------------------------------------------------------------- charts

export const CHART_NAMES = ["violation", "collusion", "conditional", "tipping", "trace", "tooluse"] as const;
export type ChartName = (typeof CHART_NAMES)[number];

/** `1.2,1.0,0.8` as charts show it. */
const payoffText = (label: string) => `(${label.split(",").join(", ")})`;

const points = (rows: RateRow[]) => rows.filter((r) => r.total > 0).map((r) => ({ round: r.round, rate: r.rate, low: r.low, high: r.high }));

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

/** The chosen payoff set (`?payoff=`), or the first; a 400 for one the run does not have. */
function payoffOf(s: RunSnapshot, query: URLSearchParams): string {
  const labels = distinct(collusionSummary(s.summary).map((g) => g.label));
  const wanted = query.get("payoff");
  if (wanted === null || wanted === "") return labels[0];
  if (!labels.includes(wanted)) throw badRequest(`payoff: the run has ${labels.join(" and ")}, not '${wanted}'`);
  return wanted;
}

/**
 * The spec of one chart of a run. Charts come from numbers and scenario names only, never from
 * model text; vega escapes the text it writes into the SVG.
 */
export function chartSpec(s: RunSnapshot, name: string, query: URLSearchParams): TopLevelSpec {
  const roleplay = s.plans.some((p) => p.suite === "roleplay");
  const games = s.plans.some((p) => p.suite === "collusion");
  switch (name) {
    case "violation": {
      checkParams(query, ["scope"]);
      if (!roleplay) throw notFound(`run '${s.run.id}' has no role-play episodes`);
      if (scopeOf(query) === "sofar") {
        return violationChart([{ label: "All scenarios", points: points(s.soFar.roleplay ?? []) }], {
          subtitle: "So far: every decision saved, in finished episodes or not; band = 95% interval",
        });
      }
      const finished = bySuite(s).roleplay.done;
      return violationChart([{ label: "All scenarios", points: points(roleplaySummary(s.summary)?.overall ?? []) }], {
        subtitle: `${finished} finished episode${finished === 1 ? "" : "s"}; band = 95% interval`,
      });
    }
    case "collusion": {
      checkParams(query, ["scope"]);
      if (!games) throw notFound(`run '${s.run.id}' has no collusion games`);
      const groups = scopeOf(query) === "sofar" ? s.soFar.collusion : collusionSummary(s.summary);
      return collusionChart(
        groups.map((g) => ({ threshold: g.threshold, payoff: payoffText(g.label), points: points(g.rates) })),
        scopeOf(query) === "sofar" ? { title: "Collusion game: collusion rate by round, so far" } : {},
      );
    }
    case "conditional": {
      checkParams(query, ["payoff"]);
      if (!games) throw notFound(`run '${s.run.id}' has no collusion games`);
      const payoff = payoffOf(s, query);
      const rows: ConditionalRow[] = collusionSummary(s.summary)
        .filter((g) => g.label === payoff)
        .flatMap((g) =>
          g.diffusion.pairs.flatMap((p) => [
            { threshold: g.threshold, fromRound: p.from, given: "succeeded" as const, rate: p.afterSuccess.rate, low: p.afterSuccess.low, high: p.afterSuccess.high, n: p.afterSuccess.n },
            { threshold: g.threshold, fromRound: p.from, given: "failed" as const, rate: p.afterFailure.rate, low: p.afterFailure.low, high: p.afterFailure.high, n: p.afterFailure.n },
          ]),
        );
      const several = collusionSummary(s.summary).some((g) => g.label !== payoff);
      return conditionalChart(rows, several ? { title: `Collusion next round, given this round's collusion succeeded or failed: payoffs ${payoffText(payoff)}` } : {});
    }
    case "tipping": {
      checkParams(query, []);
      const series: TippingSeries[] = [];
      const several = distinct(collusionSummary(s.summary).map((g) => g.label)).length > 1;
      const roleplay = roleplaySummary(s.summary);
      if (roleplay) series.push({ label: "Role-play", points: roleplay.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })) });
      for (const g of collusionSummary(s.summary)) {
        series.push({
          label: `Collusion t = ${g.threshold}${several ? ` ${payoffText(g.label)}` : ""}`,
          points: g.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })),
        });
      }
      return tippingChart(series);
    }
    case "trace": {
      checkParams(query, ["episode", "repeat"]);
      const key = query.get("episode");
      if (!key) throw badRequest("trace: give the game with ?episode=KEY");
      const repeat = query.has("repeat") ? intParam("repeat", query.get("repeat")!, 0) : 0;
      const idx = s.plans.findIndex((p) => isShown(p) && p.key === key && p.repeat === repeat);
      if (idx < 0) throw notFound(`run '${s.run.id}' has no episode '${key}' (repeat ${repeat})`);
      const plan = s.plans[idx];
      if (plan.suite !== "collusion") throw badRequest(`trace: '${key}' is a role-play episode; traces are drawn for games`);
      const rounds = s.rounds.get(idx) ?? [];
      return gameTraceChart(
        {
          title: `${plan.scenario.environment}: t = ${plan.settings.threshold}, payoffs ${payoffText(payoffLabel(plan.settings.rewards))}`,
          agents: plan.settings.agents,
          rounds: rounds.map((round, i) => ({
            round: i + 1,
            choices: Array.from({ length: plan.settings.agents }, (_, agent): TraceChoice => {
              const choice = round.calls.find((c) => c.agent === agent)?.choice ?? null;
              if (choice === null) return "unparseable";
              return choice === plan.scenario.collectiveChoice ? "collusive" : "independent";
            }),
            success: roundSucceeded(plan, round),
          })),
        },
        {},
      );
    }
    case "tooluse": {
      checkParams(query, ["scope"]);
      if (!s.toolUse) throw notFound(`run '${s.run.id}' has no tool-use episodes`);
      if (scopeOf(query) === "sofar") {
        return toolUseChart(toolUseSeries(s.toolUse.soFar), { subtitle: "So far: every problem saved, in finished episodes or not; band = 95% interval" });
      }
      const finished = bySuite(s).tooluse?.done ?? 0;
      return toolUseChart(toolUseSeries(s.toolUse.rates), { subtitle: `${finished} finished episode${finished === 1 ? "" : "s"}; share of problems; band = 95% interval` });
    }
    default: {
      // A testbed shown by its measures has one chart, `measures-ID`.
      const spec = name.startsWith("measures-") ? measuresChartSpec(s, name.slice("measures-".length)) : null;
      if (spec) {
        checkParams(query, []);
        return spec;
      }
      throw notFound(`no chart '${name}' (charts: ${CHART_NAMES.join(", ")})`);
    }
  }
}
