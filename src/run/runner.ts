/**
 * Plays planned episodes against an agent. All episodes start at once (the provider caps the
 * requests in flight); rounds inside an episode run in order; the agents of one game round are
 * asked at once. Every call's seed comes from the run seed and the call's place, so the results
 * do not depend on concurrency or on the order in which calls finish.
 *
 * Every testbed is played by the same loop (src/testbed/contract.ts): ask the engine for the
 * calls it needs now, answer them, submit the answers, and save the round once the engine says
 * it is finished. A round may take several such steps (a tool loop asks one call after another).
 *
 * With a store, each finished round is saved in one transaction, and an episode that already
 * has saved rounds is first brought back to where it stopped by feeding their recorded answers
 * through the same engine: nothing finished is asked again, and a resumed run ends exactly as an
 * uninterrupted one.
 */
import type { Agent, Reply } from "../agents/types.js";
import type { Message, ToolUseMessage } from "../core/types.js";
import { type CallMeta, type RejectedWhy, type RunStore } from "../store/store.js";
import { askThroughCache } from "./ask.js";
import type { Answer, Engine, Request, Testbed } from "../testbed/contract.js";
import { testbedOf, type RunPlan } from "../testbeds/registry.js";
import { toTranscript } from "../transcript/episode.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";

export interface RunOptions {
  seed: number;
  /** Save rounds to this run of the store and resume from what it already holds. */
  store?: { store: RunStore; runId: string };
  /** Answer repeated calls from the store's response cache (agents with a cache identity only). */
  cache?: RunStore;
  /** Called as each episode finishes or fails (in completion order). */
  onEpisode?: (outcome: EpisodeOutcome, done: number, total: number) => void;
  /** Called as each call is answered, also when its answer is refused or its round fails. */
  onCall?: (meta: CallMeta) => void;
  /** Called as each round is saved (tool use: each scored problem). */
  onRound?: (plan: RunPlan) => void;
  /** Stops the run: calls in flight are abandoned, no new round starts, and nothing unfinished is saved. */
  signal?: AbortSignal;
  /** Score answers cut off at the token limit instead of failing their call (default false). */
  scoreTruncated?: boolean;
  /** `keep`: reasoning the server returned apart goes back into the history with the answer (default `drop`). */
  historyReasoning?: HistoryReasoning;
}

export type HistoryReasoning = "keep" | "drop";

/** A model answer that is not scored: its call fails, and so does its episode; the store keeps the answer. */
export class RejectedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RejectedAnswerError";
  }
}

function rejectionMessage(place: string, reply: Reply, why: RejectedWhy): string {
  if (why === "truncated") {
    const tokens = reply.completionTokens !== undefined ? ` after ${reply.completionTokens} tokens` : "";
    return (
      `${place}: the answer was cut off at the token limit${tokens} (finish_reason "length"); ` +
      "raise the limit with --max-tokens, or score cut-off answers with --score-truncated"
    );
  }
  const what = reply.reasoning !== undefined ? "only reasoning, no answer" : "no content and no tool calls";
  return `${place}: the model's answer was empty (${what}; finish_reason ${JSON.stringify(reply.finishReason)})`;
}

/** The answer as the history carries it: with `keep`, separated reasoning goes back in front, as the model wrote it. */
function historyText(reply: Reply, historyReasoning: HistoryReasoning): string {
  return historyReasoning === "keep" && reply.reasoning !== undefined ? `<think>\n${reply.reasoning}\n</think>\n\n${reply.text}` : reply.text;
}

export interface EpisodeOutcome {
  plan: RunPlan;
  /** The whole episode, when it finished. */
  transcript?: TranscriptEpisode;
  /** Why it stopped, when a call failed after its retries. */
  error?: string;
  /** The run was stopped before the episode finished; it continues on resume. */
  stopped?: true;
}

type Answered = { reply: Reply; meta: CallMeta };

