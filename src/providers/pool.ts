/**
 * The one place where concurrency, retries and rate limits live. Calls queue FIFO for a slot on
 * one of several equivalent endpoints; each attempt has a timeout; failures that a retry can fix
 * wait (Retry-After or seeded exponential backoff) and queue again; a 429 halves that endpoint's
 * limit and successes win it back (AIMD), so a run settles at what the server can take.
 */
import { InputError } from "../core/errors.js";
import { Rng, hashSeed } from "../core/rng.js";
import { AttemptFailure, CallError, classifyError, displayEndpoint, printable } from "./errors.js";
import type { ProviderEvent, ProviderOptions } from "./types.js";

export type PoolOptions = Pick<
  ProviderOptions,
  "concurrency" | "timeoutMs" | "retries" | "onEvent" | "backoffBaseMs" | "backoffCapMs"
> & {
  /** Applied to every error text the pool reports (events, CallError), e.g. to blank out a key. */
  redact?: (text: string) => string;
};

/** Counters over the pool's life. */
export interface PoolStats {
  /** Attempts sent (first tries and retries). */
  requests: number;
  /** Calls that got an answer. */
  succeeded: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Attempts aborted by the timeout. */
  timeouts: number;
  /** Calls that gave up (retries exhausted or not retryable). */
  errors: number;
}

export type AttemptFn<T> = (endpoint: string, attempt: number, signal: AbortSignal) => Promise<T>;

interface EndpointState {
  url: string;
  display: string;
  limit: number;
  inFlight: number;
  /** Successes since the limit last changed; `limit` of them in a row raise it by one. */
  successes: number;
  /** Bumped at each decrease, so a burst of 429s from requests sent together halves only once. */
  epoch: number;
}

interface Waiter {
  /** The endpoint the call's last attempt failed on, passed over while another has room. */
  avoid?: EndpointState;
  resolve: (state: EndpointState) => void;
  reject: (err: Error) => void;
}

const DEFAULT_BACKOFF_BASE_MS = 500;
const DEFAULT_BACKOFF_CAP_MS = 30_000;

/**
 * Wait before retry number `attempt` (1 = after the first failure): base doubling per attempt,
 * capped, times a jitter in [0.5, 1) drawn from the call seed, so runs are reproducible and
 * retries of calls that failed together spread out.
 */
export function backoffMs(
  attempt: number,
  seed: number,
  baseMs: number = DEFAULT_BACKOFF_BASE_MS,
  capMs: number = DEFAULT_BACKOFF_CAP_MS,
): number {
  const full = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full * new Rng(hashSeed(seed, attempt)).uniform(0.5, 1));
}

function closedError(): Error {
  return new Error("the endpoint pool is closed; the call was cancelled");
}

export class EndpointPool {
  private readonly states: EndpointState[];
  private readonly byUrl = new Map<string, EndpointState>();
  // FIFO queue as an array with a moving head: shift() would copy the array on every dequeue.
  private waiters: Waiter[] = [];
  private head = 0;
  private closed = false;
  private readonly active = new Set<AbortController>();
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly counters: PoolStats = { requests: 0, succeeded: 0, retries: 0, rateLimited: 0, timeouts: 0, errors: 0 };
  private readonly cap: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly onEvent?: (event: ProviderEvent) => void;
  private readonly redact: (text: string) => string;
  private last: { endpoint: string; error: string } | undefined;

