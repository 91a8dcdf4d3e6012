/**
 * Plays planned episodes against an agent. All episodes start at once (the provider caps the
 * requests in flight); rounds inside an episode run in order; the agents of one game round are
 * asked at once. Every call's seed comes from the run seed and the call's place, so the results
 * do not depend on concurrency or on the order in which calls finish.
 *
 * A tool-use episode's unit is a problem (its transcript round): the agent is asked again and
 * again, the calculator's results added each time, until it answers or its calculator calls run
 * out; then the problem is scored and saved.
 *
 * With a store, each finished round is saved in one transaction, and an episode that already
 * has saved rounds is first brought back to where it stopped by replaying them through the
 * engine: nothing finished is asked again, and a resumed run ends exactly as an uninterrupted one.
 */
import type { Agent, AgentCall, ChoiceCall, Reply, ToolUseCall } from "../agents/types.js";
import { hashSeed } from "../core/rng.js";
import { CollusionEpisode } from "../testbeds/collusion/engine.js";
import { RoleplayEpisode } from "../testbeds/roleplay/engine.js";
import { cacheKey, type CallMeta, type RejectedWhy, type RunStore } from "../store/store.js";
import { toTranscript } from "../transcript/episode.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";
import { ToolUseEpisode, type ToolUseRecord, type ToolUseStep } from "../testbeds/tooluse/engine.js";
import { CALCULATOR_TOOL, type ToolUseMessage } from "../testbeds/tooluse/protocol.js";
import type { Message } from "../core/types.js";
import type { EpisodePlan, RunPlan, ToolUsePlan } from "./plan.js";

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

/**
 * Why a model's answer cannot be scored, if it cannot: cut off at the token limit (unless
 * `scoreTruncated`), or nothing in it (no text, no tool calls, e.g. only reasoning). Answers of
 * agents that are not models (no finish reason) are taken as they are.
 */
export function rejectionOf(reply: Reply, scoreTruncated: boolean): RejectedWhy | undefined {
  if (reply.finishReason === undefined) return undefined;
  if (reply.finishReason === "length" && !scoreTruncated) return "truncated";
  if (reply.text.trim() === "" && (reply.toolCalls?.length ?? 0) === 0) return "empty";
  return undefined;
}

