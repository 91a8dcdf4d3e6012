/**
 * A loopback OpenAI-compatible server for tests and benchmarks: POST /v1/chat/completions and
 * GET /v1/models on 127.0.0.1. It serves at most `capacity` requests at once (the rest queue),
 * each after `latencyMs`, and can inject the faults a real server shows: 5xx, 429 with
 * Retry-After, a request that never answers, a body that is not a completion, a dropped socket.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** An error status with an OpenAI-style error body; 429 and 503 may carry Retry-After (seconds). */
  | { status: number; retryAfter?: number | string; retryAfterMs?: number; message?: string }
  /** Never answers; the request ends when the client aborts (or the server closes). */
  | { hang: true }
  /** 200 with a body that is not a completion: `true` valid JSON without choices, "json" broken JSON. */
  | { malformed: true | "json" }
  /** Sends the headers and part of the body, then destroys the socket. */
  | { drop: true }
  /** Answers exactly this status and body, e.g. a real server's error from `serverShape`. */
  | { reply: ServerShape };

/** A status and body as a real server sends them (`serverShape` in openai-shapes.ts reads one). */
export interface ServerShape {
  status: number;
  body: unknown;
}

export interface FakeRequest {
  /** Index among chat-completion requests, from 0 (the `requestIndex` passed to `respond` and `fault`). */
  index: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/** An assistant message with tool calls (or raw fields a real server may send), instead of plain text. */
export interface FakeMessage {
  content?: string | null;
  /** Sent as they are, so tests can also send ones a server gets wrong. */
  tool_calls?: unknown[];
  /** A whole completion body sent as it is instead (e.g. a real server's, see openai-shapes.ts). */
  body?: unknown;
}

export interface FakeOpenAIOptions {
  /** Time each request takes once it is being served. */
  latencyMs?: number;
  /** Requests served at once; more wait in a FIFO queue (default: no limit). */
  capacity?: number;
  /** The assistant's text, or a message with tool calls; default `reply to seed N` from the request's seed. */
  respond?: (body: any, requestIndex: number) => string | FakeMessage;
  fault?: (requestIndex: number, body: any) => Fault | undefined;
  /** The answer to GET /v1/models (default: one model, `fake-model`); a 404 shape for a server without it. */
  models?: ServerShape;
  /** Requests that do not carry `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
}

export interface FakeOpenAI {
  /** Base URL, ending in `/v1`. */
  url: string;
  /** Chat-completion requests received, in arrival order. */
  requests: FakeRequest[];
  /** Chat-completion requests open right now (queued or being served). */
  readonly inFlight: number;
  /** The most chat-completion requests open at once. */
  readonly maxInFlight: number;
  /** Chat-completion requests answered with a completion. */
  readonly completed: number;
  close(): Promise<void>;
}

/** The default answer: a pure function of the seed, so a test knows what each call returns. */
export function defaultFakeAnswer(seed: unknown): string {
  return `reply to seed ${String(seed)}`;
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const latencyMs = opts.latencyMs ?? 0;
  const capacity = opts.capacity ?? Infinity;
  const respond = opts.respond ?? ((body: { seed?: unknown }) => defaultFakeAnswer(body.seed));
  const requests: FakeRequest[] = [];
  let open = 0;
  let maxOpen = 0;
  let serving = 0;
  let completed = 0;
  const queue: Array<() => void> = [];
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  /** Waits for a serving slot; resolves false if the client went away while queued. */
  const acquire = (res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      const start = () => {
        if (res.destroyed || res.writableEnded) return resolve(false);
        serving++;
        resolve(true);
      };
      if (serving < capacity) start();
      else queue.push(start);
    });
  const release = () => {
    serving--;
    while (queue.length > 0 && serving < capacity) queue.shift()!();
  };

