/**
 * `replay:FILE` agents: answer every call with the response recorded in a transcript, so a run
 * can be re-derived exactly (and the paper's golden files checked) without a model. A call the
 * transcript has no answer for fails: a replay that diverges must never invent answers.
 * Tool-use calls are found by problem and turn, and get back the recorded tool calls too.
 */
import { readFileSync } from "node:fs";
import { InputError, inputError } from "../core/errors.js";
import type { ToolCall } from "../core/types.js";
import { isIntLiteral, parseJsonWith } from "../core/json.js";
import { PAYOFF_NAMES, type PayoffName } from "../testbeds/collusion/engine.js";
import type { CollusionSettingsRecord } from "../testbeds/collusion/record.js";
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

/** An OpenAI-style tool call list, as tool-use transcripts record them. */
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
  expect(suite === "roleplay" || suite === "collusion" || suite === "tooluse", "suite", "'roleplay', 'collusion' or 'tooluse'");
  // Tool turns and tool calls exist only in tool-use episodes; the other testbeds stay strict.
  const tooluse = suite === "tooluse";
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
    if (tooluse) expect(isObject(field(ro, "detail", rp)), `${rp}.detail`, "an object");
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
        if (tooluse) {
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
        expect(tooluse, `${cp}.tool_calls`, "absent outside tool-use episodes");
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

/** Notes which payoff factors the line spells as ints (`2`, not `2.0`): the reference prints the two differently. */
function readRewardInts(line: string, settings: CollusionSettingsRecord): void {
  if (Object.hasOwn(settings, "reward_ints")) throw new FieldError("settings.reward_ints", "unknown setting");
  const rewards: unknown = settings.rewards;
  // Only an integral value can have been written either way.
  if (!Array.isArray(rewards) || !rewards.some((v) => Number.isInteger(v))) return;
  const ints: PayoffName[] = [];
  parseJsonWith(line, (literal, path) => {
    const at = path[2];
    if (path.length === 3 && path[0] === "settings" && path[1] === "rewards" && typeof at === "number" && at < 3 && isIntLiteral(literal)) ints.push(PAYOFF_NAMES[at]);
    return Number(literal);
  });
  if (ints.length) settings.reward_ints = ints;
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
      if (episode.suite === "collusion") readRewardInts(line, episode.settings as CollusionSettingsRecord);
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

/**
 * The lookup key of one recorded call: by agent in a round, or (tool use) by turn within a
 * problem, the problem being the transcript's round.
 */
export function callKey(episode: string, repeat: number, round: number, agent: number, turn?: number): string {
  return JSON.stringify(turn === undefined ? [episode, repeat, round, agent] : [episode, repeat, round, agent, turn]);
}

/** Where a call sits, for lookups and messages. */
function keyOf(call: AgentCall): string {
  return call.suite === "tooluse"
    ? callKey(call.episode, call.repeat ?? 0, call.problem, call.agent, call.turn)
    : callKey(call.episode, call.repeat ?? 0, call.round, call.agent);
}

function describeCall(call: AgentCall): string {
  const at = `episode '${call.episode}', repeat ${call.repeat ?? 0}`;
  return call.suite === "tooluse" ? `${at}, problem ${call.problem}, turn ${call.turn}` : `${at}, round ${call.round}, agent ${call.agent}`;
}

/** A recorded answer: the text, and the tool calls it made (tool use). */
export type RecordedReply = Pick<Reply, "text" | "toolCalls">;

/** Every recorded response of an episode, keyed by `callKey` (with the turn in tool-use episodes). */
export function recordedResponses(episode: TranscriptEpisode): Map<string, RecordedReply> {
  const responses = new Map<string, RecordedReply>();
  const repeat = episode.repeat ?? 0;
  for (const round of episode.rounds) {
    round.calls.forEach((call, turn) => {
      if (episode.suite === "tooluse") {
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
        const where = turn === undefined ? `round ${round}, agent ${agent}` : `problem ${round}, turn ${turn}`;
        throw new InputError(`${file}: conflicting recorded answers for episode '${ep}', repeat ${repeat}, ${where}`);
      }
      responses.set(key, response);
    }
  }
  return {
    id,
    respond: async (call) => {
      const response = responses.get(keyOf(call));
      if (response === undefined) {
        throw new Error(`replay ${file}: no recorded answer for ${describeCall(call)} (the run diverged from the transcript)`);
      }
      const toolCalls: ToolCall[] | undefined = response.toolCalls;
      return { text: response.text, ...(toolCalls ? { toolCalls } : {}), attempts: 1 };
    },
  };
}
