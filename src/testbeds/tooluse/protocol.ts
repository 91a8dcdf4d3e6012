/**
 * How the calculator is offered to an agent, and how its replies are read.
 *
 * Two protocols:
 * - `tools`: OpenAI-style function calling. The request carries `CALCULATOR_TOOL`; the model
 *   answers with `tool_calls`; each result goes back as a `tool` message with the call's id.
 * - `text`: for models without tool calling. The agent writes a line of its own
 *       CALCULATE: <expression>
 *   and stops; the environment answers with a user message `RESULT: <value>` or
 *   `ERROR: <message>`. Only the first such line of a reply is run (text the model wrote after
 *   it, such as a RESULT line it made up itself, is not).
 * Either way, the agent ends the problem with a reply that contains `{"answer": "<number>"}`.
 */
import { stripThinking } from "../../core/parse.js";
import type { ToolCall, ToolSchema } from "../../core/types.js";
import { CALCULATOR_LIMITS, type CalculatorResult } from "./calculator.js";

export type ToolProtocol = "text" | "tools";
export const TOOL_PROTOCOLS: readonly ToolProtocol[] = ["text", "tools"];

// The message types live with the other core types, so agents and providers share them.
export type { ToolCall, ToolUseMessage } from "../../core/types.js";

/** An agent's reply to a tool-use call: its text and, under the tools protocol, its tool calls. */
export interface ToolUseTurn {
  text: string;
  toolCalls?: ToolCall[];
}

export const CALCULATOR_TOOL_NAME = "calculator";

const CAPABILITIES =
  "It understands + - * / % ^ (or **) and parentheses, the functions " +
  "sqrt, abs, floor, ceil, round, min, max, mod, pow (pow(a, b, m) is a^b mod m), comb (or choose), factorial, gcd, lcm, " +
  `and the constants pi and e. Integer arithmetic is exact (up to ${CALCULATOR_LIMITS.maxDigits.toLocaleString("en-US")} digits).`;

/** The calculator as an OpenAI function tool. */
export const CALCULATOR_TOOL = {
  type: "function",
  function: {
    name: CALCULATOR_TOOL_NAME,
    description: `Evaluates an arithmetic expression and returns its value, or an error message. ${CAPABILITIES}`,
    parameters: {
      type: "object",
      properties: {
        expression: { type: "string", description: "The expression to evaluate, e.g. 1234567*7654321 or pow(3, 200, 1000)." },
      },
      required: ["expression"],
    },
  },
} as const satisfies ToolSchema;

/** What every problem asks for at the end. */
export const ANSWER_INSTRUCTION =
  'End your reply with your final answer in JSON format: {"answer": "<number>"}, the number written out in full, without units.';

/** The paragraph of the system prompt that explains the tool under a protocol. */
export function toolInstructions(protocol: ToolProtocol, maxToolCalls: number): string {
  const limit = `You may use it at most ${maxToolCalls} time${maxToolCalls === 1 ? "" : "s"} per problem.`;
  if (protocol === "tools") {
    return `You have a calculator: the \`${CALCULATOR_TOOL_NAME}\` function tool, called with an expression. ${CAPABILITIES} ${limit}`;
  }
  return (
    "You have a calculator. To use it, write a line of its own\n" +
    "CALCULATE: <expression>\n" +
    "and stop there. The reply will be a line RESULT: <value> or ERROR: <message>. " +
    `${CAPABILITIES} ${limit}`
  );
}

/** The text-protocol reply to a calculator request. */
export function formatToolResult(result: CalculatorResult): string {
  return result.ok ? `RESULT: ${result.value}` : `ERROR: ${result.error}`;
}

