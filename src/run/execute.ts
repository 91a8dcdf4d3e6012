/**
 * One run from settings to a finished store entry: load the scenarios, plan the grid, make the
 * agent, create (or continue) the run in the store, play, write the transcript. Everything that
 * can be wrong with the input is checked before the first call, so a bad run fails fast and
 * writes nothing.
 */
import { createAgent } from "../agents/registry.js";
import type { Agent } from "../agents/types.js";
import { InputError } from "../core/errors.js";
import { checkOutputFile } from "../core/files.js";
import { isPaperName, resolvePaperPath } from "../scenarios/fetch.js";
import { loadDataset } from "../scenarios/load.js";
import type { Dataset } from "../scenarios/types.js";
import type { LockOwner } from "../store/lock.js";
import type { CallMeta, CallStats, EpisodeState, RunRecord } from "../store/store.js";
import { writeTranscript } from "../transcript/write.js";
import { VERSION } from "../version.js";
import { configFromRecord, configRecord, DEFAULT_MODEL, historyReasoningOf, notPlayedReason, playedTestbeds, type RunConfig } from "./config.js";
import type { Played } from "../metrics/rates.js";
import { callsPerRound, registeredTestbeds, transcriptRounds, type RunPlan } from "../testbeds/registry.js";
import { runPlan, type EpisodeOutcome } from "./runner.js";
import { createOrContinue, playRun, withRun, type Session, type StoredRunKind } from "./lifecycle.js";
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

/** A run of `atp run` and `atp resume`, as its lifecycle (src/run/lifecycle.ts) handles it. */
const RUN: StoredRunKind<RunRecord> = {
  lock: "run",
  find: (store, runId) => store.getRun(runId),
  setStatus: (store, runId, status) => store.setRunStatus(runId, status),
  saved: (store, runId) => {
    const states = store.episodeStates(runId);
    const finished = states.filter((s) => s.status === "done").length;
    const rounds = states.reduce((n, s) => n + s.roundsSaved, 0);
    return `${finished} of ${states.length} episodes finished and ${rounds} rounds`;
  },
  settingsListed: "",
  howToContinue: (runId) => `continue it with \`atp resume ${runId}\``,
  continueLine: (runId, db) => `Continue it with: atp resume ${runId} --db ${db}`,
};

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
    return await withRun(RUN, config.db, config.runId, {}, (session) => {
      const { store, runId, existing } = session;
      const stored = existing && configFromRecord(existing.config as Record<string, unknown>);
      if (stored && (stored.limit ?? null) !== config.limit) {
        throw new InputError(
          `--limit: run ${runId} was started with ${stored.limit == null ? "no --limit" : `--limit ${stored.limit}`}, which is part of its record; ` +
            `\`atp resume ${runId}\` continues that plan. For another limit start a new run: calls it shares with this one come from the cache`,
        );
      }
      createOrContinue(session, RUN, {
        sameSettings: () => fingerprint(stored!, store.loadRunPlans(runId)) === fingerprint(config, plans),
        create: () =>
          store.createRun({
            id: runId,
            suite: config.suite,
            model: config.model ?? DEFAULT_MODEL,
            seed: config.seed,
            parity: config.parity,
            config: storedConfig(config),
            versions: { "atp-testbed": VERSION, node: process.version, ...store.libraryVersions() },
            plans,
          }),
      });
      return continueRun(session, agent, config, false, hooks);
    });
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
  return withRun(RUN, options.db, runId, { mustExist: true }, async (session) => {
    const run = session.existing;
    if (!run) throw new InputError(`resume: no run '${runId}' in ${options.db} (\`atp runs --db ${options.db}\` lists them)`);
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
      return await continueRun(session, agent, config, options.retryErrors, hooks);
    } finally {
      await agent.close?.();
    }
  });
}

async function continueRun(session: Session<RunRecord>, agent: Agent, config: RunConfig, retryErrors: boolean, hooks: RunHooks): Promise<RunResult> {
  const { store, runId } = session;
  if (retryErrors) store.resetFailed(runId);
  const plans = store.loadRunPlans(runId);
  const states = store.episodeStates(runId);
  // Finished episodes are never asked again; failed ones wait for --retry-errors.
  const skip = new Set(states.filter((s) => s.status === "done" || s.status === "failed").map((s) => s.idx));
  const { outcomes, failed } = await playRun(session, RUN, hooks.signal, () => playEpisodes(session, plans, states, skip, agent, config, hooks), (r) => r.failed.length > 0);
  // Episodes played now are in memory; only those finished in earlier sessions are read back.
  const finishedBefore = states.some((s) => s.status === "done");
  const transcripts = finishedBefore ? store.exportTranscript(runId) : outcomes.flatMap((o) => (o.transcript ? [o.transcript] : []));
  if (config.transcript) writeTranscript(config.transcript, transcripts);
  const byKey = new Map(plans.map((p) => [`${p.key}#${p.repeat}`, p]));
  const finished = transcripts.map((transcript): Played => ({ plan: byKey.get(`${transcript.episode}#${transcript.repeat ?? 0}`)!, transcript }));
  return { runId, config, model: config.model ?? DEFAULT_MODEL, plans, finished, failed, stats: store.callStats(runId) };
}

/** Plays the episodes not in `skip` with progress through the hooks; the failed ones are those the store holds as failed after. */
async function playEpisodes(
  session: Session<RunRecord>,
  plans: RunPlan[],
  states: EpisodeState[],
  skip: ReadonlySet<number>,
  agent: Agent,
  config: RunConfig,
  hooks: RunHooks,
): Promise<{ outcomes: EpisodeOutcome[]; failed: RunResult["failed"] }> {
  const { store, runId, takenOver } = session;
  const resumed = session.existing !== undefined;
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
  const failed = store
    .episodeStates(runId)
    .filter((s) => s.status === "failed")
    .map((s) => ({ plan: plans[s.idx], error: s.error ?? "unknown error" }));
  return { outcomes, failed };
}