/** A saved round replayed through a fresh engine must come out the same, or the run cannot resume. */
function checkReplayed(plan: RunPlan, saved: TranscriptRound, replayed: TranscriptRound): void {
  const same =
    saved.outcome === replayed.outcome &&
    JSON.stringify(saved.detail) === JSON.stringify(replayed.detail) &&
    saved.calls.length === replayed.calls.length &&
    saved.calls.every((c, i) => c.choice === replayed.calls[i].choice && JSON.stringify(c.messages) === JSON.stringify(replayed.calls[i].messages));
  if (!same) {
    throw new Error(
      `cannot resume ${plan.key} (repeat ${plan.repeat}): round ${saved.round} saved in the store no longer replays to the same ` +
        "prompts and outcome (was the run made by another version of atp-testbed?)",
    );
  }
}

/** Where a request sits in its episode: the transcript round, and the place of the call within it. */
interface Place {
  testbed: Testbed<RunPlan>;
  episodeIdx: number;
  round: number;
}

/** Asks the agent (or the cache), refuses an answer that cannot be scored, and returns it as the history will carry it. */
async function ask(agent: Agent, request: Request, place: Place, options: RunOptions): Promise<Answered> {
  const { call, turn } = request;
  const { reply, latencyMs, cached, rejected: why } = await askThroughCache(agent, call, options);
  const meta: CallMeta = { agent: call.agent, latencyMs, attempts: reply.attempts, cached, promptTokens: reply.promptTokens, completionTokens: reply.completionTokens, ...extras(reply) };
  // Counted once answered: a call whose answer is refused, or whose round fails, was still asked.
  options.onCall?.(meta);
  if (why !== undefined) {
    options.store?.store.saveRejected(options.store.runId, place.episodeIdx, {
      round: place.round,
      agent: call.agent,
      turn,
      why,
      messages: call.messages,
      response: reply.text,
      ...(reply.toolCalls ? { toolCalls: reply.toolCalls } : {}),
      ...(reply.reasoning !== undefined ? { reasoning: reply.reasoning } : {}),
      finishReason: reply.finishReason ?? null,
      latencyMs: meta.latencyMs,
      promptTokens: reply.promptTokens,
      completionTokens: reply.completionTokens,
      attempts: reply.attempts,
    });
    throw new RejectedAnswerError(rejectionMessage(place.testbed.describeCall(place.round, request), reply, why));
  }
  return { reply: { ...reply, text: historyText(reply, options.historyReasoning ?? "drop") }, meta };
}

/** The reply's retry error, finish reason and reasoning, for the call's record (only those it has). */
function extras(reply: Reply): Pick<CallMeta, "error" | "finishReason" | "reasoning"> {
  return {
    ...(reply.retryError !== undefined ? { error: reply.retryError } : {}),
    ...(reply.finishReason !== undefined ? { finishReason: reply.finishReason } : {}),
    ...(reply.reasoning !== undefined ? { reasoning: reply.reasoning } : {}),
  };
}

/** The messages of the episode's first call, as the model would get them (`atp run --dry-run`). */
export function firstMessages(plan: RunPlan): readonly (Message | ToolUseMessage)[] {
  // A game where every agent is a fixed colluder asks no one.
  return testbedOf(plan).engine(plan, 0).pending()[0]?.call.messages ?? [];
}

/** Answers every pending request at once; the answers in request order, each meta with its turn. */
async function askAll(agent: Agent, requests: Request[], place: Place, options: RunOptions): Promise<Answered[]> {
  const settled = await Promise.allSettled(requests.map((r) => ask(agent, r, place, options)));
  // Wait for every call, then fail on the first error: a round is saved whole or not at all.
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s, i) => {
    const { reply, meta } = (s as PromiseFulfilledResult<Answered>).value;
    return { reply, meta: { ...meta, turn: requests[i].turn, model: agent.id } };
  });
}

function answerOf(reply: Pick<Reply, "text" | "toolCalls">): Answer {
  return reply.toolCalls !== undefined ? { text: reply.text, toolCalls: reply.toolCalls } : { text: reply.text };
}

