/**
 * Real servers' chat-completion bodies, error answers and model lists (vLLM, SGLang, llama.cpp's
 * server, Ollama), read at test time from the shared openai-shapes copy (ATP_SHAPES_DIR, or
 * ../shared/openai-shapes beside the repository), with a test's own answer put in. Missing:
 * skipped outside CI, a failure under CI.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TestContext } from "node:test";
import type { ServerShape } from "./fake-openai.js";
import { repoRoot } from "./paper.js";

export const SHAPE_SERVERS = ["vllm", "sglang", "llamacpp", "ollama"] as const;
export type ShapeServer = (typeof SHAPE_SERVERS)[number];
export const CHAT_CASES = ["stop", "length", "reasoning", "reasoning-only", "tool-calls"] as const;
export type ChatCase = (typeof CHAT_CASES)[number];

export function shapesDir(): string {
  return process.env.ATP_SHAPES_DIR ?? resolve(repoRoot, "..", "shared", "openai-shapes");
}

/** A fixture's status and body, or null after skipping the test. */
function readShape(t: TestContext, name: string): ServerShape | null {
  const file = join(shapesDir(), `${name}.json`);
  if (!existsSync(file)) {
    const message = `server response shapes not found at ${file} (set ATP_SHAPES_DIR)`;
    if (process.env.CI === "true") throw new Error(message);
    t.skip(message);
    return null;
  }
  const { status, body } = JSON.parse(readFileSync(file, "utf8")) as ServerShape;
  return { status, body };
}

/** The fixture's `body`, or null after skipping the test. */
export function chatShape(t: TestContext, server: ShapeServer, which: ChatCase): any | null {
  return readShape(t, `${server}.chat.${which}`)?.body ?? null;
}

/**
 * Any other fixture as the fake server answers it, e.g. `serverShape(t, "vllm", "error.unknown-model")`
 * or `serverShape(t, "ollama", "models")`; null after skipping the test.
 */
export function serverShape(t: TestContext, server: ShapeServer, name: string): ServerShape | null {
  return readShape(t, `${server}.${name}`);
}

export interface ShapeFill {
  content?: string;
  reasoning?: string;
  /** Replace the fixture's tool calls, keeping each one's own fields (id, index, type). */
  toolCalls?: { name: string; arguments: string }[];
}

/**
 * The body with the answer put where the server puts it: text only where the fixture has text
 * (null or "" content stays as the server sends it), reasoning under the fixture's own key.
 */
export function fillShape(body: any, fill: ShapeFill): unknown {
  const out = structuredClone(body);
  const message = out.choices[0].message;
  if (fill.content !== undefined && typeof message.content === "string" && message.content !== "") message.content = fill.content;
  for (const key of ["reasoning", "reasoning_content"]) {
    if (fill.reasoning !== undefined && typeof message[key] === "string") message[key] = fill.reasoning;
  }
  if (fill.toolCalls !== undefined && Array.isArray(message.tool_calls)) {
    const model = message.tool_calls[0];
    message.tool_calls = fill.toolCalls.map((call, i) => ({
      ...model,
      ...(model.id !== undefined ? { id: `${model.id}${i}` } : {}),
      ...(model.index !== undefined ? { index: i } : {}),
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return out;
}
