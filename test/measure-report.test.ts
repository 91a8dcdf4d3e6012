/**
 * A testbed with no report of its own but measures and decisions is shown by its measures: a
 * section with a table per measure and a chart, a CSV file, JSON and `atp run`'s table. The
 * testbed here ("coin", test/helpers/coin.ts) exists only in the tests, so the report knows
 * nothing of it but the contract; its choices are picked so every rate can be worked out on paper.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { wilson } from "../src/metrics/intervals.js";
import { summarizeStored, type LoadedRun } from "../src/report/load.js";
import { measureReport, reportOf } from "../src/report/measure-report.js";
import { reportCharts, reportCsv, reportData, reportHtml, reportMarkdown } from "../src/report/report.js";
import type { Testbed } from "../src/testbed/contract.js";
import { summarize } from "../src/metrics/run-summary.js";
import { findTestbed, type AnyTestbed, type RunPlan } from "../src/testbeds/registry.js";
import { coin, plan, played, plans, run, stats, type CoinPlan } from "./helpers/coin.js";

/** The run as loaded, with the coin testbed's episodes where a registered testbed's would be; `unfinished` are planned and not played. */
function loaded(unfinished: CoinPlan[] = []): LoadedRun {
  const none = summarizeStored(run, [], [], [], stats);
  const all = [...plans, ...unfinished] as unknown as RunPlan[];
  return {
    ...none,
    episodes: { planned: 3, done: 3, failed: 0, unfinished: 0 },
    testbeds: [{ testbed: coin, plans: all, played: played as never }],
    summary: summarize(played as never, { plans: all, testbeds: [coin as unknown as AnyTestbed] }),
  };
}

const pctCell = (hits: number, n: number) => {
  const w = wilson(hits, n);
  const p = (x: number) => (x * 100).toFixed(2);
  return `${p(w.rate)} (${p(w.low)}–${p(w.high)})`;
};

test("a testbed without a report of its own but with measures gets one; one with neither gets none", () => {
  assert.ok(measureReport(coin));
  const { measures: _m, decisions: _d, ...bare } = coin;
  assert.equal(measureReport(bare as Testbed<RunPlan>), null);
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
  const table = reportOf(coin)!.table!(played as never);
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

test("an episode that did not finish counts its planned decisions as missing, as the report counts them for every testbed", () => {
  const r = loaded([plan("d", "right")]);
  const json = reportData(r) as unknown as { measures: Record<string, Record<string, { groups: { axes: object; episodes: number; rounds: { total: number; failed: number }[] }[] }>> };
  const right = json.measures.coin["tails-by-side"].groups.find((g) => JSON.stringify(g.axes) === '{"side":"right"}')!;
  // c's second call failed; d played neither round. The counted decisions stay those made.
  assert.deepEqual(right.rounds.map((x) => [x.total, x.failed]), [[1, 1], [0, 2]]);
  assert.equal(right.episodes, 2);
  assert.match(reportMarkdown(r), /3 finished episodes\./);
});
