/**
 * One stored run, read whole and summarized: what the report and the web viewer both start
 * from. Reading only: a missing store file is refused instead of created.
 */
import { existsSync } from "node:fs";
import { InputError } from "../core/errors.js";
import { summarize, type RunSummary } from "../metrics/summary.js";
import { episodeId, type FailedCall, type PlayedEpisode } from "../metrics/rates.js";
import type { EpisodePlan } from "../run/plan.js";
import { RunStore, type CallStats, type RunRecord } from "../store/store.js";

export interface EpisodeCounts {
  planned: number;
  done: number;
  failed: number;
  /** Pending or running: the run was interrupted or is still going. */
  unfinished: number;
}

export interface LoadedRun {
  run: RunRecord;
  /** Every planned episode, in plan order. */
  plans: EpisodePlan[];
  /** Finished episodes, in plan order. */
  played: PlayedEpisode[];
  /** One entry per failed episode, with the error that stopped it. */
  failed: FailedCall[];
  episodes: EpisodeCounts;
  /** `summarize(played, { plans, failed })`: planned episodes not finished count as missing decisions. */
  summary: RunSummary;
  stats: CallStats;
}

/**
 * Loads run `runId` from a store file (opened and closed here) or an open store (left open).
 * Unknown files and runs are InputErrors that say how to list the runs.
 */
export function loadRun(db: string | RunStore, runId: string): LoadedRun {
  if (typeof db === "string") {
    if (!existsSync(db)) throw new InputError(`no run store at ${db} (give the file a run was stored in with --db)`);
    const store = RunStore.open(db);
    try {
      return loadFrom(store, runId, db);
    } finally {
      store.close();
    }
  }
  return loadFrom(db, runId, db.db.name);
}

function loadFrom(store: RunStore, runId: string, where: string): LoadedRun {
  // One read transaction: a run that is still writing is seen between two rounds, never inside one.
  return store.db.transaction(() => snapshot(store, runId, where))();
}

function snapshot(store: RunStore, runId: string, where: string): LoadedRun {
  const run = store.getRun(runId);
  if (!run) throw new InputError(`no run '${runId}' in ${where} (list the runs with \`atp runs --db ${where}\`)`);
  const plans = store.loadPlans(runId);
  const states = store.episodeStates(runId);
  const byId = new Map(plans.map((p) => [episodeId(p.key, p.repeat), p]));
  const played = store
    .exportTranscript(runId)
    .map((transcript) => ({ plan: byId.get(episodeId(transcript.episode, transcript.repeat ?? 0))!, transcript }));
  const failed: FailedCall[] = states
    .filter((s) => s.status === "failed")
    .map((s) => {
      // The round in progress when it failed is the first one not saved (0-based, like transcripts).
      const inRound = s.roundsSaved < plans[s.idx].settings.rounds;
      return { key: s.key, repeat: s.repeat, ...(inRound ? { round: s.roundsSaved } : {}), error: s.error ?? "unknown error" };
    });
  const done = states.filter((s) => s.status === "done").length;
  return {
    run,
    plans,
    played,
    failed,
    episodes: { planned: plans.length, done, failed: failed.length, unfinished: plans.length - done - failed.length },
    summary: summarize(played, { plans, failed }),
    stats: store.callStats(runId),
  };
}
