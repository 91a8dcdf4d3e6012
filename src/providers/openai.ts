/**
 * `openai:MODEL[?temperature=..&top_p=..&max_tokens=..&top_k=..&enable_thinking=..]`: any
 * server that speaks the OpenAI chat-completions API (OpenAI, vLLM, llama.cpp server, SGLang,
 * Ollama). The SDK only sends requests; retries, timeouts and concurrency belong to the pool.
 * Tool-use calls under the tools protocol offer their tools and get the model's tool calls back.
 */
import { httpFetch } from "./http-fetch.js";
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { InputError } from "../core/errors.js";
import type { Message, ToolCall, ToolUseMessage } from "../core/types.js";
import { checkParams, numberParam, specContext } from "../agents/spec.js";
import type { Agent, AgentCall, Reply } from "../agents/types.js";
import { checkEndpoint, CHECK_TIMEOUT_MS, type ServedModel } from "./endpoint-check.js";
import { AttemptFailure, describeError, displayEndpoint, errorBodyMessage, failureFromStatus } from "./errors.js";
import { EndpointPool } from "./pool.js";
import type { ProviderOptions, Sampling } from "./types.js";

/** Where the SDK sends requests when nothing else is configured. */
export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/** Model-string parameters this provider reads. */
export const OPENAI_PARAMS = ["temperature", "top_p", "max_tokens", "top_k", "enable_thinking"] as const;

/** An agent backed by OpenAI-compatible servers; the pool is exposed for progress and tests. */
export interface OpenAIAgent extends Agent {
  readonly cacheIdentity: string;
  readonly baseUrls: readonly string[];
  readonly pool: EndpointPool;
}

/** Options' sampling with the model string's parameters on top (the string is the more specific). */
export function samplingFromParams(base: Sampling, params: Record<string, string>, spec: string): Sampling {
  checkParams(params, OPENAI_PARAMS, spec);
  const sampling: Sampling = { ...base, ...(base.extra ? { extra: { ...base.extra } } : {}) };
  if (Object.hasOwn(params, "temperature")) sampling.temperature = numberParam(params, "temperature", 0, { min: 0 }, spec);
  if (Object.hasOwn(params, "top_p")) sampling.topP = numberParam(params, "top_p", 1, { min: 0, max: 1 }, spec);
  if (Object.hasOwn(params, "max_tokens")) {
    sampling.maxTokens = numberParam(params, "max_tokens", 1, { min: 1, integer: true }, spec);
  }
  // -1 is how vLLM says "no top-k"; llama.cpp uses 0.
  if (Object.hasOwn(params, "top_k")) sampling.topK = numberParam(params, "top_k", 0, { min: -1, integer: true }, spec);
  if (Object.hasOwn(params, "enable_thinking")) {
    const text = params.enable_thinking.trim().toLowerCase();
    if (!["true", "false", "1", "0"].includes(text)) {
      throw new InputError(`${specContext(spec)}: parameter 'enable_thinking' must be true or false (got '${params.enable_thinking}')`);
    }
    const extra = sampling.extra ?? {};
    const kwargs = extra.chat_template_kwargs;
    const previous = typeof kwargs === "object" && kwargs !== null ? (kwargs as Record<string, unknown>) : {};
    sampling.extra = { ...extra, chat_template_kwargs: { ...previous, enable_thinking: text === "true" || text === "1" } };
  }
  return sampling;
}

/** The sampling part of the request body, as the server reads it. Named fields win over extras. */
export function samplingBody(sampling: Sampling): Record<string, unknown> {
  const body: Record<string, unknown> = { ...sampling.extra };
  if (sampling.temperature !== undefined) body.temperature = sampling.temperature;
  if (sampling.topP !== undefined) body.top_p = sampling.topP;
  if (sampling.maxTokens !== undefined) body.max_tokens = sampling.maxTokens;
  if (sampling.topK !== undefined) body.top_k = sampling.topK;
  return body;
}

