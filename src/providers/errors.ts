/**
 * How model calls fail. An attempt fails with an AttemptFailure (the pool decides whether to
 * retry it); a call that runs out of retries, or hits an error a retry cannot fix, rejects with
 * a CallError. Neither ever carries the API key: messages are built from the endpoint and the
 * server's error text, after redaction.
 */

import { stripVTControlCharacters } from "node:util";

export type FailureKind = "http" | "timeout" | "connection" | "malformed" | "rate-limit";

/** One attempt's failure, classified. */
export class AttemptFailure extends Error {
  readonly kind: FailureKind;
  readonly retryable: boolean;
  readonly status?: number;
  /** What the server asked for (Retry-After, retry-after-ms); undefined means use the backoff. */
  readonly retryAfterMs?: number;

  constructor(kind: FailureKind, message: string, extra: { retryable?: boolean; status?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.name = "AttemptFailure";
    this.kind = kind;
    this.retryable = extra.retryable ?? true;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }
}

/** A call that produced no answer: its retries ran out, or the error was not worth retrying. */
export class CallError extends Error {
  /** Requests made, including the failed retries. */
  readonly attempts: number;
  readonly kind: FailureKind;
  readonly status?: number;
  /** The base URL of the last attempt (credentials in it removed). */
  readonly endpoint: string;

  constructor(message: string, fields: { attempts: number; kind: FailureKind; status?: number; endpoint: string }) {
    super(message);
    this.name = "CallError";
    this.attempts = fields.attempts;
    this.kind = fields.kind;
    if (fields.status !== undefined) this.status = fields.status;
    this.endpoint = fields.endpoint;
  }
}

/**
 * Whether an HTTP error status is worth retrying: server errors, 429, and the two statuses that
 * mean "try again" (408 request timeout, 409 conflict, which the OpenAI SDK retries too). Other
 * 4xx (400, 401, 403, 404, 422, ...) would fail the same way again.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408 || status === 409;
}

/** Longest wait a Retry-After header may impose; beyond it the server is not coming back soon. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Reads how long a 429 or 503 asks the client to wait: `retry-after-ms` (OpenAI's header), then
 * `Retry-After` as seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfterMs(
  header: (name: string) => string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const clamp = (ms: number) => Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
  const ms = header("retry-after-ms")?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return clamp(Number(ms));
  const after = header("retry-after")?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return clamp(Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : clamp(date - now);
}

/** Classifies an HTTP error response. */
export function failureFromStatus(
  status: number,
  message: string,
  header?: (name: string) => string | null | undefined,
): AttemptFailure {
  const retryAfterMs = header ? parseRetryAfterMs(header) : undefined;
  if (status === 429) return new AttemptFailure("rate-limit", message, { status, retryAfterMs });
  return new AttemptFailure("http", message, {
    status,
    retryable: isRetryableStatus(status),
    // A 503 may carry Retry-After too; honour it the same way.
    ...(status === 503 ? { retryAfterMs } : {}),
  });
}

/** Error codes of sockets and DNS that mean the connection failed, not the request. */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The messages along an error's `cause` chain, joined, so "fetch failed" shows why. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    // "Connection error." + "fetch failed" reads better as "Connection error: fetch failed".
    const message = (current instanceof Error ? current.message : String(current)).trim().replace(/\.$/, "");
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? (current as { cause?: unknown }).cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Classifies errors any HTTP client may throw: an already classified AttemptFailure, a response
 * error with a numeric `status` (and `headers`), a body that is not JSON, or a network error.
 * Undefined for anything else: that is a bug, not a flaky server, and is not retried.
 */
export function classifyError(err: unknown): AttemptFailure | undefined {
  if (err instanceof AttemptFailure) return err;
  if (!(err instanceof Error)) return undefined;
  const withStatus = err as Error & { status?: unknown; headers?: unknown };
  if (typeof withStatus.status === "number") {
    const headers = withStatus.headers as { get?: (name: string) => string | null } | undefined;
    const header = typeof headers?.get === "function" ? (name: string) => headers.get!(name) : undefined;
    return failureFromStatus(withStatus.status, describeError(err), header);
  }
  if (err instanceof SyntaxError) return new AttemptFailure("malformed", `response is not valid JSON: ${err.message}`);
  const codes = errorCodes(err);
  if (codes.some((code) => code.includes("TIMEOUT")) || err.name === "TimeoutError") {
    return new AttemptFailure("timeout", describeError(err));
  }
  // undici reports a refused or reset connection as "fetch failed", and a body cut short as "terminated".
  if (
    codes.some((code) => NETWORK_CODES.has(code)) ||
    (err instanceof TypeError && /fetch failed|terminated|socket|network/i.test(err.message)) ||
    err.name === "AbortError"
  ) {
    return new AttemptFailure("connection", describeError(err));
  }
  return undefined;
}

/** A base URL's user and password (`https://user:key@host/v1`) replaced by `mask`, or removed when it is empty. */
function maskCredentials(url: string, mask: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      if (parsed.username === "" && parsed.password === "") return url;
      parsed.username = mask;
      parsed.password = parsed.password && mask;
      return parsed.toString();
    }
  } catch {
    // not a URL: handled below
  }
  // Without a scheme the parser does not split out the credentials: drop what comes before an "@".
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, mask ? `$1${mask}@` : "$1");
}

/** A base URL fit for messages: user and password removed. */
export function displayEndpoint(url: string): string {
  return maskCredentials(url, "");
}

const STORED_MASK = "***";

/** A base URL fit for the store: user and password replaced by `***`, so a resume knows they must be given again. */
export function storedEndpoint(url: string): string {
  return maskCredentials(url, STORED_MASK);
}

/** Whether a stored base URL had its credentials taken out. */
export function lostCredentials(url: string): boolean {
  return storedEndpoint(url) === url && displayEndpoint(url) !== url;
}

/** Longest server text a message carries; an HTML error page is not worth more. */
const MAX_SERVER_TEXT = 500;

/**
 * Text from a server made fit for a terminal line: escape sequences (colours, cursor moves,
 * window titles) and other control characters removed, whitespace runs made one space, and
 * cut at MAX_SERVER_TEXT characters.
 */
export function printable(text: string): string {
  const plain = stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim();
  return plain.length > MAX_SERVER_TEXT ? `${plain.slice(0, MAX_SERVER_TEXT)}...` : plain;
}

/**
 * The message of an error body, in the envelopes servers use: `{"error": {"message"}}`
 * (OpenAI, vLLM, llama.cpp, Ollama), the flat `{"object": "error", "message"}` (SGLang, older
 * vLLM) and `{"error": "text"}`. Undefined when the body has none of them.
 */
export function errorBodyMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { error, message } = body as { error?: unknown; message?: unknown };
  if (typeof error === "string") return error;
  const nested = (error as { message?: unknown } | null | undefined)?.message;
  if (typeof nested === "string") return nested;
  return typeof message === "string" ? message : undefined;
}
