/**
 * `llama:PATH.gguf` and `llama:hf:user/repo/file.gguf`: a GGUF model run in-process by
 * node-llama-cpp (llama.cpp bindings), no server needed.
 *
 * node-llama-cpp is an optional peer dependency: it is imported only when a `llama:` model is
 * made, so users who never load a GGUF need not install it (it brings ~700 MB of binaries).
 *
 * One model, one context with several sequences; each sequence answers one call at a time and
 * calls beyond the free sequences wait in a FIFO queue. Every call is an independent
 * conversation: the sequence is cleared before it, so nothing leaks between conversations and
 * the same call with the same seed gives the same text.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import type * as NodeLlamaCpp from "node-llama-cpp";
import { InputError } from "../core/errors.js";
import type { Message, ToolSchema, ToolUseMessage } from "../core/types.js";
import { checkParams, numberParam, specContext } from "../agents/spec.js";
import type { Agent, AgentCall, Reply } from "../agents/types.js";
import { defaultCacheDir } from "../scenarios/fetch.js";
import type { ProviderOptions, Sampling } from "./types.js";

type LlamaModule = typeof NodeLlamaCpp;

/** The node-llama-cpp version this provider is written and tested against. */
export const NODE_LLAMA_CPP_VERSION = "3.21.1";

export const LLAMA_MISSING_MESSAGE =
  `llama: models need the optional package node-llama-cpp ${NODE_LLAMA_CPP_VERSION}: ` +
  `run npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`;

/**
 * A conversation as core messages, for providers without tool calling. Text-protocol
 * conversations convert as they are; offered tools or a tool turn cannot be expressed, so they throw.
 */
export function plainMessages(messages: readonly ToolUseMessage[], tools?: readonly ToolSchema[]): Message[] {
  const refuse = () => new Error("this provider has no tool calling: play the tool-use testbed with --tool-protocol text");
  if (tools !== undefined && tools.length > 0) throw refuse();
  return messages.map((m) => {
    if (m.role === "tool" || (m.tool_calls?.length ?? 0) > 0) throw refuse();
    return { role: m.role, content: m.content };
  });
}

/** Model-string parameters this provider reads. */
export const LLAMA_PARAMS = [
  "temperature",
  "top_p",
  "top_k",
  "min_p",
  "max_tokens",
  "context_size",
  "contextSize",
  "sequences",
  "threads",
  "gpu",
] as const;

/**
 * Sampling when neither the options nor the model string set it: llama.cpp's own defaults
 * (llama-server, llama-cli), so `llama:` answers like the same GGUF served by llama-server.
 */
export const LLAMA_DEFAULT_SAMPLING = Object.freeze({ temperature: 0.8, topP: 0.95, topK: 40, minP: 0.05, maxTokens: 512 });

const DEFAULT_CONTEXT_SIZE = 4096;
// Below this a chat template plus a short conversation no longer fits.
const MIN_CONTEXT_SIZE = 512;
const MAX_DEFAULT_SEQUENCES = 8;
// On small models thread synchronisation costs more than it gains (1 thread was 40x faster than 2).
const SMALL_MODEL_BYTES = 50 * 1024 * 1024;
const HEAD_HASH_BYTES = 1024 * 1024;
const PROBE_TIMEOUT_MS = 15_000;
const GPU_CHOICES = ["false", "auto", "cuda", "vulkan", "metal"] as const;

/** The sampling a llama agent applies (what the cache identity records). */
export interface LlamaSampling {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  maxTokens: number;
}

/** A llama agent, with the settings it resolved (for progress displays and tests). */
export interface LlamaAgent extends Agent {
  readonly cacheIdentity: string;
  /** The GGUF file loaded (after resolving an `hf:` URI). */
  readonly modelFile: string;
  readonly sampling: Readonly<LlamaSampling>;
  /** Tokens per sequence, as created (llama.cpp may round the request up). */
  readonly contextSize: number;
  readonly sequences: number;
  readonly threads: number;
  /** The compute backend llama.cpp actually uses: "false" for the CPU, else cuda, vulkan or metal. */
  readonly gpu: string;
  /** Calls waiting for a free sequence. */
  queued(): number;
}

