/**
 * One run from settings to a finished store entry: load the scenarios, plan the grid, make the
 * agent, create (or continue) the run in the store, play, write the transcript. Everything that
 * can be wrong with the input is checked before the first call, so a bad run fails fast and
 * writes nothing.
 */
import { randomBytes } from "node:crypto";
import { createAgent } from "../agents/registry.js";
import type { Agent } from "../agents/types.js";
import { InputError, RunStopped } from "../core/errors.js";
import { checkOutputFile } from "../core/files.js";
import { isPaperName, resolvePaperPath } from "../scenarios/fetch.js";
import { loadDataset } from "../scenarios/load.js";
import type { Dataset } from "../scenarios/types.js";
import type { LockOwner } from "../store/lock.js";
import { RunStore, type CallMeta, type CallStats } from "../store/store.js";
import { writeTranscript } from "../transcript/write.js";
import { VERSION } from "../version.js";
import { configFromRecord, configRecord, DEFAULT_MODEL, historyReasoningOf, notPlayedReason, playedTestbeds, type RunConfig } from "./config.js";
import type { Played } from "../metrics/rates.js";
import { callsPerRound, registeredTestbeds, transcriptRounds, type RunPlan } from "../testbeds/registry.js";
import { runPlan, type EpisodeOutcome } from "./runner.js";
import { lostCredentials, storedEndpoint } from "../providers/errors.js";
import type { ProviderEvent } from "../providers/types.js";

/**
 * What a run's progress counts: calls when every round's calls are known in advance, else
 * rounds (a tool-use problem takes from one call to its calculator limit plus one).
 */
export interface Work {
  unit: "calls" | "rounds";
  /** Left to do in this session: the unsaved rounds of the episodes it plays. */
  total: number;
}

export interface RunHooks {
  /** Called once the plan is known, before the first call. */
  /** `takenOver`: the writer that held the run's lock and is gone (src/store/lock.ts). */
  onStart?: (info: { runId: string; episodes: number; remaining: number; resumed: boolean; work: Work; takenOver: LockOwner | null }) => void;
  /** Called as rounds are saved, and when a failed episode drops the rest of its work from the total. */
  onWork?: (done: number, total: number) => void;
  onEpisode?: (outcome: EpisodeOutcome, done: number, total: number) => void;
  onCall?: (meta: CallMeta) => void;
  /** A model call was retried (server error, timeout, rate limit) or gave up. */
  onProviderEvent?: (event: ProviderEvent) => void;
  /** Aborted with a signal's name (SIGINT, SIGTERM): the run stops, is marked interrupted and throws RunStopped. */
  signal?: AbortSignal;
}

export interface RunResult {
  runId: string;
  config: RunConfig;
  model: string;
  plans: RunPlan[];
  /** Finished episodes of every testbed, in plan order. */
  finished: Played[];
  /** Episodes that stopped on a failed call. */
  failed: { plan: RunPlan; error: string }[];
  /** The run's calls over all its sessions: retries, cut-off and empty answers. */
  stats: CallStats;
}

/** Loads scenario files; `paper:` names resolve to the files `atp data fetch paper` cached. */
export function loadDatasets(names: string[]): Dataset[] {
  return names.map((name) => loadDataset(isPaperName(name) ? resolvePaperPath(name) : name));
}

/**
 * A scenario file for a testbed the run does not play would be ignored while the run's record
 * lists it: refuse it. `where` names the setting the file came from (a flag or a run file's field).
 */
export function checkDatasets(config: RunConfig, names: string[], datasets: Dataset[], where = "--dataset"): void {
  const played = playedTestbeds(config);
  datasets.forEach((d, i) => {
    // Every kind of scenario file is some testbed's (src/scenarios/load.ts tells only those apart).
    const testbed = registeredTestbeds().find((t) => t.datasetKinds.includes(d.kind))!;
    const file = d.file === names[i] ? "" : ` (${d.file})`;
    if (!played.includes(testbed)) throw new InputError(`${where} ${names[i]}${file}: holds ${d.kind.replace("-", " ")}, for ${notPlayedReason(config, testbed)}`);
  });
}

/** Every episode the run plays: each testbed's in the registry's order, the first `limit` of each with --limit. */
export function planAll(config: RunConfig, datasets: Dataset[]): RunPlan[] {
  const context = { datasets, parity: config.parity, repeats: config.repeats };
  return playedTestbeds(config).flatMap((testbed) => {
    const plans = testbed.plan(config.testbeds[testbed.id], context);
    return config.limit == null ? plans : plans.slice(0, config.limit);
  });
}

