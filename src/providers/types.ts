/**
 * Settings shared by model providers: sampling, where the servers are, and how hard to push
 * them. This module holds no I/O, so the registry can import it without loading any client.
 */

/** How to sample. Unset fields are left to the server's defaults. */
export interface Sampling {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** Not an OpenAI field; vLLM, llama.cpp and SGLang read it from the request body. */
  topK?: number;
  /**
   * Server extras spread into the request body as they are, e.g.
   * `{ chat_template_kwargs: { enable_thinking: false } }` or `{ min_p: 0.05 }`.
   */
  extra?: Record<string, unknown>;
}

/** Something the endpoint pool did that a progress display may want to show. */
export interface ProviderEvent {
  /** `retry`: an attempt failed and will be retried; `rate-limited`: a 429 that will be retried; `failed`: the call gave up. */
  kind: "retry" | "rate-limited" | "failed";
  /** The base URL the attempt went to (credentials in it removed). */
  endpoint: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** What went wrong, in a line (never the API key). */
  error: string;
  /** How long the call waits before it queues again (0 when it gave up). */
  waitMs: number;
}

export interface ProviderOptions {
  /** Servers that serve the same model; calls are spread over them. Empty: the provider's default. */
  baseUrls: string[];
  sampling: Sampling;
  /** Requests in flight at once, per endpoint (the starting and the highest limit under rate limiting). */
  concurrency: number;
  /** Per attempt: a request that takes longer is aborted and retried. */
  timeoutMs: number;
  /** Retries after the first attempt, for server errors, timeouts, dropped connections and 429s. */
  retries: number;
  onEvent?: (event: ProviderEvent) => void;
  /** First retry's backoff; it doubles each retry (default 500 ms). Tests and benchmarks shorten it. */
  backoffBaseMs?: number;
  /** Longest backoff between retries (default 30 s). */
  backoffCapMs?: number;
  /**
   * Check each endpoint once before the first call (server reachable, key accepted, model
   * served) and key the cache by what the server reports of the model. Commands that start or
   * continue a run turn it on.
   */
  checkEndpoints?: boolean;
}

function envBaseUrls(): string[] {
  const url = process.env.OPENAI_BASE_URL?.trim();
  return url ? [url] : [];
}

export const DEFAULT_PROVIDER_OPTIONS: Readonly<ProviderOptions> = Object.freeze({
  baseUrls: envBaseUrls(),
  sampling: {},
  concurrency: 64,
  timeoutMs: 120_000,
  retries: 6,
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
});

/** Fills what the caller left out from DEFAULT_PROVIDER_OPTIONS (undefined counts as left out). */
export function resolveProviderOptions(options: Partial<ProviderOptions> = {}): ProviderOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return {
    ...DEFAULT_PROVIDER_OPTIONS,
    ...given,
    baseUrls: [...(options.baseUrls ?? DEFAULT_PROVIDER_OPTIONS.baseUrls)],
    sampling: { ...DEFAULT_PROVIDER_OPTIONS.sampling, ...options.sampling },
  };
}
