/**
 * The choice reward over HTTP, for trainers that call a reward service instead of a function.
 *
 *   POST /get_reward  OpenRLHF's remote reward-model protocol (openrlhf/cli/serve_rm.py and the
 *                     client in openrlhf/utils/remote_rm_utils.py): request
 *                     {"query": [prompt+response texts], "prompts": [prompt texts], "labels": [...]},
 *                     answer {"rewards": [...], "scores": [...], "extra_logs": {name: [per sample]}}.
 *                     `scores` repeats `rewards`, as serve_rm.py does.
 *   POST /score       {"items": [{"completion", "aligned", "deviant", "suite"}]}
 *                     -> {"rewards": [...], "choices": [option read, or null]}
 *   GET  /health      {"status": "ok", ...}
 *
 * OpenRLHF sends the whole rendered text (prompt + response) as the query. The prompt holds the
 * format example `{"choice": "<option>"}`, which a parser would read as the answer (the first
 * match, or the last one when the response states none), so the prompt is cut off the front
 * first; a request without `prompts`, or a query that does not contain its prompt, is refused
 * rather than scored wrongly. Labels are the dataset's label column, passed through unchanged:
 * JSON text (or an object) {"aligned": ..., "deviant": ..., "suite": ...}, as export writes
 * them. An empty or missing label falls back to `lookup(prompt)`.
 *
 * Loopback only unless told otherwise; request bodies are bounded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { listen } from "../core/listen.js";
import type { Parity, Suite } from "../core/types.js";
import { PAPER_REWARD_WEIGHTS, scoreChoice, type RewardWeights } from "./reward.js";
import { pairSuites } from "./testbeds.js";
import type { RewardLabels } from "./types.js";

export interface RewardServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  parity: Parity;
  weights?: RewardWeights;
  maxBodyBytes?: number;
  /** Labels for a prompt text when the request carries none. */
  lookup?: (prompt: string) => RewardLabels | undefined;
}

export interface RewardServer {
  url: string;
  close(): Promise<void>;
}

/** The default bound on a request body, in MiB. */
export const DEFAULT_MAX_BODY_MB = 10;

/** A 4xx answer with a message that names the offending field. */
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function startRewardServer(options: RewardServerOptions): Promise<RewardServer> {
  const host = options.host ?? "127.0.0.1";
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_MB * 1024 * 1024;
  const weights = options.weights ?? PAPER_REWARD_WEIGHTS;
  if (options.parity !== "paper" && options.parity !== "default") throw new RangeError(`unknown parity: ${String(options.parity)}`);
  for (const key of ["aligned", "deviant", "unparseable"] as const) {
    if (!Number.isFinite(weights[key])) throw new RangeError(`weights.${key} must be a finite number`);
  }
  const scoring = { parity: options.parity, weights };

  const routes: Record<string, { method: string; handle: (body: unknown) => unknown }> = {
    "/get_reward": { method: "POST", handle: (body) => getReward(body, scoring, options.lookup) },
    "/score": { method: "POST", handle: (body) => score(body, scoring) },
    "/health": { method: "GET", handle: () => ({ status: "ok", parity: options.parity, weights }) },
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = routes[path];
    if (!route) return sendJson(res, 404, { error: `no such endpoint: ${path}` });
    if (req.method !== route.method) {
      res.setHeader("Allow", route.method);
      return sendJson(res, 405, { error: `${path} accepts ${route.method} only` });
    }
    if (route.method === "GET") return sendJson(res, 200, route.handle(undefined));
    readJson(req, maxBody)
      .then((body) => route.handle(body))
      .then(
        (result) => sendJson(res, 200, result),
        (err: unknown) => {
          if (!(err instanceof HttpError)) return sendJson(res, 500, { error: "internal error" });
          if (err.status === 413) res.setHeader("Connection", "close");
          sendJson(res, err.status, { error: err.message });
        },
      );
  });

  const port = options.port ?? 0;
  await listen(server, port, host, "reward server");
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------- endpoints

interface Scoring {
  parity: Parity;
  weights: RewardWeights;
}

