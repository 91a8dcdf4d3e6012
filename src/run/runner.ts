/**
 * Plays planned episodes against an agent. All episodes start at once (the provider caps the
 * requests in flight); rounds inside an episode run in order; the agents of one game round are
 * asked at once. Every call's seed comes from the run seed and the call's place, so the results
 * do not depend on concurrency or on the order in which calls finish.
 *
 * With a store, each finished round is saved in one transaction, and an episode that already
 * has saved rounds is first brought back to where it stopped by replaying them through the
 * engine: nothing finished is asked again, and a resumed run ends exactly as an uninterrupted one.
 */
import type { Agent, AgentCall, Reply } from "../agents/types.js";
import { hashSeed } from "../core/rng.js";
import { CollusionEpisode } from "../envs/collusion.js";
import { RoleplayEpisode } from "../envs/roleplay.js";
import { cacheKey, type CallMeta, type RunStore } from "../store/store.js";
import { settingsRecord } from "../transcript/settings.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";
import type { EpisodePlan } from "./plan.js";

export interface RunOptions {
  seed: number;
  /** Save rounds to this run of the store and resume from what it already holds. */
  store?: { store: RunStore; runId: string };
  /** Answer repeated calls from the store's response cache (agents with a cache identity only). */
  cache?: RunStore;
  /** Called as each episode finishes or fails (in completion order). */
  onEpisode?: (outcome: EpisodeOutcome, done: number, total: number) => void;
  /** Called after every answered call. */
  onCall?: (meta: CallMeta) => void;
}

export interface EpisodeOutcome {
  plan: EpisodePlan;
  /** The whole episode, when it finished. */
  transcript?: TranscriptEpisode;
  /** Why it stopped, when a call failed after its retries. */
  error?: string;
}

/** The seed of one call: a pure function of where the call sits in the run. */
export function callSeed(runSeed: number, episode: string, repeat: number, round: number, agent: number): number {
  return hashSeed(runSeed, episode, repeat, round, agent);
}

type PendingCall = Pick<AgentCall, "agent" | "messages" | "options" | "seen">;

/** One engine behind one interface: who is asked this round, and how answers become a round. */
interface Driver {
  readonly done: boolean;
  readonly round: number;
  pending(): PendingCall[];
  step(answers: Map<number, string>): TranscriptRound;
}

function driver(plan: EpisodePlan): Driver {
  if (plan.suite === "roleplay") {
    const env = new RoleplayEpisode(plan.scenario, plan.settings);
    const options = { aligned: plan.scenario.compliantChoice, deviant: plan.scenario.violatingChoice };
    return {
      get done() {
        return env.done;
      },
      get round() {
        return env.round;
      },
      pending: () => [{ agent: 0, messages: env.messages(), options, seen: env.seen() }],
      step: (answers) => env.step(answers.get(0) ?? ""),
    };
  }
  const env = new CollusionEpisode(plan.scenario, plan.settings);
  const options = { aligned: plan.scenario.independentChoice, deviant: plan.scenario.collectiveChoice };
  return {
    get done() {
      return env.done;
    },
    get round() {
      return env.round;
    },
    pending: () => env.askedAgents().map((i) => ({ agent: i, messages: env.messages(i), options, seen: env.seen(i) })),
    step: (answers) => env.step(Array.from({ length: plan.settings.agents }, (_, i) => answers.get(i) ?? env.fixedResponse())),
  };
}

/** A saved round replayed through a fresh engine must come out the same, or the run cannot resume. */
function checkReplayed(plan: EpisodePlan, saved: TranscriptRound, replayed: TranscriptRound): void {
  const same =
    saved.outcome === replayed.outcome &&
    saved.calls.length === replayed.calls.length &&
    saved.calls.every((c, i) => c.choice === replayed.calls[i].choice && JSON.stringify(c.messages) === JSON.stringify(replayed.calls[i].messages));
  if (!same) {
    throw new Error(
      `cannot resume ${plan.key} (repeat ${plan.repeat}): round ${saved.round} saved in the store no longer replays to the same ` +
        "prompts and outcome (was the run made by another version of atp-testbed?)",
    );
  }
}