  constructor(endpoints: readonly string[], options: PoolOptions) {
    const urls = [...new Set(endpoints)];
    if (urls.length === 0) throw new InputError("no endpoint (base URL) to send requests to");
    const { concurrency, timeoutMs, retries } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InputError(`concurrency must be an integer >= 1 (got ${concurrency})`);
    }
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new InputError(`timeout must be a number of ms > 0 (got ${timeoutMs})`);
    if (!Number.isInteger(retries) || retries < 0) throw new InputError(`retries must be an integer >= 0 (got ${retries})`);
    this.cap = concurrency;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.baseMs = options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.capMs = options.backoffCapMs ?? DEFAULT_BACKOFF_CAP_MS;
    this.onEvent = options.onEvent;
    this.redact = options.redact ?? ((text) => text);
    this.states = urls.map((url) => ({ url, display: displayEndpoint(url), limit: concurrency, inFlight: 0, successes: 0, epoch: 0 }));
    for (const state of this.states) this.byUrl.set(state.url, state);
  }

  get endpoints(): string[] {
    return this.states.map((s) => s.url);
  }

  inFlight(endpoint: string): number {
    return this.state(endpoint).inFlight;
  }

  /** The endpoint's current concurrency limit (lowered by 429s, at most the configured cap). */
  limit(endpoint: string): number {
    return this.state(endpoint).limit;
  }

  /** Calls waiting for a slot. */
  queued(): number {
    return this.waiters.length - this.head;
  }

  stats(): PoolStats {
    return { ...this.counters };
  }

  /** The last failed attempt's endpoint and error (redacted, printable), for a progress line while retries go on. */
  lastError(): { endpoint: string; error: string } | undefined {
    return this.last ? { ...this.last } : undefined;
  }

  /**
   * Runs one call: each attempt gets an endpoint, an attempt number (from 1) and a signal that
   * aborts at the timeout. Resolves with the value, the number of attempts and the last failed
   * attempt's error (when a retry was needed); rejects with a
   * CallError when no attempt succeeded, or with the attempt's own error if that error is not a
   * recognised request failure (a bug is not retried).
   */
  async run<T>(attemptFn: AttemptFn<T>, opts: { seed: number }): Promise<{ value: T; attempts: number; lastError?: string }> {
    let failedOn: EndpointState | undefined;
    let lastError: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const state = await this.acquire(failedOn);
      failedOn = state;
      const epoch = state.epoch;
      let outcome: { ok: true; value: T } | { ok: false; failure: AttemptFailure };
      try {
        outcome = await this.attempt(state, attemptFn, attempt);
      } catch (err) {
        this.release(state);
        throw err;
      }
      if (outcome.ok) {
        this.succeed(state);
        this.release(state);
        this.counters.succeeded++;
        return { value: outcome.value, attempts: attempt, ...(lastError !== undefined ? { lastError } : {}) };
      }
      const failure = outcome.failure;
      if (failure.kind === "rate-limit") this.rateLimited(state, epoch);
      this.release(state);
      if (this.closed) throw closedError();

      const message = this.redact(printable(failure.message));
      this.last = { endpoint: state.display, error: message };
      lastError = `${state.display}: ${message}`;
      if (!failure.retryable || attempt > this.retries) {
        this.counters.errors++;
        this.emit({ kind: "failed", endpoint: state.display, attempt, error: message, waitMs: 0 });
        const what = failure.retryable
          ? `failed after ${attempt} attempt${attempt === 1 ? "" : "s"}`
          : `failed with an error that a retry would not fix`;
        throw new CallError(`request to ${state.display} ${what} (${failure.kind}): ${message}`, {
          attempts: attempt,
          kind: failure.kind,
          status: failure.status,
          endpoint: state.display,
        });
      }
      const waitMs = failure.retryAfterMs ?? backoffMs(attempt, opts.seed, this.baseMs, this.capMs);
      this.counters.retries++;
      this.emit({
        kind: failure.kind === "rate-limit" ? "rate-limited" : "retry",
        endpoint: state.display,
        attempt,
        error: message,
        waitMs,
      });
      await this.sleep(waitMs);
      if (this.closed) throw closedError();
    }
  }

  /** Cancels everything: queued calls reject, in-flight attempts are aborted, waits end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.active) controller.abort(closedError());
    const waiters = this.waiters.slice(this.head);
    this.waiters = [];
    this.head = 0;
    for (const waiter of waiters) waiter.reject(closedError());
    for (const entry of this.sleeping) {
      clearTimeout(entry.timer);
      entry.wake();
    }
    this.sleeping.clear();
  }

  private state(endpoint: string): EndpointState {
    const state = this.byUrl.get(endpoint);
    if (state === undefined) throw new Error(`unknown endpoint '${displayEndpoint(endpoint)}'`);
    return state;
  }

  private emit(event: ProviderEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // A failing progress display must not fail the call it reports on.
    }
  }

  /**
   * The endpoint with the fewest requests in flight that has room; ties go to the first. A retry
   * passes over the endpoint it just failed on when another has room: with ties going to the
   * first, a dead first endpoint would otherwise get every retry of every call at low load.
   */
  private pick(avoid?: EndpointState): EndpointState | undefined {
    let best: EndpointState | undefined;
    let fallback: EndpointState | undefined;
    for (const state of this.states) {
      if (state.inFlight >= state.limit) continue;
      if (state === avoid) fallback = state;
      else if (best === undefined || state.inFlight < best.inFlight) best = state;
    }
    return best ?? fallback;
  }

  private acquire(avoid?: EndpointState): Promise<EndpointState> {
    if (this.closed) return Promise.reject(closedError());
    if (this.queued() === 0) {
      const state = this.pick(avoid);
      if (state !== undefined) {
        state.inFlight++;
        return Promise.resolve(state);
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ avoid, resolve, reject }));
  }

  private release(state: EndpointState): void {
    state.inFlight--;
    this.drain();
  }

  private drain(): void {
    while (this.queued() > 0) {
      const waiter = this.waiters[this.head];
      const state = this.pick(waiter.avoid);
      if (state === undefined) return;
      state.inFlight++;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      waiter.resolve(state);
    }
  }

  /** Additive increase: after `limit` successes in a row, one more slot, up to the cap. */
  private succeed(state: EndpointState): void {
    state.successes++;
    if (state.successes >= state.limit) {
      state.successes = 0;
      if (state.limit < this.cap) state.limit++;
    }
  }

  /** Multiplicative decrease, once per burst: requests sent before the last decrease do not count again. */
  private rateLimited(state: EndpointState, epoch: number): void {
    this.counters.rateLimited++;
    state.successes = 0;
    if (epoch === state.epoch) {
      state.limit = Math.max(1, Math.floor(state.limit / 2));
      state.epoch++;
    }
  }

  private async attempt<T>(
    state: EndpointState,
    attemptFn: AttemptFn<T>,
    attempt: number,
  ): Promise<{ ok: true; value: T } | { ok: false; failure: AttemptFailure }> {
    const controller = new AbortController();
    this.active.add(controller);
    this.counters.requests++;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no response within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    // Racing the abort means an attempt that ignores its signal still cannot hold a slot forever.
    const aborted = new Promise<null>((resolve) => controller.signal.addEventListener("abort", () => resolve(null), { once: true }));
    try {
      const work = Promise.resolve().then(() => attemptFn(state.url, attempt, controller.signal));
      const settled = await Promise.race([
        work.then(
          (value) => ({ ok: true as const, value }),
          (err: unknown) => ({ ok: false as const, err }),
        ),
        aborted,
      ]);
      if (settled?.ok) return settled;
      if (timedOut) {
        this.counters.timeouts++;
        return { ok: false, failure: new AttemptFailure("timeout", `no response within ${this.timeoutMs} ms`) };
      }
      if (settled === null || this.closed) throw closedError();
      const failure = classifyError(settled.err);
      if (failure === undefined) throw settled.err;
      return { ok: false, failure };
    } finally {
      clearTimeout(timer);
      this.active.delete(controller);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeping.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleeping.add(entry);
    });
  }
}
