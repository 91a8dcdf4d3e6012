/**
 * A testbed with no report of its own but measures and decisions is shown by its measures: a
 * section with a table per measure and a chart, a CSV file, JSON and `atp run`'s table. The
 * testbed here ("coin") exists only in this file, so the report knows nothing of it but the
 * contract; its choices are picked so every rate can be worked out on paper.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { wilson } from "../src/metrics/intervals.js";
import { summarizeStored, type LoadedRun } from "../src/report/load.js";
import { measureReport, reportOf } from "../src/report/measure-report.js";
import { reportCharts, reportCsv, reportData, reportHtml, reportMarkdown } from "../src/report/report.js";
import type { DecisionRow, PlanOf, Testbed } from "../src/testbed/contract.js";
import { findTestbed, type RunPlan } from "../src/testbeds/registry.js";
import type { RunRecord } from "../src/store/store.js";
import type { TranscriptEpisode } from "../src/transcript/types.js";

type CoinPlan = PlanOf<"coin", { id: string; environment: string }, { rounds: number; side: string }>;

/** One agent calls heads (H) or tails (T) each round; a call of T is the deviant one. */
const coin = {
  id: "coin",
  title: "coin toss",
  datasetKinds: [],
  engine: () => {
    throw new Error("not played here");
  },
  transcriptRounds: (plan: CoinPlan) => plan.settings.rounds,
  callsPerRound: () => 1,
  describeCall: (round: number) => `toss ${round + 1}`,
  settingsRecord: (plan: CoinPlan) => plan.settings,
  replanner: () => () => {
    throw new Error("not replanned here");
  },
  decisions(plan: CoinPlan, transcript: TranscriptEpisode): DecisionRow[] {
    return Array.from({ length: plan.settings.rounds }, (_, i) => {
      const call = transcript.rounds[i]?.calls[0];
      const status = call === undefined ? "failed" : call.choice === null ? "unparseable" : "made";
      return {
        key: plan.key,
        repeat: plan.repeat,
        environment: plan.scenario.environment,
        round: i + 1,
        agent: 0,
        item: 0,
        model: null,
        axes: { side: plan.settings.side },
        status,
        outcome: status === "made" ? call!.choice : null,
        deviant: status === "made" && call!.choice === "T",
        reward: call ? call.reward : null,
        values: {},
      };
    });
  },
  measures: [
    { id: "tails", title: "tails rate", by: [], hit: (row: DecisionRow) => row.deviant },
    { id: "tails-by-side", title: "tails rate", by: ["side"], hit: (row: DecisionRow) => row.deviant },
  ],
} satisfies Testbed<CoinPlan>;

const plan = (key: string, side: string): CoinPlan => ({ suite: "coin", key, repeat: 0, scenario: { id: key, environment: "table" }, settings: { rounds: 2, side } });

function episode(p: CoinPlan, choices: (string | null)[]): { plan: CoinPlan; transcript: TranscriptEpisode } {
  return {
    plan: p,
    transcript: {
      suite: "coin" as TranscriptEpisode["suite"],
      episode: p.key,
      scenario: p.key,
      environment: "table",
      settings: p.settings,
      rounds: choices.map((choice, round) => ({ round, outcome: "", calls: [{ agent: 0, messages: [], response: choice ?? "?", choice, reward: 0 }] })),
    },
  };
}

// Round 1: T, H, T (2 of 3 tails); round 2: H, unparseable, and a failed call (0 of 2, 1 missing).
const plans = [plan("a", "left"), plan("b", "left"), plan("c", "right")];
const played = [episode(plans[0], ["T", "H"]), episode(plans[1], ["H", null]), episode(plans[2], ["T"])];

const run: RunRecord = {
  id: "coins",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:00.000Z",
  status: "done",
  suite: "coin",
  model: "policy:fixed",
  seed: 0,
  parity: "default",
  config: {},
  versions: {},
  episodeCount: 3,
};
const stats = { calls: 5, cached: 0, errors: 0, truncated: 0, empty: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, meanLatencyMs: null };

/** The run as loaded, with the coin testbed's episodes where a registered testbed's would be. */
function loaded(): LoadedRun {
  const none = summarizeStored(run, [], [], [], stats);
  return { ...none, episodes: { planned: 3, done: 3, failed: 0, unfinished: 0 }, testbeds: [{ testbed: coin as unknown as Testbed<RunPlan>, plans: plans as unknown as RunPlan[], played: played as never }] };
}

