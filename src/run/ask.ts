/**
 * Asking an agent through the response cache. Every call of a run and every attempt of a pair
 * run (src/align/pairs.ts) reaches an agent here, so both build their cache keys the same way,
 * read a hit the same way, and keep only answers that can be scored.
 */
import type { Agent, AgentCall, Reply } from "../agents/types.js";
import { cacheKey, type RejectedWhy, type RunStore } from "../store/store.js";

export interface AskOptions {
  /** Answer repeated calls from this store's response cache (agents with a cache identity only). */
  cache?: RunStore;
  /** Abandons the call when the run is stopped: the promise rejects and the answer is never used. */
  signal?: AbortSignal;
  /** Score answers cut off at the token limit instead of refusing them (default false). */
  scoreTruncated?: boolean;
}

/** An answer and what it cost. */
export interface Asked {
  /** From the cache: `attempts` is 0. */
  reply: Reply;
  /** 0 for a cache hit. */
  latencyMs: number;
  cached: boolean;
  /** Why the answer cannot be scored, when it cannot; such an answer is not cached. */
  rejected?: RejectedWhy;
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

/** Answers the call from the cache, or asks the agent and caches the answer when it can be scored. */
export async function askThroughCache(agent: Agent, call: AgentCall, options: AskOptions = {}): Promise<Asked> {
  const { cache } = options;
  const identity = agent.cacheIdentity;
  const tools = "tools" in call ? call.tools : undefined;
  const key =
    cache && identity !== undefined
      ? cacheKey({ identity, messages: call.messages, ...(tools ? { tools } : {}), episode: call.episode, round: call.round, agent: call.agent, repeat: call.repeat, seed: call.seed })
      : undefined;
  const hit = key === undefined ? undefined : cache!.cacheGet(key);
  if (hit) {
    const { text, toolCalls, finishReason, reasoning, promptTokens, completionTokens } = hit;
    const reply: Reply = { text, ...(toolCalls ? { toolCalls } : {}), attempts: 0, promptTokens, completionTokens, finishReason, ...(reasoning !== undefined ? { reasoning } : {}) };
    return withRejection({ reply, latencyMs: 0, cached: true }, options);
  }
  const started = performance.now();
  const reply = await unlessStopped(agent.respond(call), options.signal);
  const asked = withRejection({ reply, latencyMs: performance.now() - started, cached: false }, options);
  if (key !== undefined && asked.rejected === undefined) {
    const { text, toolCalls, finishReason, reasoning, promptTokens, completionTokens } = reply;
    cache!.cachePut(key, { text, toolCalls, finishReason, reasoning, promptTokens, completionTokens });
  }
  return asked;
}

function withRejection(asked: Asked, options: AskOptions): Asked {
  const rejected = rejectionOf(asked.reply, options.scoreTruncated ?? false);
  return rejected === undefined ? asked : { ...asked, rejected };
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