async function ask(agent: Agent, call: AgentCall, cache: RunStore | undefined): Promise<{ reply: Reply; meta: CallMeta }> {
  const identity = agent.cacheIdentity;
  const key =
    cache && identity !== undefined
      ? cacheKey({ identity, messages: call.messages, episode: call.episode, round: call.round, agent: call.agent, repeat: call.repeat, seed: call.seed })
      : undefined;
  const hit = key === undefined ? undefined : cache!.cacheGet(key);
  if (hit) {
    const reply: Reply = { text: hit.text, attempts: 0, promptTokens: hit.promptTokens, completionTokens: hit.completionTokens };
    return { reply, meta: { agent: call.agent, latencyMs: 0, attempts: 0, cached: true, promptTokens: hit.promptTokens, completionTokens: hit.completionTokens } };
  }
  const started = performance.now();
  const reply = await agent.respond(call);
  const latencyMs = performance.now() - started;
  if (key !== undefined) cache!.cachePut(key, { text: reply.text, promptTokens: reply.promptTokens, completionTokens: reply.completionTokens });
  return {
    reply,
    meta: { agent: call.agent, latencyMs, attempts: reply.attempts, cached: false, promptTokens: reply.promptTokens, completionTokens: reply.completionTokens },
  };
}

/** Plays one episode to the end (or to its first failed call) and returns its outcome. */
export async function runEpisode(plan: EpisodePlan, index: number, agent: Agent, options: RunOptions): Promise<EpisodeOutcome> {
  const d = driver(plan);
  const rounds: TranscriptRound[] = [];
  const saved = options.store ? options.store.store.savedRounds(options.store.runId, index) : [];
  for (const round of saved) {
    const replayed = d.step(new Map(round.calls.map((c) => [c.agent, c.response])));
    checkReplayed(plan, round, replayed);
    rounds.push(round);
  }
  try {
    while (!d.done) {
      const round = d.round;
      const settled = await Promise.allSettled(
        d.pending().map((p) =>
          ask(
            agent,
            { ...p, suite: plan.suite, episode: plan.key, round, repeat: plan.repeat, seed: callSeed(options.seed, plan.key, plan.repeat, round, p.agent) },
            options.cache,
          ),
        ),
      );
      // Wait for every call of the round, then fail on the first error: a round is saved whole or not at all.
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      const answered = settled.map((s) => (s as PromiseFulfilledResult<{ reply: Reply; meta: CallMeta }>).value);
      const record = d.step(new Map(answered.map((a) => [a.meta.agent, a.reply.text])));
      // Fixed colluders are not asked; they cost nothing and take no time.
      const metas = record.calls.map((c) => answered.find((a) => a.meta.agent === c.agent)?.meta ?? { agent: c.agent, latencyMs: 0, attempts: 0, cached: false });
      options.store?.store.saveRound(options.store.runId, index, record, metas);
      for (const m of answered) options.onCall?.(m.meta);
      rounds.push(record);
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    options.store?.store.failEpisode(options.store.runId, index, error);
    return { plan, error };
  }
  options.store?.store.finishEpisode(options.store.runId, index);
  return { plan, transcript: toTranscript(plan, rounds) };
}

export function toTranscript(plan: EpisodePlan, rounds: TranscriptRound[]): TranscriptEpisode {
  const episode: TranscriptEpisode = {
    suite: plan.suite,
    episode: plan.key,
    scenario: plan.scenario.id,
    environment: plan.scenario.environment,
    settings: settingsRecord(plan),
    rounds,
  };
  if (plan.repeat > 0) episode.repeat = plan.repeat;
  return episode;
}

/**
 * Plays every planned episode (skipping `skip`, e.g. those a store already finished); the
 * outcomes are in plan order whatever the completion order.
 */
export async function runPlan(plans: EpisodePlan[], agent: Agent, options: RunOptions, skip: ReadonlySet<number> = new Set()): Promise<EpisodeOutcome[]> {
  let done = 0;
  const todo = plans.map((plan, index) => ({ plan, index })).filter((p) => !skip.has(p.index));
  const outcomes = await Promise.all(
    todo.map(async ({ plan, index }) => {
      const outcome = await runEpisode(plan, index, agent, options);
      options.onEpisode?.(outcome, ++done, todo.length);
      return outcome;
    }),
  );
  return outcomes;
}

/** Plays every episode without a store and returns the transcripts; the first failure throws. */
export async function playAll(plans: EpisodePlan[], agent: Agent, seed: number): Promise<TranscriptEpisode[]> {
  const outcomes = await runPlan(plans, agent, { seed });
  const failed = outcomes.find((o) => o.error !== undefined);
  if (failed) throw new Error(`${failed.plan.key} (repeat ${failed.plan.repeat}): ${failed.error}`);
  return outcomes.map((o) => o.transcript!);
}