/**
 * Imports node-llama-cpp, or fails with the install hint when it is not installed. `importer`
 * exists so tests can simulate the package being absent. Typed `unknown` so this module's
 * declarations do not need the optional package's types.
 */
export async function loadNodeLlamaCpp(
  importer: () => Promise<unknown> = () => import("node-llama-cpp"),
): Promise<unknown> {
  try {
    return await importer();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === "ERR_MODULE_NOT_FOUND" && message.includes("node-llama-cpp")) throw new InputError(LLAMA_MISSING_MESSAGE);
    throw err;
  }
}

/** Whether a model name is something to download (rather than a local path). */
export function isModelUri(name: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(name);
}

/** Options' sampling with the model string's parameters on top, then llama.cpp's defaults. */
export function llamaSampling(base: Sampling, params: Record<string, string>, spec: string): LlamaSampling {
  const d = LLAMA_DEFAULT_SAMPLING;
  const extraMinP = base.extra?.min_p;
  const topK = numberParam(params, "top_k", base.topK ?? d.topK, { min: -1, integer: true }, spec);
  return {
    temperature: numberParam(params, "temperature", base.temperature ?? d.temperature, { min: 0 }, spec),
    topP: numberParam(params, "top_p", base.topP ?? d.topP, { min: 0, max: 1 }, spec),
    // -1 is how vLLM says "no top-k" (configs shared with the openai provider); llama.cpp says 0.
    topK: topK < 0 ? 0 : topK,
    // min_p is a llama.cpp sampler; shared configs carry it in `extra` (as llama-server reads it).
    minP: numberParam(params, "min_p", typeof extraMinP === "number" ? extraMinP : d.minP, { min: 0, max: 1 }, spec),
    maxTokens: numberParam(params, "max_tokens", base.maxTokens ?? d.maxTokens, { min: 1, integer: true }, spec),
  };
}

/** Where `hf:` models are downloaded: `$ATP_CACHE_DIR/models` (or the XDG/home cache). */
export function modelCacheDir(): string {
  return join(defaultCacheDir(), "models");
}

