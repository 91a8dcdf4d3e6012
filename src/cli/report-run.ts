import { setMaxListeners } from "node:events";
import { reportOf } from "../report/measure-report.js";
import { findTestbed, registeredTestbeds } from "../testbeds/registry.js";
import type { RunHooks, RunResult } from "../run/execute.js";
import type { LockOwner } from "../store/lock.js";
import { signalExitCode, type Io } from "./io.js";
import { Progress } from "./progress.js";

/** The end of a session: where the run is, what this session asked, and how to look at it. */
function summary(p: Progress, result: RunResult, db: string): string {
  const { runId } = result;
  const parts = [`${p.cached} from the cache`, `${p.retriedCalls} needed a retry`, `${p.failedCalls} failed`];
  const { truncated, empty } = result.stats;
  const how = result.config.scoreTruncated ? "scored as they are (--score-truncated)" : "not scored; score them with --score-truncated";
  const tokens = p.tokensKnown ? `, ${p.promptTokens} tokens in, ${p.completionTokens} out` : "";
  const lines = [
    `atp: run ${runId} stored in ${db}: ${p.calls} calls this session (${parts.join(", ")})${tokens}, wall time ${p.seconds.toFixed(1)} s`,
    ...(truncated > 0 ? [`atp: ${truncated} answers were cut off at the token limit (${how}); raise the limit with --max-tokens`] : []),
    ...(empty > 0 ? [`atp: ${empty} answers were empty (no content and no tool calls) and were not scored`] : []),
    ...(p.cached ? [`atp: ${p.cached} of ${p.calls} calls were answered from the store's cache; a run with --no-cache asks the model again`] : []),
    `atp: see it with \`atp report ${runId} --db ${db}\` or \`atp view --db ${db}\``,
  ];
  return lines.map((l) => l + "\n").join("");
}

/** Says whose lock a writer took over, so a takeover is never silent. */
export function tookOver(what: string, owner: LockOwner): string {
  return `${what} was held by pid ${owner.pid} on ${owner.host} since ${owner.since}, which is gone; taking it over`;
}

/**
 * Plays a stored run (a run or a pair run) with a signal that the first Ctrl-C or SIGTERM aborts:
 * the run stops cleanly, is marked interrupted and says how to continue it (src/run/lifecycle.ts);
 * a second one quits at once. `onStop` ends the progress line before the notice.
 */
export async function untilStopped<T>(io: Io, onStop: () => void, play: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  // Every call in flight listens for the stop.
  setMaxListeners(0, stop.signal);
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(signalExitCode(signal));
    onStop();
    io.stderr.write(`atp: ${signal}: stopping, calls in flight are abandoned (Ctrl-C again quits at once)\n`);
    stop.abort(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await play(stop.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * Plays a run (new or resumed) with progress on stderr, then prints the tables on stdout. A run
 * with failed episodes exits 1 and says how to retry them.
 */
export async function reportRun(io: Io, db: string, play: (hooks: RunHooks) => Promise<RunResult>): Promise<void> {
  let progress: Progress | undefined;
  const result = await untilStopped(
    io,
    () => progress?.finish(),
    (signal) =>
      play({
        signal,
        onStart: ({ runId, episodes, remaining, resumed, work, takenOver }) => {
          if (takenOver) io.stderr.write(`atp: ${tookOver(`run ${runId}`, takenOver)}\n`);
          if (resumed) io.stderr.write(`atp: continuing run ${runId}: ${episodes - remaining} of ${episodes} episodes already finished\n`);
          progress = new Progress(work, io.stderr);
        },
        onWork: (done, total) => progress?.work(done, total),
        onCall: (meta) => progress?.call(meta),
        onEpisode: (outcome) => progress?.episode(outcome.error !== undefined),
        onProviderEvent: (event) => progress?.providerEvent(event),
      }),
  );
  progress?.finish();
  const out: string[] = [];
  const { suite, parity, seed } = result.config;
  // A testbed the reference code does not have has no parity mode to name.
  const mode = findTestbed(suite)?.withoutParity ? "" : `parity ${parity}, `;
  out.push(`atp run ${suite}: run ${result.runId}, model ${result.model}, ${mode}seed ${seed}, ${result.plans.length} episodes`);
  const { finished } = result;
  for (const testbed of registeredTestbeds()) {
    const mine = finished.filter((p) => p.plan.suite === testbed.id);
    const table = reportOf(testbed)?.table;
    if (mine.length && table) out.push("", table(mine));
  }
  io.stdout.write(out.join("\n") + "\n");
  // onStart comes before the first call, so every finished session has its progress.
  io.stderr.write(summary(progress!, result, db));
  if (result.failed.length) {
    const shown = result.failed.slice(0, 5).map((f) => `  ${f.plan.key} (repeat ${f.plan.repeat}): ${f.error}`);
    io.stderr.write(
      `atp: ${result.failed.length} episodes failed after their retries (they are not in the tables):\n${shown.join("\n")}\n` +
        `atp: retry them with: atp resume ${result.runId} --db ${db} --retry-errors\n`,
    );
    io.exitCode = 1;
  }
}