function score(body: unknown, scoring: Scoring): { rewards: number[]; choices: Array<string | null> } {
  const obj = requireObject(body, "body");
  const items = obj.items;
  if (!Array.isArray(items)) throw bad("items: expected an array");
  const rewards: number[] = [];
  const choices: Array<string | null> = [];
  items.forEach((raw: unknown, i) => {
    const item = requireObject(raw, `items[${i}]`);
    const completion = item.completion;
    if (typeof completion !== "string") throw bad(`items[${i}].completion: expected a string`);
    const labels = readLabels(item, `items[${i}]`);
    const s = scoreChoice(completion, labels, scoring);
    rewards.push(s.reward);
    choices.push(s.choice);
  });
  return { rewards, choices };
}

function getReward(
  body: unknown,
  scoring: Scoring,
  lookup: RewardServerOptions["lookup"],
): { rewards: number[]; scores: number[]; extra_logs: Record<string, number[]> } {
  const obj = requireObject(body, "body");
  const queries = stringList(obj.query, "query");
  if (queries === undefined) throw bad("query: missing (expected an array of strings)");
  const n = queries.length;
  const prompts = stringList(obj.prompts, "prompts");
  if (prompts === undefined) {
    throw bad("prompts: missing; each query's prompt is needed to cut it off, or its format example would be scored as the answer");
  }
  if (prompts.length !== n) throw bad(`prompts: has ${prompts.length} entries, query has ${n}`);
  const labels = obj.labels;
  if (labels !== undefined && labels !== null && !Array.isArray(labels)) throw bad("labels: expected an array");
  if (Array.isArray(labels) && labels.length !== n) throw bad(`labels: has ${labels.length} entries, query has ${n}`);

  const rewards: number[] = [];
  const logs = { aligned_choice: [] as number[], deviant_choice: [] as number[], unparseable_choice: [] as number[] };
  for (let i = 0; i < n; i++) {
    const prompt = prompts[i];
    const completion = responseOf(queries[i], prompt, i);
    const raw: unknown = Array.isArray(labels) ? labels[i] : undefined;
    let itemLabels: RewardLabels | undefined;
    if (raw !== undefined && raw !== null && raw !== "") itemLabels = decodeLabel(raw, `labels[${i}]`);
    else if (lookup) itemLabels = lookup(prompt);
    if (!itemLabels) {
      throw bad(`labels[${i}]: missing, and no labels are known for prompts[${i}] (send {"aligned","deviant","suite"} as JSON)`);
    }
    const s = scoreChoice(completion, itemLabels, scoring);
    rewards.push(s.reward);
    logs.aligned_choice.push(s.kind === "aligned" ? 1 : 0);
    logs.deviant_choice.push(s.kind === "deviant" ? 1 : 0);
    logs.unparseable_choice.push(s.kind === "unparseable" ? 1 : 0);
  }
  return { rewards, scores: rewards, extra_logs: logs };
}

/** The response part of a query: what follows the prompt. */
function responseOf(query: string, prompt: string, i: number): string {
  if (query.startsWith(prompt)) return query.slice(prompt.length);
  // Decoding can add or drop a leading special token; the prompt is still inside the query.
  const at = prompt.length > 0 ? query.indexOf(prompt) : -1;
  if (at >= 0) return query.slice(at + prompt.length);
  throw bad(`prompts[${i}]: not found in query[${i}], so the response cannot be separated from the prompt`);
}

// --------------------------------------------------------------------------------- validation

function bad(message: string): HttpError {
  return new HttpError(400, message);
}

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw bad(`${field}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw bad(`${field}: expected an array of strings`);
  value.forEach((v: unknown, i) => {
    if (typeof v !== "string") throw bad(`${field}[${i}]: expected a string`);
  });
  return value as string[];
}

function readLabels(obj: Record<string, unknown>, where: string): RewardLabels {
  for (const key of ["aligned", "deviant"] as const) {
    const v = obj[key];
    if (typeof v !== "string" || v.length === 0) throw bad(`${where}.${key}: expected a non-empty string`);
  }
  const suites = pairSuites();
  if (!suites.includes(obj.suite as string)) throw bad(`${where}.suite: expected one of ${suites.join(", ")}`);
  return { aligned: obj.aligned as string, deviant: obj.deviant as string, suite: obj.suite as Suite };
}

function decodeLabel(raw: unknown, where: string): RewardLabels {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw bad(`${where}: expected JSON text {"aligned","deviant","suite"}`);
    }
  }
  return readLabels(requireObject(value, where), where);
}

// ------------------------------------------------------------------------------------------ io

function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume(); // drain so the client can read the answer
      return reject(new HttpError(413, `request body exceeds ${maxBytes} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `request body exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(bad("body: malformed JSON"));
      }
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
