import { collusionRateGroups, rateRows } from "../metrics/summary.js";
import { toolUseRates } from "../metrics/tooluse.js";
import { collusionTable, toolUseTable, violationTable } from "../report/tables.js";
import type { RunHooks, RunResult } from "../run/execute.js";
import { Progress } from "./progress.js";
import type { LockOwner } from "../store/lock.js";

/** Says whose lock a writer took over, so a takeover is never silent. */
export function tookOver(what: string, owner: LockOwner): string {
  return `${what} was held by pid ${owner.pid} on ${owner.host} since ${owner.since}, which is gone; taking it over`;
}

/**
 * Plays a run (new or resumed) with progress on stderr, then prints the tables on stdout. A run
 * with failed episodes exits 1 and says how to retry them.
 */
export async function reportRun(db: string, play: (hooks: RunHooks) => Promise<RunResult>): Promise<void> {
  const started = Date.now();
  let progress: Progress | undefined;
  let calls = 0;
  let cached = 0;
  const result = await play({
    onStart: ({ runId, episodes, remaining, resumed, takenOver }) => {
      if (takenOver) process.stderr.write(`atp: ${tookOver(`run ${runId}`, takenOver)}\n`);
      if (resumed) process.stderr.write(`atp: continuing run ${runId}: ${episodes - remaining} of ${episodes} episodes already finished\n`);
      progress = new Progress(remaining);
    },
    onCall: (meta) => {
      calls++;
      if (meta.cached) cached++;
      progress?.call();
    },
    onEpisode: (outcome) => progress?.episode(outcome.error !== undefined),
    onProviderEvent: (event) => {
      if (event.kind !== "failed") progress?.retry(event.kind === "rate-limited");
    },
  });
  progress?.finish();
  const out: string[] = [];
  const { suite, parity, seed } = result.config;
  // The tool-use testbed is not in the reference code, so it has no parity mode to name.
  const mode = suite === "tooluse" ? "" : `parity ${parity}, `;
  out.push(`atp run ${suite}: run ${result.runId}, model ${result.model}, ${mode}seed ${seed}, ${result.plans.length} episodes`);
  const roleplay = result.played.filter((p) => p.plan.suite === "roleplay");
  if (roleplay.length) out.push("", violationTable(rateRows(roleplay), roleplay.length));
  const groups = collusionRateGroups(result.played);
  if (groups.length) out.push("", collusionTable(groups));
  if (result.toolUse.length) out.push("", toolUseTable(toolUseRates(result.toolUse.map((p) => p.transcript)), result.toolUse.length));
  process.stdout.write(out.join("\n") + "\n");
  process.stderr.write(`atp: run ${result.runId} stored in ${db}; finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const { truncated, empty } = result.stats;
  if (truncated > 0) {
    const how = result.config.scoreTruncated ? "scored as they are (--score-truncated)" : "not scored; score them with --score-truncated";
    process.stderr.write(`atp: ${truncated} answers were cut off at the token limit (${how}); raise the limit with --max-tokens\n`);
  }
  if (empty > 0) process.stderr.write(`atp: ${empty} answers were empty (no content and no tool calls) and were not scored\n`);
  if (cached > 0) {
    process.stderr.write(`atp: ${calls} calls answered, ${cached} from the cache; a run with --no-cache asks the model again\n`);
  }
  if (result.failed.length) {
    const shown = result.failed.slice(0, 5).map((f) => `  ${f.plan.key} (repeat ${f.plan.repeat}): ${f.error}`);
    process.stderr.write(
      `atp: ${result.failed.length} episodes failed after their retries (they are not in the tables):\n${shown.join("\n")}\n` +
        `atp: retry them with: atp resume ${result.runId} --db ${db} --retry-errors\n`,
    );
    process.exitCode = 1;
  }
}