/** The run's plan from its settings and scenario files; `datasetsFrom` names where the files were given. */
export function loadPlan(config: RunConfig, datasetsFrom?: string): RunPlan[] {
  const datasets = loadDatasets(config.datasets);
  checkDatasets(config, config.datasets, datasets, datasetsFrom);
  return planAll(config, datasets);
}

/** A new run id: sortable by time, with a random tail so two runs in one second differ. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

/** What must match for `--run-id` to continue an existing run: everything that shapes the answers. */
function fingerprint(config: RunConfig, plans: RunPlan[]): string {
  return JSON.stringify({ model: config.model ?? DEFAULT_MODEL, sampling: config.sampling, seed: config.seed, historyReasoning: historyReasoningOf(config), plans });
}

function makeAgent(config: RunConfig, hooks: RunHooks): Promise<Agent> {
  return createAgent(config.model ?? DEFAULT_MODEL, { ...config.provider, sampling: config.sampling, onEvent: hooks.onProviderEvent, checkEndpoints: true });
}

/** The settings as stored: keys written into base URLs are masked, like OPENAI_API_KEY they never reach the store. */
function storedConfig(config: RunConfig): Record<string, unknown> {
  return configRecord({ ...config, provider: { ...config.provider, baseUrls: config.provider.baseUrls.map(storedEndpoint) } });
}

/** Starts a run, or continues the run `config.runId` names when the store already has it. */
export async function executeRun(config: RunConfig, hooks: RunHooks = {}, datasetsFrom?: string): Promise<RunResult> {
  if (config.transcript) checkOutputFile(config.transcript, "--transcript", "transcript.jsonl");
  const plans = loadPlan(config, datasetsFrom);
  const agent = await makeAgent(config, hooks);
  try {
    // Opened after the endpoint check, so a run refused there leaves no store behind.
    const store = RunStore.open(config.db);
    try {
      const runId = config.runId ?? newRunId();
      const { takenOver } = store.lock("run", runId);
      const existing = store.getRun(runId);
      if (existing) {
        const stored = configFromRecord(existing.config as Record<string, unknown>);
        if ((stored.limit ?? null) !== config.limit) {
          throw new InputError(
            `--limit: run ${runId} was started with ${stored.limit == null ? "no --limit" : `--limit ${stored.limit}`}, which is part of its record; ` +
              `\`atp resume ${runId}\` continues that plan. For another limit start a new run: calls it shares with this one come from the cache`,
          );
        }
        if (fingerprint(stored, store.loadRunPlans(runId)) !== fingerprint(config, plans)) {
          throw new InputError(
            `--run-id ${runId}: the store ${config.db} already has this run with other settings; ` +
              `continue it with \`atp resume ${runId}\`, or choose another --run-id`,
          );
        }
      } else {
        store.createRun({
          id: runId,
          suite: config.suite,
          model: config.model ?? DEFAULT_MODEL,
          seed: config.seed,
          parity: config.parity,
          config: storedConfig(config),
          versions: { "atp-testbed": VERSION, node: process.version, ...store.libraryVersions() },
          plans,
        });
      }
      return await continueRun(store, runId, agent, config, Boolean(existing), false, takenOver, hooks);
    } finally {
      store.close();
    }
  } finally {
    await agent.close?.();
  }
}

export interface ResumeOptions {
  db: string;
  retryErrors: boolean;
  /** Server settings may change between sessions (a server moved, a new rate limit). */
  provider?: Partial<RunConfig["provider"]>;
  transcript?: string | null;
  /** Score cut-off answers from now on (the run's setting otherwise). */
  scoreTruncated?: boolean;
}

/** Continues a stored run where it stopped, with the settings it was started with. */
export async function resumeRun(runId: string, options: ResumeOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const store = RunStore.open(options.db, { mustExist: true });
  try {
    const run = store.getRun(runId);
    if (!run) throw new InputError(`resume: no run '${runId}' in ${options.db} (\`atp runs --db ${options.db}\` lists them)`);
    const { takenOver } = store.lock("run", runId);
    const stored = configFromRecord(run.config as Record<string, unknown>);
    if (options.provider?.baseUrls === undefined && stored.provider.baseUrls.some(lostCredentials)) {
      throw new InputError(`resume: run '${runId}' was started with a key in --base-url, which is not stored; give --base-url again`);
    }
    const config: RunConfig = {
      ...stored,
      provider: { ...stored.provider, ...Object.fromEntries(Object.entries(options.provider ?? {}).filter(([, v]) => v !== undefined)) },
      transcript: options.transcript === undefined ? stored.transcript : options.transcript,
      scoreTruncated: options.scoreTruncated ?? stored.scoreTruncated ?? false,
      db: options.db,
    };
    if (config.transcript) checkOutputFile(config.transcript, "--transcript", "transcript.jsonl");
    const agent = await makeAgent(config, hooks);
    try {
      return await continueRun(store, runId, agent, config, true, options.retryErrors, takenOver, hooks);
    } finally {
      await agent.close?.();
    }
  } finally {
    store.close();
  }
}