/** JSON with object keys sorted at every depth, so equal settings give equal strings. */
export function stableStringify(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

/** The endpoints: the options', else OPENAI_BASE_URL, else OpenAI's own. */
export function resolveBaseUrls(options: Pick<ProviderOptions, "baseUrls">): string[] {
  if (options.baseUrls.length > 0) return [...new Set(options.baseUrls)];
  const env = process.env.OPENAI_BASE_URL?.trim();
  return [env ? env : OPENAI_DEFAULT_BASE_URL];
}

/**
 * httpFetch, with error bodies put in the envelope the SDK reads. The SDK takes an error's
 * message only from `{"error": {"message"}}`, so SGLang's flat `{"object": "error", "message"}`
 * and a bare `{"error": "text"}` would reach the user as "400 status code (no body)".
 */
async function fetchWithErrorBodies(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await httpFetch(input, init);
  if (response.ok) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const message = errorBodyMessage(body);
  const nested = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  const error = message !== undefined && typeof nested !== "string" ? { ...(body as object), error: undefined, message } : undefined;
  const replaced = error ? JSON.stringify({ error }) : text;
  return new Response(replaced, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** A base URL the SDK can send to: http or https with a host ("localhost:8000/v1" parses as scheme "localhost:"). */
function checkBaseUrl(url: string, source: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed && (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.host !== "") return;
  const shown = displayEndpoint(url);
  const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? "" : ` (did you mean http://${shown}?)`;
  throw new InputError(`${source}: '${shown}' is not an http:// or https:// URL${hint}`);
}

/** Secrets a base URL may carry (`https://user:key@host/v1`), as written and decoded. */
function urlSecrets(url: string): string[] {
  try {
    const { username, password } = new URL(url);
    return [username, password].flatMap((s) => [s, decodeURIComponent(s)]);
  } catch {
    return [];
  }
}

/** Turns the SDK's errors into classified failures; anything else goes to the pool's classifier. */
function toFailure(err: unknown): unknown {
  if (err instanceof APIConnectionTimeoutError) return new AttemptFailure("timeout", describeError(err));
  if (err instanceof APIConnectionError) return new AttemptFailure("connection", describeError(err));
  if (err instanceof APIError && typeof err.status === "number") {
    return failureFromStatus(err.status, err.message, (name) => err.headers?.get(name));
  }
  return err;
}

/** Reads a completion, or fails the attempt as malformed (a retry may get a proper one). */
function readCompletion(completion: unknown): Omit<Reply, "attempts"> {
  const choices = (completion as { choices?: unknown } | null)?.choices;
  const message = Array.isArray(choices) ? (choices[0] as { message?: unknown } | undefined)?.message : undefined;
  if (typeof message !== "object" || message === null) {
    const shown = typeof completion === "string" ? completion : JSON.stringify(completion);
    throw new AttemptFailure("malformed", `response has no choices[0].message: ${String(shown).slice(0, 200)}`);
  }
  const content = (message as { content?: unknown }).content;
  if (content !== undefined && content !== null && typeof content !== "string") {
    throw new AttemptFailure("malformed", `choices[0].message.content is not text: ${JSON.stringify(content).slice(0, 200)}`);
  }
  const finish = (choices as { finish_reason?: unknown }[])[0].finish_reason;
  // vLLM and SGLang end a generation they aborted (engine restart, preemption) with "abort": no answer, ask again.
  if (finish === "abort") throw new AttemptFailure("malformed", `the server aborted the generation (finish_reason "abort")`);
  const reply: Omit<Reply, "attempts"> = { text: content ?? "", finishReason: typeof finish === "string" ? finish : null };
  const toolCalls = readToolCalls((message as { tool_calls?: unknown }).tool_calls);
  if (toolCalls.length > 0) reply.toolCalls = toolCalls;
  const reasoning = readReasoning(message as Record<string, unknown>);
  if (reasoning !== undefined) reply.reasoning = reasoning;
  const usage = (completion as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null }).usage;
  if (typeof usage?.prompt_tokens === "number") reply.promptTokens = usage.prompt_tokens;
  if (typeof usage?.completion_tokens === "number") reply.completionTokens = usage.completion_tokens;
  return reply;
}

/**
 * The reasoning a server parsed out of the answer: vLLM (since its rename) and Ollama send
 * `reasoning`, SGLang, llama.cpp's server and older vLLM `reasoning_content`. Null or empty is none.
 */
function readReasoning(message: Record<string, unknown>): string | undefined {
  for (const key of ["reasoning_content", "reasoning"]) {
    const value = message[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/**
 * The tool calls of a completion's message, checked. Servers differ in small ways (vLLM and
 * llama.cpp may leave out `type`, some send `arguments` as an object), which are evened out; a
 * call without a function name cannot be answered, so it fails the attempt as malformed.
 */
function readToolCalls(value: unknown): ToolCall[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AttemptFailure("malformed", `choices[0].message.tool_calls is not a list: ${JSON.stringify(value).slice(0, 200)}`);
  return value.map((item: unknown, i): ToolCall => {
    const fn = (item as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
    if (typeof fn?.name !== "string") {
      throw new AttemptFailure("malformed", `choices[0].message.tool_calls[${i}] has no function name: ${JSON.stringify(item).slice(0, 200)}`);
    }
    const id = (item as { id?: unknown }).id;
    const args = fn.arguments;
    return {
      // The id links the result to the call; one the server left out is made up, stable per position.
      id: typeof id === "string" && id !== "" ? id : `call_${i}`,
      type: "function",
      function: { name: fn.name, arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}) },
    };
  });
}

/** A message as the request sends it: tool-use turns keep their tool fields, other messages only role and content. */
function requestMessage(m: Message | ToolUseMessage): ChatCompletionMessageParam {
  const t = m as ToolUseMessage;
  if (t.role === "tool") return { role: "tool", content: t.content, tool_call_id: t.tool_call_id ?? "" };
  if (t.role === "assistant" && t.tool_calls !== undefined && t.tool_calls.length > 0) {
    return { role: "assistant", content: t.content, tool_calls: t.tool_calls };
  }
  return { role: m.role, content: m.content } as ChatCompletionMessageParam;
}

export async function createOpenAIAgent(
  model: string,
  params: Record<string, string>,
  spec: string,
  options: ProviderOptions,
): Promise<OpenAIAgent> {
  const sampling = samplingBody(samplingFromParams(options.sampling, params, spec));
  const baseUrls = resolveBaseUrls(options);
  const source = options.baseUrls.length > 0 ? "--base-url" : "OPENAI_BASE_URL";
  for (const url of baseUrls) checkBaseUrl(url, source);
  // Local servers accept any key, but the SDK refuses to start without one.
  const apiKey = process.env.OPENAI_API_KEY || undefined;
  // The keys live only in the clients and this closure; every error text is scrubbed of them.
  const secrets = [...new Set([apiKey ?? "", ...baseUrls.flatMap(urlSecrets)])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const redact = (text: string) => secrets.reduce((t, secret) => t.split(secret).join("[redacted]"), text);
  const clients = new Map(
    baseUrls.map((baseURL) => [
      baseURL,
      new OpenAI({
        apiKey: apiKey ?? "not-needed",
        baseURL,
        maxRetries: 0,
        fetch: fetchWithErrorBodies,
        // The pool aborts at timeoutMs; the SDK's own timer is only a backstop.
        timeout: options.timeoutMs + 1000,
        // The library never prints; OPENAI_LOG still turns the SDK's logging on for debugging.
        ...(process.env.OPENAI_LOG ? {} : { logLevel: "off" as const }),
      }),
    ]),
  );
  let served: (ServedModel | undefined)[] = [];
  if (options.checkEndpoints) {
    const timeoutMs = Math.min(options.timeoutMs, CHECK_TIMEOUT_MS);
    served = await Promise.all(
      baseUrls.map((url) => checkEndpoint({ client: clients.get(url)!, endpoint: displayEndpoint(url), model, sampling, timeoutMs, redact })),
    );
  }
  const pool = new EndpointPool(baseUrls, { ...options, redact });
  // Answers depend on where they came from: the server and the weights it serves under the name.
  const endpoints = baseUrls.map((url, i) => ({ url: displayEndpoint(url), served: served[i] ?? null })).sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  const cacheIdentity = stableStringify({ provider: "openai", model, sampling, endpoints });

  return {
    id: spec,
    cacheIdentity,
    baseUrls,
    pool,
    async respond(call: AgentCall): Promise<Reply> {
      // Extras come from a separate object: written inline, fields like top_k fail type-checking.
      const messages: (Message | ToolUseMessage)[] = call.messages;
      const tools = call.tools !== undefined && call.tools.length > 0 ? call.tools : undefined;
      const body = {
        ...sampling,
        model,
        messages: messages.map(requestMessage),
        ...(tools ? { tools, tool_choice: "auto" } : {}),
        seed: call.seed,
      } as ChatCompletionCreateParamsNonStreaming;
      const { value, attempts, lastError } = await pool.run(async (endpoint, _attempt, signal) => {
        const client = clients.get(endpoint)!;
        const completion = await client.chat.completions.create(body, { signal }).catch((err: unknown) => {
          throw toFailure(err);
        });
        return readCompletion(completion);
      }, { seed: call.seed });
      return { ...value, attempts, ...(lastError !== undefined ? { retryError: lastError } : {}) };
    },
    async close(): Promise<void> {
      pool.close();
    },
  };
}