function rejectionMessage(call: AgentCall, reply: Reply, why: RejectedWhy): string {
  const place = call.suite === "tooluse" ? `problem ${call.problem + 1} call ${call.turn + 1}` : `round ${call.round + 1} agent ${call.agent}`;
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

/** The seed of one call: a pure function of where the call sits in the run. */
export function callSeed(runSeed: number, episode: string, repeat: number, round: number, agent: number): number {
  return hashSeed(runSeed, episode, repeat, round, agent);
}

/** The seed of one tool-use call: its episode, repeat, round, problem and place within the problem. */
export function toolUseCallSeed(runSeed: number, episode: string, repeat: number, round: number, problem: number, turn: number): number {
  return hashSeed(runSeed, episode, repeat, round, problem, turn);
}

type Answered = { reply: Reply; meta: CallMeta };
type Ask = (call: AgentCall) => Promise<Answered>;

/** A round as played: the transcript round and a meta per saved call. */
interface PlayedRound {
  record: TranscriptRound;
  metas: CallMeta[];
}

/** One engine behind one interface: how a round is played, and how a saved one is replayed. */
interface Driver {
  readonly done: boolean;
  /** The transcript round played next (tool use: the problem). */
  readonly round: number;
  play(ask: Ask): Promise<PlayedRound>;
  /** Feeds a saved round's recorded answers through the engine; returns the round it gives. */
  replay(saved: TranscriptRound): TranscriptRound;
}

type PendingCall = Pick<ChoiceCall, "agent" | "messages" | "options" | "seen">;

/** Role-play and games: who is asked this round, and how the answers become a round. */
interface ChoiceEngine {
  readonly done: boolean;
  readonly round: number;
  pending(): PendingCall[];
  step(answers: Map<number, string>): TranscriptRound;
}

function choiceEngine(plan: EpisodePlan): ChoiceEngine {
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

function choiceDriver(plan: EpisodePlan, runSeed: number): Driver {
  const env = choiceEngine(plan);
  return {
    get done() {
      return env.done;
    },
    get round() {
      return env.round;
    },
    async play(ask) {
      const round = env.round;
      const settled = await Promise.allSettled(
        env.pending().map((p) =>
          ask({ ...p, suite: plan.suite, episode: plan.key, round, repeat: plan.repeat, seed: callSeed(runSeed, plan.key, plan.repeat, round, p.agent) }),
        ),
      );
      // Wait for every call of the round, then fail on the first error: a round is saved whole or not at all.
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      const answered = settled.map((s) => (s as PromiseFulfilledResult<Answered>).value);
      const record = env.step(new Map(answered.map((a) => [a.meta.agent, a.reply.text])));
      // Fixed colluders are not asked; they cost nothing and take no time.
      const metas = record.calls.map((c) => answered.find((a) => a.meta.agent === c.agent)?.meta ?? { agent: c.agent, latencyMs: 0, attempts: 0, cached: false });
      return { record, metas };
    },
    replay: (saved) => env.step(new Map(saved.calls.map((c) => [c.agent, c.response]))),
  };
}

/**
 * A scored problem in the transcript format (src/transcript/types.ts): every call of the
 * problem, the feedback line as the outcome, and the scoring as `detail`.
 */
export function toolUseRound(r: ToolUseRecord): TranscriptRound {
  const last = r.calls.length - 1;
  return {
    round: r.index,
    calls: r.calls.map((c, i) => ({
      agent: 0,
      messages: c.messages,
      response: c.response,
      ...(c.toolCalls !== undefined && c.toolCalls.length > 0 ? { tool_calls: c.toolCalls } : {}),
      choice: i < last ? "calculator" : r.answer,
      reward: i < last ? 0 : r.reward,
    })),
    outcome: r.feedback,
    detail: {
      evolution_round: r.round,
      problem: r.problem,
      kind: r.kind,
      template: r.template,
      used_tool: r.usedTool,
      tool_calls: r.toolCalls,
      answer: r.answer,
      expected: r.expected,
      correct: r.correct,
    },
  };
}

function toolUseDriver(plan: ToolUsePlan, runSeed: number): Driver {
  const env = new ToolUseEpisode(plan.scenario.problems, plan.settings);
  const tools = plan.settings.protocol === "tools" ? [CALCULATOR_TOOL] : undefined;
  return {
    get done() {
      return env.done;
    },
    get round() {
      return env.index;
    },
    async play(ask) {
      const metas: CallMeta[] = [];
      for (let turn = 0; ; turn++) {
        const { round, index } = env;
        const call: ToolUseCall = {
          suite: "tooluse",
          episode: plan.key,
          round,
          problem: index,
          turn,
          agent: 0,
          repeat: plan.repeat,
          seed: toolUseCallSeed(runSeed, plan.key, plan.repeat, round, index, turn),
          messages: env.messages(),
          seen: env.seen(),
          ...(tools ? { tools } : {}),
          tooluse: env.hint(),
        };
        const { reply, meta } = await ask(call);
        metas.push({ ...meta, turn });
        const step = env.respond({ text: reply.text, toolCalls: reply.toolCalls });
        // The engine ends every problem after at most maxToolCalls + 1 calls.
        if (step.type === "answer") return { record: toolUseRound(step.record), metas };
      }
    },
    replay(saved) {
      let step: ToolUseStep | undefined;
      for (const c of saved.calls) {
        step = env.respond({ text: c.response, toolCalls: c.tool_calls });
        // An answer before the saved calls run out: the round that comes back is shorter, and checkReplayed refuses it.
        if (step.type === "answer") break;
      }
      if (step?.type !== "answer") throw new Error(`problem ${saved.round}: its saved calls end without an answer`);
      return toolUseRound(step.record);
    },
  };
}

function driver(plan: RunPlan, runSeed: number): Driver {
  return plan.suite === "tooluse" ? toolUseDriver(plan, runSeed) : choiceDriver(plan, runSeed);
}

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

/** The call's answer, or a rejection as soon as the run is stopped: an abandoned call's answer is never used. */
function unlessStopped<T>(answer: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return answer;
  if (signal.aborted) return Promise.reject(new Error("the run was stopped"));
  return new Promise((resolve, reject) => {
    const stop = () => reject(new Error("the run was stopped"));
    signal.addEventListener("abort", stop, { once: true });
    answer.then(
      (value) => (signal.removeEventListener("abort", stop), resolve(value)),
      (err) => (signal.removeEventListener("abort", stop), reject(err)),
    );
  });
}

/** Asks the agent (or the cache), refuses an answer that cannot be scored, and returns it as the history will carry it. */
async function ask(agent: Agent, call: AgentCall, options: RunOptions, episodeIdx: number): Promise<Answered> {
  const answered = await fetchAnswer(agent, call, options.cache, options.signal);
  const { reply, meta } = answered;
  // Counted once answered: a call whose answer is refused, or whose round fails, was still asked.
  options.onCall?.(meta);
  const why = rejectionOf(reply, options.scoreTruncated ?? false);
  if (why !== undefined) {
    const tooluse = call.suite === "tooluse";
    options.store?.store.saveRejected(options.store.runId, episodeIdx, {
      round: tooluse ? call.problem : call.round,
      agent: call.agent,
      turn: tooluse ? call.turn : 0,
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
    throw new RejectedAnswerError(rejectionMessage(call, reply, why));
  }
  if (!meta.cached && answered.cacheKey !== undefined) {
    const { text, toolCalls, finishReason, reasoning, promptTokens, completionTokens } = reply;
    options.cache!.cachePut(answered.cacheKey, { text, toolCalls, finishReason, reasoning, promptTokens, completionTokens });
  }
  return { reply: { ...reply, text: historyText(reply, options.historyReasoning ?? "drop") }, meta };
}

async function fetchAnswer(agent: Agent, call: AgentCall, cache: RunStore | undefined, signal: AbortSignal | undefined): Promise<Answered & { cacheKey?: string }> {
  const identity = agent.cacheIdentity;
  const tools = call.suite === "tooluse" ? call.tools : undefined;
  const key =
    cache && identity !== undefined
      ? cacheKey({ identity, messages: call.messages, ...(tools ? { tools } : {}), episode: call.episode, round: call.round, agent: call.agent, repeat: call.repeat, seed: call.seed })
      : undefined;
  const hit = key === undefined ? undefined : cache!.cacheGet(key);
  if (hit) {
    const { text, toolCalls, finishReason, reasoning, promptTokens, completionTokens } = hit;
    const reply: Reply = { text, ...(toolCalls ? { toolCalls } : {}), attempts: 0, promptTokens, completionTokens, finishReason, ...(reasoning !== undefined ? { reasoning } : {}) };
    return { reply, meta: { agent: call.agent, latencyMs: 0, attempts: 0, cached: true, promptTokens, completionTokens, ...extras(reply) } };
  }
  const started = performance.now();
  const reply = await unlessStopped(agent.respond(call), signal);
  const latencyMs = performance.now() - started;
  return {
    reply,
    cacheKey: key,
    meta: { agent: call.agent, latencyMs, attempts: reply.attempts, cached: false, promptTokens: reply.promptTokens, completionTokens: reply.completionTokens, ...extras(reply) },
  };
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
  if (plan.suite === "tooluse") return new ToolUseEpisode(plan.scenario.problems, plan.settings).messages();
  // A game where every agent is a fixed colluder asks no one.
  return choiceEngine(plan).pending()[0]?.messages ?? [];
}

/** Plays one episode to the end (or to its first failed call) and returns its outcome. */
export async function runEpisode(plan: RunPlan, index: number, agent: Agent, options: RunOptions): Promise<EpisodeOutcome> {
  const d = driver(plan, options.seed);
  const rounds: TranscriptRound[] = [];
  const saved = options.store ? options.store.store.savedRounds(options.store.runId, index) : [];
  for (const round of saved) {
    checkReplayed(plan, round, d.replay(round));
    rounds.push(round);
  }
  try {
    while (!d.done) {
      if (options.signal?.aborted) return { plan, stopped: true };
      const { record, metas } = await d.play((call) => ask(agent, call, options, index));
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