/** The base URL node-llama-cpp resolves `hf:` URIs against (same precedence as its own). */
function huggingFaceEndpoint(): string {
  for (const value of [process.env.MODEL_ENDPOINT, process.env.HF_ENDPOINT]) {
    if (value && /^https?:\/\//i.test(value)) return value;
  }
  return "https://huggingface.co/";
}

/**
 * Fails fast when the download server cannot be reached: node-llama-cpp's downloader retries
 * connection errors for minutes and takes no abort signal before the transfer starts.
 */
async function probeDownload(uri: string, spec: string, timeoutMs: number): Promise<void> {
  const target = /^https?:\/\//i.test(uri) ? new URL(uri).origin : huggingFaceEndpoint();
  try {
    // Any HTTP answer (even 404) means the server is there; the download reports real errors.
    await fetch(target, { method: "HEAD", signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    throw new InputError(
      `${specContext(spec)}: the model could not be downloaded: ${target} is unreachable (${reason}). ` +
        `Download the .gguf file elsewhere and pass its local path: llama:/path/to/model.gguf`,
    );
  }
}

/** A local GGUF path, checked; or an `hf:`/URL model, found in the cache or downloaded into it. */
async function resolveModelPath(mod: LlamaModule, name: string, spec: string, timeoutMs: number): Promise<string> {
  if (!isModelUri(name)) {
    const file = resolve(name);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new InputError(`${specContext(spec)}: model file not found: ${name}${file === name ? "" : ` (${file})`}`);
    }
    if (!isFile) throw new InputError(`${specContext(spec)}: ${name} is not a file (expected a .gguf model file)`);
    return file;
  }
  const directory = modelCacheDir();
  try {
    // Offline-first: a model downloaded before is used without touching the network.
    return await mod.resolveModelFile(name, { directory, download: false, cli: false });
  } catch {
    // Not cached yet.
  }
  await probeDownload(name, spec, Math.min(timeoutMs, PROBE_TIMEOUT_MS));
  // A multi-gigabyte download with no word would look like a hang; one line on stderr each way.
  process.stderr.write(`llama: downloading ${name} into ${directory}\n`);
  try {
    const file = await mod.resolveModelFile(name, { directory, cli: false });
    process.stderr.write(`llama: downloaded ${basename(file)}\n`);
    return file;
  } catch (err) {
    throw new InputError(
      `${specContext(spec)}: the model could not be downloaded: ${err instanceof Error ? err.message : String(err)}. ` +
        `Download the .gguf file elsewhere and pass its local path: llama:/path/to/model.gguf`,
    );
  }
}

/** sha256 of the file's first MiB: with name and size, tells a re-quantized or edited model apart. */
function headHash(file: string): string {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(HEAD_HASH_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return createHash("sha256").update(buf.subarray(0, n)).digest("hex");
  } finally {
    closeSync(fd);
  }
}

function gpuParam(params: Record<string, string>, spec: string): "auto" | "cuda" | "vulkan" | "metal" | false {
  const value = (params.gpu ?? "false").trim().toLowerCase();
  if (!(GPU_CHOICES as readonly string[]).includes(value)) {
    throw new InputError(`${specContext(spec)}: parameter 'gpu' must be one of ${GPU_CHOICES.join(", ")} (got '${params.gpu}')`);
  }
  return value === "false" ? false : (value as "auto" | "cuda" | "vulkan" | "metal");
}

/**
 * node-llama-cpp's chat history items, spelled out here so this module's declarations do not
 * need the optional package's types.
 */
export type LlamaHistoryItem =
  | { type: "system"; text: string }
  | { type: "user"; text: string }
  | { type: "model"; response: string[] };

/** Our transcript messages as node-llama-cpp chat history, ending with the response to generate. */
export function toChatHistory(messages: readonly Message[]): LlamaHistoryItem[] {
  const history = messages.map((m): LlamaHistoryItem => {
    switch (m.role) {
      case "system":
        return { type: "system", text: m.content };
      case "user":
        return { type: "user", text: m.content };
      case "assistant":
        return { type: "model", response: [m.content] };
    }
  });
  // An empty model turn is the one to generate (even right after an assistant message).
  history.push({ type: "model", response: [] });
  return history;
}

/**
 * The whole generated text, thoughts included in the template's own markers (e.g.
 * `<think>...</think>`): paper-parity parsing reads a thinking model's first mention, as the
 * reference code saw raw model text; the default parser strips thinking itself.
 */
function fullText(mod: LlamaModule, response: NodeLlamaCpp.LlamaChatResponse["fullResponse"]): string {
  return response
    .map((item) => (typeof item === "string" ? item : mod.LlamaText.fromJSON(item.raw).toString()))
    .join("");
}

/** node-llama-cpp's stop reasons in the OpenAI words the run checks (`length` is the token limit). */
export function finishReason(stopReason: NodeLlamaCpp.LlamaChatResponse["metadata"]["stopReason"]): string {
  switch (stopReason) {
    case "maxTokens":
      return "length";
    case "functionCalls":
      return "tool_calls";
    case "abort":
      return "abort";
    default:
      // End of generation, a stop trigger of the template or a custom one: the model finished.
      return "stop";
  }
}

class ContextFullError extends Error {
  constructor(contextSize: number) {
    super(
      `llama: the conversation and its answer do not fit in the context (${contextSize} tokens); ` +
        "raise context_size or lower max_tokens (history is never dropped silently)",
    );
    this.name = "ContextFullError";
  }
}

interface Slot {
  sequence: NodeLlamaCpp.LlamaContextSequence;
  chat: NodeLlamaCpp.LlamaChat;
}

/**
 * Creates the agent for `llama:PATH.gguf` or `llama:hf:...`. Loads everything up front (model,
 * context, sequences), so a bad file or too little memory fails before the run starts.
 */
export async function createLlamaAgent(
  path: string,
  params: Record<string, string>,
  spec: string,
  options: ProviderOptions,
): Promise<LlamaAgent> {
  checkParams(params, LLAMA_PARAMS, spec);
  const sampling = llamaSampling(options.sampling, params, spec);
  if (Object.hasOwn(params, "context_size") && Object.hasOwn(params, "contextSize")) {
    throw new InputError(`${specContext(spec)}: give 'context_size' or 'contextSize', not both`);
  }
  const contextKey = Object.hasOwn(params, "contextSize") ? "contextSize" : "context_size";
  const requestedContext = numberParam(params, contextKey, DEFAULT_CONTEXT_SIZE, { min: MIN_CONTEXT_SIZE, max: 1 << 20, integer: true }, spec);
  const sequenceCount = numberParam(
    params,
    "sequences",
    Math.max(1, Math.min(options.concurrency, MAX_DEFAULT_SEQUENCES)),
    { min: 1, max: 256, integer: true },
    spec,
  );
  const gpu = gpuParam(params, spec);
  if (sampling.maxTokens >= requestedContext) {
    throw new InputError(`${specContext(spec)}: max_tokens (${sampling.maxTokens}) must be below the context size (${requestedContext})`);
  }

  const mod = (await loadNodeLlamaCpp()) as LlamaModule;
  const modelFile = await resolveModelPath(mod, path, spec, options.timeoutMs);
  const size = statSync(modelFile).size;
  const threads = numberParam(
    params,
    "threads",
    size < SMALL_MODEL_BYTES ? 1 : availableParallelism(),
    { min: 1, max: 1024, integer: true },
    spec,
  );

  let llama: NodeLlamaCpp.Llama | undefined;
  let model: NodeLlamaCpp.LlamaModel | undefined;
  let context: NodeLlamaCpp.LlamaContext | undefined;
  try {
    try {
      // build "never": only the prebuilt binaries; compiling llama.cpp on a user's machine at run time is not wanted.
      llama = await mod.getLlama({ gpu, build: "never", logLevel: mod.LlamaLogLevel.error, maxThreads: threads });
    } catch (err) {
      throw new InputError(
        `${specContext(spec)}: no usable llama.cpp binary for gpu=${gpu === false ? "false" : gpu}: ` +
          `${err instanceof Error ? err.message : String(err)}` + (gpu === false ? "" : " (try gpu=false)"),
      );
    }
    // getLlama may fall back to the CPU (e.g. metal off macOS); a GPU asked for by name must be the one used.
    if (gpu !== false && gpu !== "auto" && llama.gpu !== gpu) {
      throw new InputError(`${specContext(spec)}: gpu=${gpu} is not available here (llama.cpp runs on ${llama.gpu || "the CPU"}); use gpu=auto or gpu=false`);
    }
    try {
      model = await llama.loadModel({ modelPath: modelFile });
    } catch (err) {
      throw new InputError(`${specContext(spec)}: cannot load ${modelFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      context = await model.createContext({ contextSize: requestedContext, sequences: sequenceCount, threads });
    } catch (err) {
      throw new InputError(
        `${specContext(spec)}: cannot create a context of ${requestedContext} tokens x ${sequenceCount} sequences: ` +
          `${err instanceof Error ? err.message : String(err)} (lower context_size or sequences)`,
      );
    }
  } catch (err) {
    await context?.dispose().catch(() => undefined);
    await model?.dispose().catch(() => undefined);
    await llama?.dispose().catch(() => undefined);
    throw err;
  }

  const ctx = context;
  const loadedModel = model;
  const loadedLlama = llama;
  // One chat wrapper for all sequences, resolved from the GGUF's tokenizer.chat_template.
  const chatWrapper = mod.resolveChatWrapper(loadedModel);
  const slots: Slot[] = [];
  for (let i = 0; i < sequenceCount; i++) {
    const sequence = ctx.getSequence();
    slots.push({ sequence, chat: new mod.LlamaChat({ contextSequence: sequence, chatWrapper }) });
  }

  const free = [...slots];
  const waiters: Array<{ resolve: (slot: Slot) => void; reject: (err: Error) => void }> = [];
  let closed = false;
  const closedError = () => new Error("llama: the agent is closed; the call was cancelled");

  const acquire = (): Promise<Slot> => {
    if (closed) return Promise.reject(closedError());
    const slot = free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  const release = (slot: Slot): void => {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(slot);
    else free.push(slot);
  };

  const contextSize = ctx.contextSize;

  async function generate(slot: Slot, call: AgentCall): Promise<Reply> {
    // A fresh sequence per call: no state from another conversation, and the same computation
    // (hence the same text) for the same call and seed.
    await slot.sequence.clearHistory();
    const history = toChatHistory(plainMessages(call.messages, call.tools));
    const prompt = chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(loadedModel.tokenizer);
    if (prompt.length >= contextSize) throw new ContextFullError(contextSize);
    let completionTokens = 0;
    // Dropping the start of the conversation would change the experiment, so a full context
    // fails the call. A strategy that throws is not enough: node-llama-cpp logs the error and
    // falls back to its own shift. So the strategy aborts the call and hands back a tiny history
    // (which fits, so nothing is logged); the abort then ends the generation.
    const overflow = new AbortController();
    const refuseShift = () => {
      overflow.abort(new ContextFullError(contextSize));
      return { chatHistory: [{ type: "model" as const, response: [] }], metadata: null };
    };
    const result = await slot.chat.generateResponse(history, {
      temperature: sampling.temperature,
      topP: sampling.topP,
      topK: sampling.topK,
      minP: sampling.minP,
      maxTokens: sampling.maxTokens,
      seed: call.seed >>> 0,
      // llama-server's default (repeat_penalty 1.0): sampling is exactly what the settings say.
      repeatPenalty: false,
      contextShift: { strategy: refuseShift },
      signal: overflow.signal,
      onResponseChunk: (chunk) => {
        completionTokens += chunk.tokens.length;
      },
    });
    return {
      text: fullText(mod, result.fullResponse),
      attempts: 1,
      promptTokens: prompt.length,
      completionTokens,
      finishReason: finishReason(result.metadata.stopReason),
    };
  }

  const cacheIdentity = JSON.stringify({
    provider: "llama",
    model: { file: basename(modelFile), sha256Head: headHash(modelFile), size },
    sampling: { maxTokens: sampling.maxTokens, minP: sampling.minP, temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP },
  });

  return {
    id: spec,
    cacheIdentity,
    modelFile,
    sampling: Object.freeze({ ...sampling }),
    contextSize,
    sequences: sequenceCount,
    threads,
    gpu: loadedLlama.gpu === false ? "false" : loadedLlama.gpu,
    queued: () => waiters.length,
    async respond(call: AgentCall): Promise<Reply> {
      const slot = await acquire();
      try {
        return await generate(slot, call);
      } catch (err) {
        if (closed) throw closedError();
        if (err instanceof ContextFullError) throw err;
        // Any other failure (a native error, a disposed context) is reported, never papered over.
        throw new Error(`llama: generation failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      } finally {
        release(slot);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.reject(closedError());
      for (const slot of slots) slot.chat.dispose();
      await ctx.dispose();
      await loadedModel.dispose();
      await loadedLlama.dispose();
    },
  };
}
