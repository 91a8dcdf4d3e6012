/**
 * What the viewer shows of a testbed without a panel of its own: its measures' rates per round,
 * per group of each measure's axes, over its finished episodes, and its decisions per round in
 * the episode list. Read from the testbed's decision rows through the contract, so it works for
 * a testbed the viewer has never heard of.
 */
import type { TopLevelSpec } from "vega-lite";
import { measuresChart } from "../report/charts.js";
import { measureLabel } from "../report/tables.js";
import { measureRates, type MeasureRates } from "../report/measure-report.js";
import type { Testbed } from "../testbed/contract.js";
import { registeredTestbeds, type RunPlan } from "../testbeds/registry.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";
import type { Decision, MeasuredTestbed, MeasuresView, RoundDecisions } from "./api.js";
import type { RunSnapshot } from "./data.js";

/** Whether the viewer shows a testbed by its measures: it has no view of its own, and measures and decisions. */
export function shownByMeasures(testbed: Testbed<RunPlan>): boolean {
  return !testbed.view && Boolean(testbed.measures?.length && testbed.decisions);
}

/** The testbeds of these plans the viewer shows by their measures, in the registry's order (`testbeds`: the registered ones). */
export function measuredTestbeds(plans: RunPlan[], testbeds = registeredTestbeds()): MeasuredTestbed[] {
  return testbeds
    .filter(shownByMeasures)
    .flatMap((testbed) => {
      const mine = plans.filter((p) => p.suite === testbed.id);
      return mine.length ? [{ id: testbed.id, title: testbed.title, episodes: mine.length, rounds: Math.max(...mine.map((p) => testbed.transcriptRounds(p))) }] : [];
    });
}

/** Saved rounds as the testbed's decisions read them: the transcript of the episode so far, its settings recorded by the testbed itself. */
function transcriptOf(testbed: Testbed<RunPlan>, plan: RunPlan, rounds: TranscriptRound[]): TranscriptEpisode {
  const { suite, key, repeat, scenario } = plan;
  return { suite, episode: key, scenario: scenario.id, environment: scenario.environment, settings: testbed.settingsRecord(plan), ...(repeat > 0 ? { repeat } : {}), rounds };
}

/** A testbed's measures over its finished episodes in the snapshot; the others' planned decisions count as missing, as the report counts them. */
function ratesOf(s: RunSnapshot, testbed: Testbed<RunPlan>): MeasureRates[] {
  const mine = s.plans.flatMap((plan, idx) => (plan.suite === testbed.id ? [{ plan, idx }] : []));
  const done = mine.filter(({ idx }) => s.states[idx].status === "done");
  const finished = done.map(({ plan, idx }) => ({ plan, transcript: transcriptOf(testbed, plan, s.rounds.get(idx) ?? []) }));
  return measureRates(testbed, finished, mine.filter(({ idx }) => s.states[idx].status !== "done").map(({ plan }) => plan));
}

export function measuresViews(s: RunSnapshot, testbeds = registeredTestbeds()): MeasuresView[] {
  return measuredTestbeds(s.plans, testbeds).map(({ id, title }) => {
    const testbed = testbeds.find((t) => t.id === id)!;
    const idx = s.plans.flatMap((p, i) => (p.suite === id ? [i] : []));
    const of = (status: string) => idx.filter((i) => s.states[i].status === status).length;
    return {
      testbed: id,
      title,
      counts: { total: idx.length, done: of("done"), failed: of("failed") },
      measures: ratesOf(s, testbed).map(({ measure, groups }) => ({ id: measure.id, title: measure.title, by: [...measure.by], groups })),
    };
  });
}

/** The chart `measures-ID` of a testbed shown by its measures; null when the run plays no such testbed. */
export function measuresChartSpec(s: RunSnapshot, id: string, testbeds = registeredTestbeds()): TopLevelSpec | null {
  const testbed = testbeds.find((t) => t.id === id);
  if (!testbed || !shownByMeasures(testbed) || !s.plans.some((p) => p.suite === id)) return null;
  const series = ratesOf(s, testbed).flatMap(({ measure, groups }) =>
    groups.map((g) => ({ label: measureLabel(measure, g), points: g.rounds.filter((x) => x.total > 0).map((x) => ({ round: x.round, rate: x.rate, low: x.low, high: x.high })) })),
  );
  const heading = testbed.title.charAt(0).toUpperCase() + testbed.title.slice(1);
  return measuresChart(`${heading}: rates by round`, series.filter((x) => x.points.length > 0));
}

/** What each saved call decided, by `round/agent` (rounds from 1), from the episode's decision rows; calls without a row decided nothing. */
export function callDecisions(testbed: Testbed<RunPlan>, plan: RunPlan, rounds: TranscriptRound[]): Map<string, Decision> {
  const out = new Map<string, Decision>();
  for (const row of testbed.decisions!(plan, transcriptOf(testbed, plan, rounds))) {
    if (row.status !== "failed") out.set(`${row.round}/${row.agent}`, row.status === "unparseable" ? "unparseable" : row.deviant ? "deviant" : "aligned");
  }
  return out;
}

/** An episode's decisions per round, from its decision rows: deviant, aligned (made, not deviant) and unparseable. */
export function measuredDecisions(testbed: Testbed<RunPlan>, plan: RunPlan, rounds: TranscriptRound[]): RoundDecisions[] {
  const out: RoundDecisions[] = [];
  for (const row of testbed.decisions!(plan, transcriptOf(testbed, plan, rounds))) {
    // A round not saved yet is to come, not a decision.
    if (row.status === "failed") continue;
    while (out.length < row.round) out.push({ round: out.length + 1, deviant: 0, aligned: 0, unparseable: 0 });
    const cell = out[row.round - 1];
    if (row.status === "unparseable") cell.unparseable++;
    else cell[row.deviant ? "deviant" : "aligned"]++;
  }
  return out;
}
