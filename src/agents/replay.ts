/**
 * `replay:FILE` agents: answer every call with the response recorded in a transcript, so a run
 * can be re-derived exactly (and the paper's golden files checked) without a model. A call the
 * transcript has no answer for fails: a replay that diverges must never invent answers.
 * A tool loop's calls (tool use) are found by their round and turn, and get back the recorded
 * tool calls too.
 */
import { readFileSync } from "node:fs";
import { InputError, inputError } from "../core/errors.js";
import type { ToolCall } from "../core/types.js";
import type { Testbed, ToolLoop } from "../testbed/contract.js";
import { findTestbed, registeredTestbeds, type RunPlan } from "../testbeds/registry.js";
import type { TranscriptEpisode } from "../transcript/types.js";
import type { Agent, AgentCall, Reply } from "./types.js";

type Json = unknown;

/** Thrown inside validation; carries the JSON path of the bad field. */
class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(obj: Record<string, Json>, key: string, path: string, optional = false): Json {
  const name = path ? `${path}.${key}` : key;
  if (!Object.hasOwn(obj, key) || obj[key] === undefined) {
    if (optional) return undefined;
    throw new FieldError(name, "missing");
  }
  return obj[key];
}

function expect(ok: boolean, name: string, what: string): void {
  if (!ok) throw new FieldError(name, `must be ${what}`);
}

const isInt = (v: Json): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isNum = (v: Json): boolean => typeof v === "number" && Number.isFinite(v);

/** An OpenAI-style tool call list, as tool loops' transcripts record them. */
function validateToolCalls(value: Json, path: string): void {
  expect(Array.isArray(value), path, "an array");
  (value as Json[]).forEach((call, i) => {
    const cp = `${path}[${i}]`;
    expect(isObject(call), cp, "an object");
    const co = call as Record<string, Json>;
    expect(typeof field(co, "id", cp) === "string", `${cp}.id`, "a string");
    expect(field(co, "type", cp) === "function", `${cp}.type`, "'function'");
    const fn = field(co, "function", cp);
    expect(isObject(fn), `${cp}.function`, "an object");
    const fo = fn as Record<string, Json>;
    expect(typeof field(fo, "name", `${cp}.function`) === "string", `${cp}.function.name`, "a string");
    expect(typeof field(fo, "arguments", `${cp}.function`) === "string", `${cp}.function.arguments`, "a string");
  });
}

