/**
 * One stored run, read whole and summarized: what the report and the web viewer both start
 * from. Reading only: a missing store file is refused instead of created.
 */
import { InputError } from "../core/errors.js";
import { summarize, type RunSummary } from "../metrics/run-summary.js";
import { episodeId, type FailedCall } from "../metrics/rates.js";
import { registeredTestbeds, transcriptRounds, type RunPlan } from "../testbeds/registry.js";
import type { Testbed } from "../testbed/contract.js";
import { RunStore, type CallStats, type EpisodeState, type RunRecord } from "../store/store.js";
import type { TranscriptEpisode } from "../transcript/types.js";
import type { FinishedEpisode } from "./sections.js";

export interface EpisodeCounts {
  planned: number;
  done: number;
  failed: number;
  /** Pending or running: the run was interrupted or is still going. */
  unfinished: number;
}

/** One testbed's episodes in a run. */
export interface TestbedEpisodes {
  testbed: Testbed<RunPlan>;
  /** Its planned episodes, in plan order. */
  plans: RunPlan[];
  /** Its finished episodes, in plan order. */
  played: FinishedEpisode<RunPlan>[];
}

export interface LoadedRun {
  run: RunRecord;
  /** The testbeds the run plays, in the registry's order. */
  testbeds: TestbedEpisodes[];
  /** One entry per failed episode, with the error that stopped it. */
  failed: FailedCall[];
  episodes: EpisodeCounts;
  /** Each testbed's section, by id (`summarize(played, { plans, failed })`): planned episodes not finished count as missing decisions. */
  summary: RunSummary;
  stats: CallStats;
}

/**
 * Loads run `runId` from a store file (opened and closed here) or an open store (left open).
 * Unknown files and runs are InputErrors that say how to list the runs.
 */
export function loadRun(db: string | RunStore, runId: string): LoadedRun {
  if (typeof db === "string") {
    const store = RunStore.open(db, { mustExist: true });
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
  return summarizeStored(run, store.loadRunPlans(runId), store.episodeStates(runId), store.exportTranscript(runId), store.callStats(runId));
}

/**
 * A stored run summarized from what was read of it: every plan, every episode's state, the
 * transcripts of the finished episodes and the call stats. Pure, so a reader that has these
 * already (the viewer) summarizes without reading the run again.
 */
export function summarizeStored(run: RunRecord, all: RunPlan[], states: EpisodeState[], finished: TranscriptEpisode[], stats: CallStats): LoadedRun {
  const byId = new Map(all.map((p) => [episodeId(p.key, p.repeat), p]));
  const testbeds: TestbedEpisodes[] = registeredTestbeds()
    .map((testbed) => ({ testbed, plans: all.filter((p) => p.suite === testbed.id), played: [] }))
    .filter((t) => t.plans.length > 0);
  const ofSuite = new Map(testbeds.map((t) => [t.testbed.id, t]));
  for (const transcript of finished) {
    const plan = byId.get(episodeId(transcript.episode, transcript.repeat ?? 0))!;
    ofSuite.get(plan.suite)!.played.push({ plan, transcript });
  }
  const failed: FailedCall[] = states
    .filter((s) => s.status === "failed")
    .map((s) => {
      // The round in progress when it failed is the first one not saved (0-based, like transcripts;
      // a tool-use episode's transcript rounds are its problems).
      const inRound = s.roundsSaved < transcriptRounds(all[s.idx]);
      return { key: s.key, repeat: s.repeat, ...(inRound ? { round: s.roundsSaved } : {}), error: s.error ?? "unknown error" };
    });
  const done = states.filter((s) => s.status === "done").length;
  return {
    run,
    testbeds,
    failed,
    episodes: { planned: all.length, done, failed: failed.length, unfinished: all.length - done - failed.length },
    summary: summarize(testbeds.flatMap((t) => t.played), { plans: all, failed }),
    stats,
  };
}
