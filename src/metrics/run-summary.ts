/**
 * The summary of a whole run, over every registered testbed: each testbed's own section
 * (`Testbed.summary`, computed in its folder), or its measures' rates per round when it has
 * none, and the run's failures. What the report and the web viewer both read.
 *
 * Testbed folders must not import this module: it iterates the registry, which imports them.
 */
import { registeredTestbeds, type AnyTestbed, type RunPlan } from "../testbeds/registry.js";
import { Z95 } from "./intervals.js";
import { measureRates, type MeasureRates } from "./measures.js";
import type { FailedCall, Played } from "./rates.js";
import { failuresOf, withUnplayed } from "./summary.js";

export interface SummaryOptions {
  /** The run's plan: planned episodes missing from `played` count as failed. */
  plans?: readonly RunPlan[];
  /** Calls that failed, as the runner or store recorded them. */
  failed?: readonly FailedCall[];
  /** Normal quantile of the intervals (95% by default). */
  z?: number;
  /** The testbeds to summarize, in order (the registered ones by default). */
  testbeds?: readonly AnyTestbed[];
}

export interface RunSummary {
  /** The own section of every registered testbed that has one, by id, whether the run plays it or not. */
  testbeds: Record<string, unknown>;
  /** The measures' rates of each testbed the run plays that has no section of its own, by id. */
  measures: Record<string, MeasureRates[]>;
  /** Every failure given. */
  failures: FailedCall[];
  /** Failures whose episode is not among the summarized ones, so no section shows them. */
  unmatchedFailures: FailedCall[];
}

/** Everything the report shows about a run. */
export function summarize(playedOnly: readonly Played[], options: SummaryOptions = {}): RunSummary {
  const z = options.z ?? Z95;
  const { plans } = options;
  const failed = options.failed ?? [];
  const testbeds: Record<string, unknown> = {};
  const measures: Record<string, MeasureRates[]> = {};
  const summarized: Played[] = [];
  for (const testbed of options.testbeds ?? registeredTestbeds()) {
    const own = playedOnly.filter((p) => p.plan.suite === testbed.id);
    const mine = plans ? withUnplayed(own, plans.filter((p) => p.suite === testbed.id), testbed) : own;
    summarized.push(...mine);
    if (testbed.summary) testbeds[testbed.id] = testbed.summary.of(mine, { failed, z });
    else if (mine.length) measures[testbed.id] = measureRates(testbed, mine, z);
  }
  const matched = new Set(failuresOf(summarized, failed));
  return { testbeds, measures, failures: [...failed], unmatchedFailures: failed.filter((f) => !matched.has(f)) };
}

/**
 * The summary as report.json and the viewer lay it out: the recorded sections under their
 * testbeds' ids, in the order of `testbeds` (those summarized), then the failures.
 */
export function summaryRecord(summary: RunSummary, testbeds: readonly AnyTestbed[] = registeredTestbeds()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const testbed of testbeds) if (testbed.summary?.recorded && testbed.id in summary.testbeds) out[testbed.id] = summary.testbeds[testbed.id];
  return { ...out, failures: summary.failures, unmatchedFailures: summary.unmatchedFailures };
}
