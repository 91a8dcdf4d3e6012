/**
 * The check of an OpenAI-compatible endpoint before a run: a dead port, a host that does not
 * resolve, a wrong key or a model the server does not have stop the run within seconds (exit 2,
 * nothing stored) instead of failing every call after its retries.
 *
 * It asks GET /models once. The model listed there is served; its entry (id, root, parent,
 * llama.cpp's meta) identifies the weights for the response cache. A model missing from the list,
 * or a server without /models, is asked for one token instead: llama.cpp and SGLang answer any
 * name with the model they have, and other servers say what is wrong.
 */
import type OpenAI from "openai";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { InputError } from "../core/errors.js";
import { describeError, isRetryableStatus, printable } from "./errors.js";

/** Longest wait for one check request; a longer --timeout is for generation, not for listing models. */
export const CHECK_TIMEOUT_MS = 10_000;

/** Tries of a check that the server answers with a 5xx or 429 (a model still loading, a busy queue). */
const CHECK_TRIES = 3;

/**
 * What a server reports about the model it serves under a name. `created` is left out: vLLM,
 * SGLang and llama.cpp fill it with the time of listing.
 */
export interface ServedModel {
  id: string;
  /** vLLM and SGLang: the weights' path or repository (an adapter's own path for a LoRA). */
  root?: string;
  /** vLLM and SGLang: the base model of a LoRA adapter. */
  parent?: string | null;
  /** llama.cpp: parameter count, file size, vocabulary, training context. */
  meta?: unknown;
}

type Answer = { ok: true; body: unknown } | { ok: false; message: string };

export interface CheckTarget {
  client: OpenAI;
  /** The base URL as messages show it (credentials removed). */
  endpoint: string;
  model: string;
  /** The run's sampling fields, so the one-token call is the request the run will send. */
  sampling: Record<string, unknown>;
  timeoutMs: number;
  /** Scrubs the key out of server text. */
  redact: (text: string) => string;
}

function served(entry: Record<string, unknown>): ServedModel {
  const model: ServedModel = { id: String(entry.id) };
  if (typeof entry.root === "string") model.root = entry.root;
  if (typeof entry.parent === "string" || entry.parent === null) model.parent = entry.parent as string | null;
  if (typeof entry.meta === "object" && entry.meta !== null) model.meta = entry.meta;
  return model;
}

/**
 * One check request. Answers with the body, or with the server's refusal (a 4xx other than
 * 401/403); throws an InputError when the endpoint cannot be reached, refuses the key, or keeps
 * answering 5xx or 429.
 */
async function ask(target: CheckTarget, what: string, send: () => Promise<unknown>): Promise<Answer> {
  const { endpoint, redact } = target;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, body: await send() };
    } catch (err) {
      if (err instanceof APIConnectionTimeoutError) {
        throw new InputError(`endpoint ${endpoint}: no answer to ${what} within ${target.timeoutMs / 1000} s`);
      }
      if (err instanceof APIConnectionError) {
        throw new InputError(`endpoint ${endpoint}: cannot connect (${redact(printable(describeError(err)))})`);
      }
      if (!(err instanceof APIError) || typeof err.status !== "number") throw err;
      const message = redact(printable(err.message));
      if (err.status === 401 || err.status === 403) {
        throw new InputError(`endpoint ${endpoint} refused the API key (${what}: ${message}); set OPENAI_API_KEY to a key it accepts`);
      }
      if (!isRetryableStatus(err.status)) return { ok: false, message };
      if (attempt >= CHECK_TRIES) throw new InputError(`endpoint ${endpoint} is not ready: ${what} answered ${message} (${CHECK_TRIES} tries)`);
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

/**
 * Checks one endpoint for `target.model`; resolves with what the server reports about the model
 * (undefined when it reports nothing), or rejects with an InputError naming the endpoint and the
 * cause.
 */
export async function checkEndpoint(target: CheckTarget): Promise<ServedModel | undefined> {
  const { client, endpoint, model, timeoutMs } = target;
  const options = { timeout: timeoutMs, maxRetries: 0 };
  // vLLM and SGLang read max_completion_tokens before max_tokens: an extra one must not lengthen the test.
  const { max_completion_tokens: _longer, ...sampling } = target.sampling;
  const oneToken = () =>
    ask(target, "a one-token chat completion", () =>
      client.chat.completions.create({ ...sampling, model, messages: [{ role: "user", content: "Say OK." }], max_tokens: 1 }, options),
    );
  const listing = await ask(target, "GET /models", () => client.get("/models", options));
  if (!listing.ok) {
    // No /models on this server (404, 405, ...): one token shows the key and the model work.
    const probe = await oneToken();
    if (probe.ok) return undefined;
    throw new InputError(`endpoint ${endpoint} refused model '${model}': ${probe.message}`);
  }
  const data = (listing.body as { data?: unknown } | null)?.data;
  const entries = (Array.isArray(data) ? data : []).filter(
    (e): e is Record<string, unknown> => typeof e === "object" && e !== null && typeof (e as { id?: unknown }).id === "string",
  );
  const entry = entries.find((e) => e.id === model);
  if (entry) return served(entry);
  const probe = await oneToken();
  // A server with one model that answers any name (llama.cpp, SGLang): that model is what answers.
  if (probe.ok) return entries.length === 1 ? served(entries[0]) : undefined;
  const listed = entries.map((e) => String(e.id));
  const shown = listed.length === 0 ? "it lists no models" : `it lists ${listed.slice(0, 10).join(", ")}${listed.length > 10 ? ", ..." : ""}`;
  throw new InputError(`endpoint ${endpoint} does not serve model '${model}' (${probe.message}); ${shown}`);
}