/** Plays the engine's next round: ask, submit, until the engine gives the finished round. */
async function playRound(engine: Engine, agent: Agent, place: Place, options: RunOptions): Promise<{ record: TranscriptRound; metas: CallMeta[] }> {
  const metas: CallMeta[] = [];
  for (;;) {
    const answered = await askAll(agent, engine.pending(), place, options);
    metas.push(...answered.map((a) => a.meta));
    const record = engine.submit(answered.map((a) => answerOf(a.reply)));
    if (record !== null) return { record, metas: metasOfRound(record, metas) };
  }
}

/** A meta for every call of the round: calls the engine played itself (fixed colluders) cost nothing and took no time. */
function metasOfRound(record: TranscriptRound, metas: CallMeta[]): CallMeta[] {
  const asked = new Map(metas.map((m) => [`${m.agent}:${m.turn}`, m]));
  const seen = new Map<number, number>();
  return record.calls.map((c) => {
    const turn = seen.get(c.agent) ?? 0;
    seen.set(c.agent, turn + 1);
    return asked.get(`${c.agent}:${turn}`) ?? { agent: c.agent, turn, latencyMs: 0, attempts: 0, cached: false };
  });
}

/** Feeds a saved round's recorded answers through the engine, as the loop would have; returns the round it gives. */
function replayRound(engine: Engine, saved: TranscriptRound): TranscriptRound {
  const recorded = new Map<string, TranscriptRound["calls"][number]>();
  const seen = new Map<number, number>();
  for (const c of saved.calls) {
    const turn = seen.get(c.agent) ?? 0;
    seen.set(c.agent, turn + 1);
    recorded.set(`${c.agent}:${turn}`, c);
  }
  for (;;) {
    const answers = engine.pending().map(({ call, turn }) => {
      const c = recorded.get(`${call.agent}:${turn}`);
      if (c === undefined) throw new Error(`round ${saved.round}: its saved calls end before the round does`);
      return answerOf({ text: c.response, toolCalls: c.tool_calls });
    });
    // An answer before the saved calls run out gives a shorter round, which checkReplayed refuses.
    const record = engine.submit(answers);
    if (record !== null) return record;
  }
}

/** Plays one episode to the end (or to its first failed call) and returns its outcome. */
export async function runEpisode(plan: RunPlan, index: number, agent: Agent, options: RunOptions): Promise<EpisodeOutcome> {
  const testbed = testbedOf(plan) as Testbed<RunPlan>;
  const engine = testbed.engine(plan, options.seed);
  const rounds: TranscriptRound[] = [];
  const saved = options.store ? options.store.store.savedRounds(options.store.runId, index) : [];
  for (const round of saved) {
    checkReplayed(plan, round, replayRound(engine, round));
    rounds.push(round);
  }
  try {
    while (!engine.done) {
      if (options.signal?.aborted) return { plan, stopped: true };
      const { record, metas } = await playRound(engine, agent, { testbed, episodeIdx: index, round: engine.round }, options);
      options.store?.store.saveRound(options.store.runId, index, record, metas);
      options.onRound?.(plan);
      rounds.push(record);
    }
  } catch (err) {
    // Calls abandoned by a stop are no failure: the episode goes on from its last saved round on resume.
    if (options.signal?.aborted) return { plan, stopped: true };
    const error = err instanceof Error ? err.message : String(err);
    options.store?.store.failEpisode(options.store.runId, index, error);
    return { plan, error };
  }
  options.store?.store.finishEpisode(options.store.runId, index);
  return { plan, transcript: toTranscript(plan, rounds) };
}

/**
 * Plays every planned episode (skipping `skip`, e.g. those a store already finished); the
 * outcomes are in plan order whatever the completion order.
 */
export async function runPlan(plans: RunPlan[], agent: Agent, options: RunOptions, skip: ReadonlySet<number> = new Set()): Promise<EpisodeOutcome[]> {
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
export async function playAll(plans: RunPlan[], agent: Agent, seed: number): Promise<TranscriptEpisode[]> {
  const outcomes = await runPlan(plans, agent, { seed });
  const failed = outcomes.find((o) => o.error !== undefined);
  if (failed) throw new Error(`${failed.plan.key} (repeat ${failed.plan.repeat}): ${failed.error}`);
  return outcomes.map((o) => o.transcript!);
}