/** Marks a stopped run interrupted and says what it has saved and how to continue it. */
function stopped(store: RunStore, runId: string, db: string, signal: NodeJS.Signals): RunStopped {
  store.setRunStatus(runId, "interrupted");
  const states = store.episodeStates(runId);
  const finished = states.filter((s) => s.status === "done").length;
  const rounds = states.reduce((n, s) => n + s.roundsSaved, 0);
  return new RunStopped(
    `stopped by ${signal}: run ${runId} has ${finished} of ${states.length} episodes finished and ${rounds} rounds saved in ${db}; ` +
      `calls in flight were abandoned.\n     Continue it with: atp resume ${runId} --db ${db}`,
    signal,
  );
}

async function continueRun(
  store: RunStore,
  runId: string,
  agent: Agent,
  config: RunConfig,
  resumed: boolean,
  retryErrors: boolean,
  takenOver: LockOwner | null,
  hooks: RunHooks,
): Promise<RunResult> {
  if (retryErrors) store.resetFailed(runId);
  const plans = store.loadRunPlans(runId);
  const states = store.episodeStates(runId);
  // Finished episodes are never asked again; failed ones wait for --retry-errors.
  const skip = new Set(states.filter((s) => s.status === "done" || s.status === "failed").map((s) => s.idx));
  store.setRunStatus(runId, "running");
  const todo = states.filter((s) => !skip.has(s.idx));
  const unit: Work["unit"] = todo.some((s) => callsPerRound(plans[s.idx]) === null) ? "rounds" : "calls";
  const perRound = (plan: RunPlan) => (unit === "calls" ? callsPerRound(plan)! : 1);
  // Work left per episode, so a failed episode can take the rest of its work off the total.
  const left = new Map(todo.map((s) => [plans[s.idx], (transcriptRounds(plans[s.idx]) - s.roundsSaved) * perRound(plans[s.idx])]));
  let total = [...left.values()].reduce((a, b) => a + b, 0);
  let done = 0;
  hooks.onStart?.({ runId, episodes: plans.length, remaining: plans.length - skip.size, resumed, work: { unit, total }, takenOver });
  const outcomes = await runPlan(
    plans,
    agent,
    {
      seed: config.seed,
      signal: hooks.signal,
      store: { store, runId },
      cache: config.cache ? store : undefined,
      onCall: hooks.onCall,
      onRound: (plan) => {
        done += perRound(plan);
        left.set(plan, left.get(plan)! - perRound(plan));
        hooks.onWork?.(done, total);
      },
      onEpisode: (outcome, n, of) => {
        if (outcome.error !== undefined) {
          total -= left.get(outcome.plan)!;
          hooks.onWork?.(done, total);
        }
        hooks.onEpisode?.(outcome, n, of);
      },
      // Runs stored before these settings existed read as their defaults.
      scoreTruncated: config.scoreTruncated ?? false,
      historyReasoning: historyReasoningOf(config),
    },
    skip,
  );

  if (hooks.signal?.aborted) throw stopped(store, runId, config.db, hooks.signal.reason as NodeJS.Signals);
  const finalStates = store.episodeStates(runId);
  const failed = finalStates.filter((s) => s.status === "failed").map((s) => ({ plan: plans[s.idx], error: s.error ?? "unknown error" }));
  store.setRunStatus(runId, failed.length ? "failed" : "done");
  // Episodes played now are in memory; only those finished in earlier sessions are read back.
  const finishedBefore = states.some((s) => s.status === "done");
  const transcripts = finishedBefore ? store.exportTranscript(runId) : outcomes.flatMap((o) => (o.transcript ? [o.transcript] : []));
  if (config.transcript) writeTranscript(config.transcript, transcripts);
  const byKey = new Map(plans.map((p) => [`${p.key}#${p.repeat}`, p]));
  const finished = transcripts.map((transcript): Played => ({ plan: byKey.get(`${transcript.episode}#${transcript.repeat ?? 0}`)!, transcript }));
  return { runId, config, model: config.model ?? DEFAULT_MODEL, plans, finished, failed, stats: store.callStats(runId) };
}