/** Checks one parsed line against the transcript format; throws FieldError at the first problem. */
function validateEpisode(value: Json): TranscriptEpisode {
  expect(isObject(value), "(line)", "a JSON object");
  const ep = value as Record<string, Json>;
  const suite = field(ep, "suite", "");
  const testbed = typeof suite === "string" ? findTestbed(suite) : undefined;
  if (testbed === undefined) throw new FieldError("suite", `must be ${alternatives(registeredTestbeds().map((t) => `'${t.id}'`))}`);
  // Tool turns and tool calls exist only in tool loops' episodes; the other testbeds stay strict.
  const toolLoop = testbed.toolLoop !== undefined;
  expect(typeof field(ep, "episode", "") === "string", "episode", "a string");
  const scenario = field(ep, "scenario", "");
  expect(typeof scenario === "string" || typeof scenario === "number", "scenario", "a string or a number");
  expect(typeof field(ep, "environment", "") === "string", "environment", "a string");
  expect(isObject(field(ep, "settings", "")), "settings", "an object");
  const repeat = field(ep, "repeat", "", true);
  if (repeat !== undefined) expect(isInt(repeat), "repeat", "a non-negative integer");
  const rounds = field(ep, "rounds", "");
  expect(Array.isArray(rounds), "rounds", "an array");
  (rounds as Json[]).forEach((round, r) => {
    const rp = `rounds[${r}]`;
    expect(isObject(round), rp, "an object");
    const ro = round as Record<string, Json>;
    expect(isInt(field(ro, "round", rp)), `${rp}.round`, "a non-negative integer");
    const supervision = field(ro, "supervision", rp, true);
    if (supervision !== undefined) expect(supervision === 1 || supervision === -1, `${rp}.supervision`, "1 or -1");
    expect(typeof field(ro, "outcome", rp) === "string", `${rp}.outcome`, "a string");
    if (testbed.roundDetail) expect(isObject(field(ro, "detail", rp)), `${rp}.detail`, "an object");
    const calls = field(ro, "calls", rp);
    expect(Array.isArray(calls), `${rp}.calls`, "an array");
    (calls as Json[]).forEach((call, c) => {
      const cp = `${rp}.calls[${c}]`;
      expect(isObject(call), cp, "an object");
      const co = call as Record<string, Json>;
      expect(isInt(field(co, "agent", cp)), `${cp}.agent`, "a non-negative integer");
      const messages = field(co, "messages", cp);
      expect(Array.isArray(messages), `${cp}.messages`, "an array");
      (messages as Json[]).forEach((message, m) => {
        const mp = `${cp}.messages[${m}]`;
        expect(isObject(message), mp, "an object");
        const mo = message as Record<string, Json>;
        const role = field(mo, "role", mp);
        if (toolLoop) {
          expect(role === "system" || role === "user" || role === "assistant" || role === "tool", `${mp}.role`, "system, user, assistant or tool");
          const toolCalls = field(mo, "tool_calls", mp, true);
          if (toolCalls !== undefined) validateToolCalls(toolCalls, `${mp}.tool_calls`);
          const id = field(mo, "tool_call_id", mp, true);
          if (id !== undefined || role === "tool") expect(typeof id === "string", `${mp}.tool_call_id`, "a string");
        } else {
          expect(role === "system" || role === "user" || role === "assistant", `${mp}.role`, "system, user or assistant");
        }
        expect(typeof field(mo, "content", mp) === "string", `${mp}.content`, "a string");
      });
      expect(typeof field(co, "response", cp) === "string", `${cp}.response`, "a string");
      const toolCalls = field(co, "tool_calls", cp, true);
      if (toolCalls !== undefined) {
        expect(toolLoop, `${cp}.tool_calls`, "absent outside tool-use episodes");
        validateToolCalls(toolCalls, `${cp}.tool_calls`);
      }
      const choice = field(co, "choice", cp);
      expect(typeof choice === "string" || choice === null, `${cp}.choice`, "a string or null");
      expect(isNum(field(co, "reward", cp)), `${cp}.reward`, "a number");
      for (const key of ["capital_before", "capital_after"]) {
        const capital = field(co, key, cp, true);
        if (capital !== undefined) expect(isNum(capital), `${cp}.${key}`, "a number");
      }
    });
  });
  return value as TranscriptEpisode;
}

/** "'a', 'b' or 'c'". */
function alternatives(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/**
 * Reads a transcript: one episode per non-blank line. Errors name the file, the line number
 * and, for a bad field, its path (`line 3: field 'rounds[0].calls[1].response': missing`).
 */
export function readTranscript(file: string): TranscriptEpisode[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw inputError(file, "", `cannot read transcript (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const episodes: TranscriptEpisode[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${file}: line ${i + 1}`;
    let value: Json;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw inputError(where, "", `malformed JSON (${(err as Error).message})`);
    }
    try {
      const episode = validateEpisode(value);
      testbedOfSuite(episode.suite).readSettingsText?.(line, episode.settings, where);
      episodes.push(episode);
    } catch (err) {
      if (err instanceof FieldError) {
        throw err.field === "(line)" ? inputError(where, "", err.reason) : inputError(where, err.field, err.reason);
      }
      throw err;
    }
  });
  return episodes;
}

