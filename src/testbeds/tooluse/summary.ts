/**
 * Tool use's section of the run summary: calculator use and accuracy per self-evolution round.
 * Its report gives the numbers in report.json's `toolUse` field, so the summary's record leaves
 * the section out.
 */
import type { RunSummary } from "../../metrics/run-summary.js";
import type { SummarySection } from "../../testbed/contract.js";
import { toolUseRates, type ToolUseRoundRates } from "./measures.js";
import type { ToolUsePlan } from "./plan.js";

export interface ToolUseSummary {
  /** Per round, over the problems scored: episodes that played no round add nothing, not missing problems. */
  rates: ToolUseRoundRates[];
}

/** Null when the run plays no tool use. */
export const toolUseSection: SummarySection<ToolUsePlan, ToolUseSummary | null> = {
  of(episodes, { z }) {
    if (!episodes.length) return null;
    return { rates: toolUseRates(episodes.filter((p) => p.transcript.rounds.length > 0).map((p) => p.transcript), z) };
  },
};

/** Tool use's section of a run summary. */
export function toolUseSummary(summary: RunSummary): ToolUseSummary | null {
  return (summary.testbeds.tooluse ?? null) as ToolUseSummary | null;
}
