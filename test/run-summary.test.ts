/**
 * The run summary over testbeds it has never heard of: one without a section of its own is
 * summarized by its measures, one with a section gets exactly that section, and the failures
 * are attributed by episode whatever the testbed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { measureRates } from "../src/metrics/measures.js";
import { summarize, summaryRecord } from "../src/metrics/run-summary.js";
import { unplayedTranscript } from "../src/metrics/rates.js";
import type { EpisodeOf, SummarySection } from "../src/testbed/contract.js";
import type { AnyTestbed } from "../src/testbeds/registry.js";
import { coin, plan, played, plans, type CoinPlan } from "./helpers/coin.js";

const coinTestbed = coin as unknown as AnyTestbed;
const unfinished = plan("d", "right");
const all = [...plans, unfinished];
const failed = [
  { key: "d", repeat: 0, error: "server down" },
  { key: "zz", repeat: 0, error: "not in this run" },
];

/** A section that records what it was handed: its episodes' keys and rounds, and the failures it was given. */
const counting: SummarySection<CoinPlan, { episodes: [string, number][]; failed: number }> = {
  recorded: true,
  of: (episodes, options) => ({ episodes: episodes.map((e) => [e.plan.key, e.transcript.rounds.length]), failed: options.failed.length }),
};

test("a testbed without a section of its own is summarized by its measures, unfinished episodes counting as missing", () => {
  const s = summarize(played as never, { plans: all as never, failed, testbeds: [coinTestbed] });
  assert.deepEqual(Object.keys(s.testbeds), []);
  const withUnfinished = [...played, { plan: unfinished, transcript: unplayedTranscript(unfinished as never, unfinished.settings) }] as EpisodeOf<CoinPlan>[];
  assert.deepEqual(s.measures.coin, measureRates(coinTestbed, withUnfinished));
  const [tails] = s.measures.coin;
  assert.deepEqual(tails.groups[0].rounds.map((x) => [x.hits, x.total, x.failed]), [[2, 3, 1], [0, 2, 2]]);
  // The measures are the report's own fields: the summary's record carries only sections.
  assert.deepEqual(summaryRecord(s, [coinTestbed]), { failures: failed, unmatchedFailures: [failed[1]] });
  assert.deepEqual(summarize([], { testbeds: [coinTestbed] }).measures, {}, "a testbed the run does not play has no rates");
});

test("a testbed's own section is handed its episodes in plan order, the unfinished ones without rounds, and every failure", () => {
  const withSection = { ...coinTestbed, summary: counting } as AnyTestbed;
  const s = summarize([played[2], played[0]] as never, { plans: all as never, failed, testbeds: [withSection] });
  const section = { episodes: [["a", 2], ["b", 0], ["c", 1], ["d", 0]], failed: 2 };
  assert.deepEqual(s.testbeds.coin, section);
  assert.deepEqual(s.measures, {});
  assert.deepEqual(summaryRecord(s, [withSection]), { coin: section, failures: failed, unmatchedFailures: [failed[1]] });
  // Asked even when the run does not play it, so the summary has one shape.
  assert.deepEqual(summarize([], { testbeds: [withSection] }).testbeds.coin, { episodes: [], failed: 0 });
});