/** The testbed of a suite the transcript or the engine named (readTranscript checked it). */
function testbedOfSuite(suite: string): Testbed<RunPlan> {
  const testbed = findTestbed(suite);
  if (testbed === undefined) throw new Error(`no testbed '${suite}' is registered`);
  return testbed;
}

/**
 * The lookup key of one recorded call: by agent in a round, or (a tool loop) by turn within
 * the round.
 */
export function callKey(episode: string, repeat: number, round: number, agent: number, turn?: number): string {
  return JSON.stringify(turn === undefined ? [episode, repeat, round, agent] : [episode, repeat, round, agent, turn]);
}

/** Where a call sits, for lookups: its round, or its tool loop's round and its turn there. */
function placeOf(call: AgentCall, loop: ToolLoop | undefined): { round: number; turn?: number } {
  return loop === undefined ? { round: call.round } : loop.place(call);
}

/** A call's place in a user's words, counting from 0: by round and agent, or by turn within a tool loop's round. */
function placeWords(loop: ToolLoop | undefined, round: number, agent: number, turn: number | undefined): string {
  return loop === undefined || turn === undefined ? `round ${round}, agent ${agent}` : `${loop.roundName} ${round}, turn ${turn}`;
}

/** A recorded answer: the text, and the tool calls it made (tool loops). */
export type RecordedReply = Pick<Reply, "text" | "toolCalls">;

/** Every recorded response of an episode, keyed by `callKey` (with the turn in tool loops). */
export function recordedResponses(episode: TranscriptEpisode): Map<string, RecordedReply> {
  const responses = new Map<string, RecordedReply>();
  const repeat = episode.repeat ?? 0;
  const toolLoop = testbedOfSuite(episode.suite).toolLoop !== undefined;
  for (const round of episode.rounds) {
    round.calls.forEach((call, turn) => {
      if (toolLoop) {
        const reply: RecordedReply = { text: call.response, ...(call.tool_calls ? { toolCalls: call.tool_calls } : {}) };
        responses.set(callKey(episode.episode, repeat, round.round, call.agent, turn), reply);
      } else {
        responses.set(callKey(episode.episode, repeat, round.round, call.agent), { text: call.response });
      }
    });
  }
  return responses;
}

const sameReply = (a: RecordedReply, b: RecordedReply): boolean =>
  a.text === b.text && JSON.stringify(a.toolCalls ?? null) === JSON.stringify(b.toolCalls ?? null);

/** Makes the agent for `replay:FILE`; the file is read and checked now, so errors come early. */
export function createReplayAgent(file: string, id = `replay:${file}`): Agent {
  const responses = new Map<string, RecordedReply>();
  for (const episode of readTranscript(file)) {
    for (const [key, response] of recordedResponses(episode)) {
      const previous = responses.get(key);
      // The same call recorded twice with different answers leaves no single right answer.
      if (previous !== undefined && !sameReply(previous, response)) {
        const [ep, repeat, round, agent, turn] = JSON.parse(key) as [string, number, number, number, number?];
        const where = placeWords(testbedOfSuite(episode.suite).toolLoop, round, agent, turn);
        throw new InputError(`${file}: conflicting recorded answers for episode '${ep}', repeat ${repeat}, ${where}`);
      }
      responses.set(key, response);
    }
  }
  return {
    id,
    respond: async (call) => {
      const loop = testbedOfSuite(call.suite).toolLoop;
      const { round, turn } = placeOf(call, loop);
      const repeat = call.repeat ?? 0;
      const response = responses.get(callKey(call.episode, repeat, round, call.agent, turn));
      if (response === undefined) {
        const at = `episode '${call.episode}', repeat ${repeat}, ${placeWords(loop, round, call.agent, turn)}`;
        throw new Error(`replay ${file}: no recorded answer for ${at} (the run diverged from the transcript)`);
      }
      const toolCalls: ToolCall[] | undefined = response.toolCalls;
      return { text: response.text, ...(toolCalls ? { toolCalls } : {}), attempts: 1 };
    },
  };
}