// A CALCULATE line, tolerating markdown decoration around the keyword.
const CALCULATE_LINE = /^[\s>#*_`-]*CALCULATE[*_`]*\s*:[*_]*[ \t]*(.*)$/im;

/** The text protocol's calculator request in a reply: the first `CALCULATE:` line outside thinking. */
export function parseToolRequest(text: string): { expression: string } | null {
  const m = CALCULATE_LINE.exec(stripThinking(text));
  if (!m) return null;
  // Models wrap the expression in code ticks or math dollars; those are not part of it.
  const expression = m[1].trim().replace(/^[`$]+|[`$]+$/g, "").trim();
  return { expression };
}

/** Reads the expression from an OpenAI tool call, or says what is wrong with it. */
export function parseToolCallArguments(call: ToolCall): { ok: true; expression: string } | { ok: false; error: string } {
  const name = call.function?.name;
  if (name !== CALCULATOR_TOOL_NAME) return { ok: false, error: `unknown tool '${String(name)}'; the only tool is '${CALCULATOR_TOOL_NAME}'` };
  let args: unknown;
  try {
    args = JSON.parse(call.function.arguments);
  } catch {
    return { ok: false, error: 'arguments must be JSON like {"expression": "2+2"}' };
  }
  const expression = args !== null && typeof args === "object" ? (args as Record<string, unknown>)["expression"] : undefined;
  if (typeof expression !== "string") return { ok: false, error: 'arguments must be JSON like {"expression": "2+2"}' };
  return { ok: true, expression };
}

// ---------------------------------------------------------------- final answers

const SEPARATOR = "[,_ \\u00a0\\u2009\\u202f]";
// A number: optional sign and dollar, digits with optional thousands separators (groups of
// three, so "12 15" is not read as 1215), optional decimals, optional exponent.
const NUMBER_TEXT = new RegExp(
  `^([+\\-\\u2212]?)\\s*\\\\?\\$?\\s*(\\d+(?:${SEPARATOR}\\d{3})*|(?=\\.\\d))(?:\\.(\\d+))?(?:\\s*[eE]\\s*([+\\-]?\\d+))?`,
);

/**
 * A number written by a person or a model, in canonical form: a plain decimal with no
 * separators, exponent, leading zeros or trailing fractional zeros (`1,234.50` -> `1234.5`,
 * `4.2e1` -> `42`, `-0` -> `0`). Null when the text does not start with a number.
 */
export function normalizeNumber(text: string): string | null {
  const m = NUMBER_TEXT.exec(text.trim());
  if (!m) return null;
  const negative = m[1] !== "";
  const whole = m[2].replace(new RegExp(SEPARATOR, "g"), "");
  const fraction = m[3] ?? "";
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  // A written answer never needs more; refusing keeps the canonical string small.
  if (Math.abs(exponent) > 400) return null;
  let digits = whole + fraction;
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits += "0".repeat(-scale);
    scale = 0;
  }
  digits = digits.padStart(scale + 1, "0");
  let intPart = digits.slice(0, digits.length - scale).replace(/^0+(?=\d)/, "");
  const fracPart = digits.slice(digits.length - scale).replace(/0+$/, "");
  if (intPart === "") intPart = "0";
  const body = fracPart === "" ? intPart : `${intPart}.${fracPart}`;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}

// The protocol's own form: {"answer": ...}, quotes of any kind around the key.
const JSON_ANSWER = /\{\s*["'\u201c\u201d]answer["'\u201c\u201d]\s*:/giu;
// Looser forms: "answer: 42", "Final answer is 42", "**Answer:** 42", "\boxed{42}".
const LOOSE_ANSWER = /\banswer\b[*_"'\u201c\u201d]*\s*(?:is\b)?\s*[:=]?|\\boxed\s*\{/giu;

/** The number stated right after position `start`, or null. */
function valueAt(text: string, start: number): string | null {
  let segment = text.slice(start).split(/\r?\n/, 1)[0];
  // Stop at the end of a JSON object or of a quoted value.
  const close = segment.search(/[}]/);
  if (close >= 0) segment = segment.slice(0, close);
  // "3 x 4 = 12": the result is what follows the last "=".
  const eq = segment.lastIndexOf("=");
  if (eq >= 0) segment = segment.slice(eq + 1);
  // Markdown, quotes and LaTeX openers before the number: **42**, "42", \(42\), {42}.
  segment = segment.replace(/^(?:[\s*_"'`\u201c\u201d([{]|\\[([])+/, "");
  return normalizeNumber(segment);
}

function lastValue(text: string, pattern: RegExp): string | null {
  let found: string | null = null;
  for (const m of text.matchAll(pattern)) {
    const value = valueAt(text, (m.index ?? 0) + m[0].length);
    if (value !== null) found = value;
  }
  return found;
}

/**
 * The final answer in a reply, as a canonical decimal (see `normalizeNumber`), or null.
 * Thinking is ignored; the LAST `{"answer": ...}` wins, so numbers tried while working do not
 * count; without one, the last looser statement ("answer: 42", "the answer is 42.",
 * `\boxed{42}`). Numbers may carry thousands separators (commas or spaces), a sign, a dollar
 * sign, an exponent or a trailing period.
 */
export function parseFinalAnswer(text: string): string | null {
  const visible = stripThinking(text);
  return lastValue(visible, JSON_ANSWER) ?? lastValue(visible, LOOSE_ANSWER);
}