const pctCell = (hits: number, n: number) => {
  const w = wilson(hits, n);
  const p = (x: number) => (x * 100).toFixed(2);
  return `${p(w.rate)} (${p(w.low)}–${p(w.high)})`;
};

test("a testbed without a report of its own but with measures gets one; one with neither gets none", () => {
  assert.ok(measureReport(coin as unknown as Testbed<RunPlan>));
  const { measures: _m, decisions: _d, ...bare } = coin;
  assert.equal(measureReport(bare as unknown as Testbed<RunPlan>), null);
  // The built-in testbeds keep their own.
  assert.equal(reportOf(findTestbed("roleplay")!), findTestbed("roleplay")!.report);
});

test("the measures' section: a table per measure, by its axes, with rates and 95% intervals per round", () => {
  const md = reportMarkdown(loaded());
  assert.match(md, /\| Coin toss \| 3 episodes, measures tails rate, tails rate \|/);
  assert.match(md, /## Coin toss: rates by round/);
  assert.match(md, /3 finished episodes\./);
  // One group over every row: round 1 has 2 tails of 3, round 2 none of 2 (one unparseable), one call lost.
  assert.ok(md.includes(`| tails rate | 3 | ${pctCell(2, 3)} | ${pctCell(0, 2)} | 1 | 1 |`), md);
  // By side: left played a and b, right played c (whose second call failed).
  assert.ok(md.includes(`| left | 2 | ${pctCell(1, 2)} | ${pctCell(0, 2)} | 1 | 0 |`), md);
  assert.ok(md.includes(`| right | 1 | ${pctCell(1, 1)} | – | 0 | 1 |`), md);
  assert.match(md, /!\[Coin toss: rates by round\]\(charts\/measures-coin\.png\)/);
  // Nothing of the choice testbeds: no tipping, no role-play, no games.
  assert.doesNotMatch(md, /Tipping|Role-play|Collusion/);
});

test("the measures' CSV, JSON and chart", async () => {
  const r = loaded();
  const csv = reportCsv(r).get("coin_measures.csv")!;
  const lines = csv.trim().split("\r\n");
  assert.equal(lines[0], "measure,group,episodes,round,hits,unparseable,missing,total,rate,ci_low,ci_high");
  const w = wilson(2, 3);
  assert.equal(lines[1], `tails,,3,1,2,0,0,3,${w.rate},${w.low},${w.high}`);
  assert.ok(lines.some((l) => l.startsWith("tails-by-side,side=right,1,2,0,0,1,0,,")), csv);
  assert.equal(lines.length, 1 + 2 + 2 * 2);

  const data = reportData(r) as unknown as { measures: Record<string, Record<string, { by: string[]; groups: { axes: object; rounds: { hits: number; total: number; failed: number }[] }[] }>> };
  assert.deepEqual(data.measures.coin["tails-by-side"].by, ["side"]);
  assert.deepEqual(
    data.measures.coin["tails-by-side"].groups.map((g) => [g.axes, g.rounds.map((x) => [x.hits, x.total, x.failed])]),
    [
      [{ side: "left" }, [[1, 2, 0], [0, 2, 0]]],
      [{ side: "right" }, [[1, 1, 0], [0, 0, 1]]],
    ],
  );

  const charts = reportCharts(r);
  assert.deepEqual(charts.map((c) => c.name), ["measures-coin"]);
  // A group's rounds without decisions are not drawn.
  const values = (charts[0].spec as { data: { values: { series: string; round: number }[] } }).data.values;
  assert.deepEqual(values.filter((v) => v.series === "tails rate, side = right").map((v) => v.round), [1]);
  const html = await reportHtml(r, charts);
  assert.match(html, /<section id="coin"><h2>Coin toss: rates by round<\/h2>/);
  assert.match(html, /<figure role="img" aria-label="Coin toss: rates by round"><svg/);
});

test("atp run's table of the measures: one row per measure and group, a rate with its interval per round", () => {
  const table = reportOf(coin as unknown as Testbed<RunPlan>)!.table!(played as never);
  assert.equal(
    table,
    [
      "Coin toss: rates per round (%) with 95% Wilson intervals, 3 episodes",
      "                                      round 1          round 2",
      "tails rate                  66.7 [20.8, 93.9]  0.0 [0.0, 65.8]",
      "tails rate, side = left      50.0 [9.5, 90.5]  0.0 [0.0, 65.8]",
      "tails rate, side = right  100.0 [20.7, 100.0]                -",
    ].join("\n"),
  );
});