  async function completion(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
      let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { error: { message: "request body is not JSON", type: "invalid_request_error" } });
    }
    const index = requests.length;
    requests.push({ index, headers: req.headers, body });
    open++;
    maxOpen = Math.max(maxOpen, open);
    let counted = true;
    const done = () => {
      if (counted) {
        counted = false;
        open--;
      }
    };
    // "finish" fires as the answer is handed to the socket, before the client can send its next request.
    res.on("finish", done);
    res.on("close", done);

    if (!(await acquire(res))) return done();
    let held = true;
    const free = () => {
      if (held) {
        held = false;
        release();
      }
    };
    res.on("finish", free);
    res.on("close", free);

    const fault = opts.fault?.(index, body);
    if (fault !== undefined && "hang" in fault) return; // freed when the client aborts
    later(latencyMs, () => {
      if (res.destroyed) return free();
      if (fault === undefined) {
        const answer = respond(body, index);
        const reply: FakeMessage = typeof answer === "string" ? { content: answer } : answer;
        if (reply.body !== undefined) {
          completed++;
          return sendJson(res, 200, reply.body);
        }
        const content = reply.content ?? null;
        const toolCalls = reply.tool_calls !== undefined && reply.tool_calls.length > 0 ? reply.tool_calls : undefined;
        const promptChars = JSON.stringify(body.messages ?? []).length;
        const promptTokens = Math.ceil(promptChars / 4);
        const completionTokens = (content ?? "").split(/\s+/).filter(Boolean).length + (toolCalls ? JSON.stringify(toolCalls).length : 0);
        completed++;
        sendJson(res, 200, {
          id: `chatcmpl-fake-${index}`,
          object: "chat.completion",
          created: 1_700_000_000,
          model: body.model ?? "fake-model",
          choices: [
            {
              index: 0,
              message: { role: "assistant", content, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
              logprobs: null,
              finish_reason: toolCalls ? "tool_calls" : "stop",
            },
          ],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        });
      } else if ("status" in fault) {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        if (fault.retryAfterMs !== undefined) headers["retry-after-ms"] = String(fault.retryAfterMs);
        const type = fault.status === 429 ? "rate_limit_error" : fault.status >= 500 ? "server_error" : "invalid_request_error";
        sendJson(res, fault.status, { error: { message: fault.message ?? `fake ${fault.status} error`, type } }, headers);
      } else if ("reply" in fault) {
        sendJson(res, fault.reply.status, fault.reply.body);
      } else if ("malformed" in fault) {
        if (fault.malformed === "json") {
          const broken = '{"id": "chatcmpl-broken", "choices": [{"message": ';
          res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(broken) });
          res.end(broken);
        } else {
          sendJson(res, 200, { oops: 1 });
        }
      } else {
        // Promise a long body, send a little of it, then cut the connection.
        res.writeHead(200, { "content-type": "application/json", "content-length": 4096 });
        res.write('{"id": "chatcmpl-dropped", "object": "chat.completion", "choices": [');
        later(5, () => res.socket?.destroy());
      }
    });
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
    } else if (req.method === "POST" && path === "/v1/chat/completions") {
      completion(req, res).catch(() => res.destroy());
    } else if (req.method === "GET" && path === "/v1/models") {
      const models = opts.models ?? { status: 200, body: { object: "list", data: [{ id: "fake-model", object: "model", created: 1_700_000_000, owned_by: "fake" }] } };
      sendJson(res, models.status, models.body);
    } else {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get inFlight() {
      return open;
    },
    get maxInFlight() {
      return maxOpen;
    },
    get completed() {
      return completed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Hanging requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

/**
 * A model-like answer for the testbeds: reads the two options from the format instruction the
 * prompt carries (`{"choice": "A"} or {"choice": "B"}`) and picks one by the request's seed
 * (sometimes none), so runs against the fake server have real choices, deterministic per call.
 */
export function choosingAnswer(body: { seed?: number; messages?: { content?: string }[] }): string {
  const text = (body.messages ?? []).map((m) => m.content ?? "").join("\n");
  const options = [...text.matchAll(/\{"choice": "([^"]+)"\} or \{"choice": "([^"]+)"\}/g)].pop();
  const seed = Number(body.seed ?? 0);
  if (!options || seed % 5 === 4) return "I cannot decide.";
  const pick = options[1 + (seed % 2)];
  return `Thinking it over, I take ${pick}.\n{"choice": "${pick}"}`;
}
