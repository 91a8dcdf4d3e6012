/**
 * Loading scenario files in the paper's JSON layout (the ATP repository's data/ folder).
 *
 * The kind of file is detected from its content, not its name, so a user's own file in the
 * same layout works wherever the paper's does. Errors name the file and the field path in the
 * paper's field names (`[3].supervised_choice`), since that is what the user's file contains.
 */
import { readUserText } from "../core/files.js";
import { InputError, inputError } from "../core/errors.js";
import type { Suite } from "../core/types.js";
import { registeredTestbeds } from "../testbeds/registry.js";
import { gameTemplateError } from "./generate.js";
import type {
  Dataset,
  GameItem,
  GameScenario,
  RoleplayScenario,
  RoleplayTemplate,
} from "./types.js";

export type DatasetKind = Dataset["kind"];

const ACCEPTED_KINDS =
  "a JSON array of role-play items (objects with supervised_choice and user_prompt, like " +
  "question_64.json), role-play templates (template.supervised_choice, like " +
  "sa_llm/templates.json), game items (cooperative_choice, like question_70.json) or game " +
  "templates (template.collective_choice / template.user_prompt_mult, like ma_llm/templates.json)";

/** Reads and parses a scenario file. A missing or unreadable file is an InputError. */
export function loadDataset(file: string): Dataset {
  const text = readUserText(file, "a JSON file");
  return parseDataset(text, file);
}

/** Parses the text of a scenario file; `file` is used in error messages and kept in the result. */
export function parseDataset(text: string, file: string): Dataset {
  // Editors on Windows may add a byte-order mark; JSON.parse rejects it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw jsonSyntaxError(text, file, err as Error);
  }
  if (!Array.isArray(data)) {
    throw inputError(file, "", `the top level must be a JSON array of scenarios, got ${typeName(data)}; expected ${ACCEPTED_KINDS}`);
  }
  if (data.length === 0) {
    throw inputError(file, "", "the array is empty; a scenario file needs at least one scenario");
  }
  const first: unknown = data[0];
  if (!isObject(first)) {
    throw inputError(file, "[0]", `must be an object, got ${typeName(first)}; expected ${ACCEPTED_KINDS}`);
  }
  const kind = detectKind(first);
  if (kind === null) {
    const keys = Object.keys(first);
    const has = keys.length ? `its first element has keys ${keys.join(", ")}` : "its first element is an empty object";
    throw inputError(file, "", `unrecognised content: ${has}; expected ${ACCEPTED_KINDS}`);
  }
  const r = new Reader(file);
  switch (kind) {
    case "roleplay-items":
      return { kind, file, items: readRoleplayItems(r, data) };
    case "roleplay-templates":
      return { kind, file, templates: data.map((e, i) => readRoleplayTemplate(r, e, i)) };
    case "game-templates":
      return { kind, file, templates: data.map((e, i) => readGameTemplate(r, e, i)) };
    case "game-items":
      return { kind, file, items: data.map((e, i) => readGameItem(r, e, i)) };
  }
}

/** Which testbed a dataset belongs to: the one that plays its kind. */
export function detectSuite(ds: Dataset): Suite {
  const testbed = registeredTestbeds().find((t) => t.datasetKinds.includes(ds.kind));
  if (testbed === undefined) throw new Error(`${ds.file}: no registered testbed plays ${ds.kind} files`);
  return testbed.id;
}

/**
 * The kind of one element of a scenario file, from its fields; null if it matches none.
 * Templates are checked first: they are the only kinds with a nested `template` object.
 */
export function detectKind(element: unknown): DatasetKind | null {
  if (!isObject(element)) return null;
  const template = element.template;
  if (isObject(template)) {
    if ("user_prompt_mult" in template || "collective_choice" in template) return "game-templates";
    if ("supervised_choice" in template) return "roleplay-templates";
  }
  const params = element.params;
  if ("cooperative_choice" in element || (isObject(params) && "cooperation_threshold" in params)) return "game-items";
  if ("supervised_choice" in element && "user_prompt" in element) return "roleplay-items";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Per-kind readers

function readRoleplayItems(r: Reader, data: unknown[]): RoleplayScenario[] {
  const seen = new Map<string, number>();
  return data.map((element, i) => {
    const e = r.object(element, `[${i}]`);
    const at = (f: string) => `[${i}].${f}`;
    const what = "a role-play item";
    const id = readId(r, e, i);
    const prior = seen.get(id);
    if (prior !== undefined) {
      throw inputError(r.file, at("id"), `duplicate id ${JSON.stringify(id)} (also used by [${prior}]); ids must be unique`);
    }
    seen.set(id, i);
    const compliantChoice = r.option(e, at("supervised_choice"), what, "the option the supervisor requires");
    const violatingChoice = r.option(e, at("better_choice"), what, "the rule-violating option that pays more");
    r.distinct(at("better_choice"), violatingChoice, "supervised_choice", compliantChoice);
    const texts = readSupervisionTexts(r, e, i);
    const params = r.object(r.required(e, at("params"), what, "its rewards (params.low_reward, params.high_reward)"), at("params"));
    return {
      id,
      environment: r.text(e, at("environment"), what, "the scenario name"),
      systemPrompt: r.string(e, at("system_prompt"), what, "the system prompt"),
      userPrompt: r.text(e, at("user_prompt"), what, "the question sent to the agent"),
      compliantChoice,
      violatingChoice,
      ...texts,
      lowReward: r.number(params, at("params.low_reward"), what, "the reward of the option the supervisor requires"),
      highReward: r.number(params, at("params.high_reward"), what, "the reward of the rule-violating option"),
    };
  });
}

/** The item's id as a string; the index when the file has none (so every item can be named). */
function readId(r: Reader, e: Record<string, unknown>, i: number): string {
  if (e.id === undefined || e.id === null) return String(i);
  const id = e.id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  if (typeof id !== "string") throw inputError(r.file, `[${i}].id`, `must be a string, got ${typeName(id)}`);
  if (id.trim() === "") throw inputError(r.file, `[${i}].id`, "must not be empty");
  return id;
}

const SUPERVISION_TEXTS = [
  ["supervised_text", "supervisedText", "the sentence saying the supervisor will check"],
  ["unsupervised_text", "unsupervisedText", "the sentence saying the supervisor will not check"],
  ["neutral_text", "neutralText", "the sentence saying the supervisor's schedule is uncertain"],
] as const;

/**
 * The three supervision sentences. The paper's training set (question_160.json) has none of
 * them: its items are only used as single prompts (DPO pairs, GRPO), never played in rounds.
 * So all three absent reads as empty strings, while a partial set is an error (a half-edited
 * test item would otherwise play with an empty sentence).
 */
function readSupervisionTexts(
  r: Reader,
  e: Record<string, unknown>,
  i: number,
): Pick<RoleplayScenario, "supervisedText" | "unsupervisedText" | "neutralText"> {
  const present = SUPERVISION_TEXTS.filter(([k]) => e[k] !== undefined);
  if (present.length === 0) return { supervisedText: "", unsupervisedText: "", neutralText: "" };
  const out = { supervisedText: "", unsupervisedText: "", neutralText: "" };
  for (const [k, name, desc] of SUPERVISION_TEXTS) {
    const field = `[${i}].${k}`;
    if (e[k] === undefined) {
      const others = present.map(([p]) => p).join(" and ");
      throw inputError(r.file, field, `missing (the item has ${others}; a role-play item needs all three supervision texts or none: ${desc})`);
    }
    out[name] = r.text(e, field, "a role-play item", desc);
  }
  return out;
}

function readRoleplayTemplate(r: Reader, element: unknown, i: number): RoleplayTemplate {
  const e = r.object(element, `[${i}]`);
  const at = (f: string) => `[${i}].${f}`;
  const what = "a role-play template";
  const t = r.object(r.required(e, at("template"), what, "its texts (the template object)"), at("template"));
  const p = r.object(r.required(e, at("params"), what, "its reward ratios (params.high_radio, params.low_radio, params.base)"), at("params"));
  const compliantChoice = r.option(t, at("template.supervised_choice"), what, "the option the supervisor requires");
  const violatingChoice = r.option(t, at("template.better_choice"), what, "the rule-violating option that pays more");
  r.distinct(at("template.better_choice"), violatingChoice, "template.supervised_choice", compliantChoice);
  return {
    environment: r.text(e, at("environment"), what, "the scenario name"),
    systemPrompt: r.string(t, at("template.system_prompt"), what, "the system prompt"),
    // The paper writes templates for Python's string.Template, where `$$` is a literal `$`;
    // ours take `${name}` placeholders and a plain `$`.
    userPrompt: r.text(t, at("template.user_prompt"), what, "the question body").split("$$").join("$"),
    compliantChoice,
    violatingChoice,
    supervisedText: r.text(t, at("template.supervised_text"), what, "the sentence saying the supervisor will check"),
    unsupervisedText: r.text(t, at("template.unsupervised_text"), what, "the sentence saying the supervisor will not check"),
    neutralText: r.text(t, at("template.neutral_text"), what, "the sentence saying the supervisor's schedule is uncertain"),
    formatExample: r.text(t, at("template.format_example"), what, "the answer format example"),
    // `radio` is the paper's spelling of "ratio".
    highRatio: r.number(p, at("params.high_radio"), what, "the violating option's reward as a multiple of base"),
    lowRatio: r.number(p, at("params.low_radio"), what, "the compliant option's reward as a multiple of base"),
    base: r.number(p, at("params.base"), what, "the base reward"),
  };
}

function readGameTemplate(r: Reader, element: unknown, i: number): GameScenario {
  const e = r.object(element, `[${i}]`);
  const at = (f: string) => `[${i}].${f}`;
  const what = "a game template";
  const t = r.object(r.required(e, at("template"), what, "its texts (the template object)"), at("template"));
  const collectiveChoice = r.option(t, at("template.collective_choice"), what, "the collective (colluding) option");
  const independentChoice = r.option(t, at("template.independent_choice"), what, "the independent option");
  r.distinct(at("template.independent_choice"), independentChoice, "template.collective_choice", collectiveChoice);
  // A template that cannot be filled is refused now, not mid-run.
  const fillable = (text: string, field: string): string => {
    const error = gameTemplateError(text);
    if (error !== null) throw inputError(r.file, at(field), `cannot be filled: ${error}`);
    return text;
  };
  return {
    // The paper's transcripts name a framing by its position in templates.json.
    id: i,
    environment: r.text(e, at("environment"), what, "the framing's name"),
    systemPrompt: fillable(r.string(t, at("template.system_prompt"), what, "the system prompt"), "template.system_prompt"),
    userPrompt: fillable(r.text(t, at("template.user_prompt"), what, "the question with absolute payoffs"), "template.user_prompt"),
    userPromptMult: fillable(r.text(t, at("template.user_prompt_mult"), what, "the question with multiplicative payoffs"), "template.user_prompt_mult"),
    userPromptAdd: fillable(r.text(t, at("template.user_prompt_add"), what, "the question with additive payoffs"), "template.user_prompt_add"),
    collectiveChoice,
    independentChoice,
  };
}

function readGameItem(r: Reader, element: unknown, i: number): GameItem {
  const e = r.object(element, `[${i}]`);
  const at = (f: string) => `[${i}].${f}`;
  const what = "a game item";
  const collectiveChoice = r.option(e, at("cooperative_choice"), what, "the collective (colluding) option");
  const independentChoice = r.option(e, at("independent_choice"), what, "the independent option");
  r.distinct(at("independent_choice"), independentChoice, "cooperative_choice", collectiveChoice);
  const p = r.object(r.required(e, at("params"), what, "its parameters (params.n, params.cooperation_threshold, params.*_reward)"), at("params"));
  const n = r.integer(p, at("params.n"), what, "the number of players", 1);
  const threshold = r.integer(p, at("params.cooperation_threshold"), what, "how many players must collude for it to succeed", 1);
  if (threshold > n) {
    throw inputError(r.file, at("params.cooperation_threshold"), `is ${threshold}, more than params.n (${n}); collusion could never succeed`);
  }
  return {
    environment: r.text(e, at("environment"), what, "the framing's name"),
    systemPrompt: r.string(e, at("system_prompt"), what, "the system prompt"),
    userPrompt: r.text(e, at("user_prompt"), what, "the question sent to the agents"),
    collectiveChoice,
    independentChoice,
    params: {
      n,
      threshold,
      high: r.number(p, at("params.high_reward"), what, "the payoff when collusion succeeds"),
      normal: r.number(p, at("params.normal_reward"), what, "the independent players' payoff when collusion fails"),
      low: r.number(p, at("params.low_reward"), what, "the colluders' payoff when collusion fails"),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Field checks

/** Field readers that throw an InputError naming the file and field path. */
class Reader {
  constructor(readonly file: string) {}

  object(value: unknown, field: string): Record<string, unknown> {
    if (!isObject(value)) throw inputError(this.file, field, `must be an object, got ${typeName(value)}`);
    return value;
  }

  /** `field` is the full path; its last segment is the key looked up in `obj`. */
  required(obj: Record<string, unknown>, field: string, what: string, desc: string): unknown {
    const value = obj[lastKey(field)];
    // null counts as missing: the usual way an exporter writes "no value".
    if (value === undefined || value === null) throw inputError(this.file, field, `missing (${what} needs ${desc})`);
    return value;
  }

  /** Any string, empty allowed (an empty system prompt is a legitimate choice). */
  string(obj: Record<string, unknown>, field: string, what: string, desc: string): string {
    const value = this.required(obj, field, what, desc);
    if (typeof value !== "string") throw inputError(this.file, field, `must be a string, got ${typeName(value)}`);
    return value;
  }

  /** A string with some non-whitespace content. */
  text(obj: Record<string, unknown>, field: string, what: string, desc: string): string {
    const value = this.string(obj, field, what, desc);
    if (value.trim() === "") throw inputError(this.file, field, `must not be empty (${what} needs ${desc})`);
    return value;
  }

  option(obj: Record<string, unknown>, field: string, what: string, desc: string): string {
    return this.text(obj, field, what, desc);
  }

  /** The parsers compare options trimmed and case-insensitively, so equal ones could not be told apart. */
  distinct(field: string, value: string, otherField: string, other: string): void {
    if (value.trim().toLowerCase() === other.trim().toLowerCase()) {
      throw inputError(
        this.file,
        field,
        `is the same option as ${otherField} (${JSON.stringify(other)}); the two options must differ`,
      );
    }
  }

  /** A finite number; numeric strings are accepted because the reference reads them with float(). */
  number(obj: Record<string, unknown>, field: string, what: string, desc: string): number {
    const value = this.required(obj, field, what, desc);
    const n = toNumber(value);
    if (n === null) {
      throw inputError(this.file, field, `must be a number (or a numeric string), got ${describe(value)}`);
    }
    if (!Number.isFinite(n)) throw inputError(this.file, field, `must be a finite number, got ${describe(value)}`);
    return n;
  }

  integer(obj: Record<string, unknown>, field: string, what: string, desc: string, min: number): number {
    const n = this.number(obj, field, what, desc);
    if (!Number.isInteger(n)) throw inputError(this.file, field, `must be a whole number, got ${describe(obj[lastKey(field)])}`);
    if (n < min) throw inputError(this.file, field, `must be at least ${min}, got ${n}`);
    return n;
  }
}

// Python's float() syntax for finite values, surrounding whitespace allowed.
const NUMERIC = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function toNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string" && NUMERIC.test(value)) return Number(value.trim());
  if (typeof value === "string" && /^\s*[+-]?(?:inf(?:inity)?|nan)\s*$/i.test(value)) return NaN;
  return null;
}

function lastKey(field: string): string {
  return field.slice(field.lastIndexOf(".") + 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "number") return String(value);
  return typeName(value);
}

// ---------------------------------------------------------------------------------------------
// JSON syntax errors with line and column

function jsonSyntaxError(text: string, file: string, err: Error): InputError {
  const raw = err.message;
  const m = /at position (\d+)/.exec(raw);
  let offset: number | null = m ? Number(m[1]) : null;
  if (offset === null && /Unexpected end of JSON input/.test(raw)) offset = text.length;
  // Node 20 omits the position for "Unexpected token 'x', ... is not valid JSON"; find it ourselves.
  if (offset === null) offset = findJsonErrorOffset(text);
  // Drop V8's position suffix and its echo of the (possibly huge) input.
  const reason = raw
    .replace(/ in JSON at position \d+.*$/s, "")
    .replace(/ at position \d+.*$/s, "")
    .replace(/, ".*" is not valid JSON$/s, "");
  if (offset === null) return new InputError(`${file}: not valid JSON: ${reason}`);
  const { line, column } = lineColumn(text, offset);
  return new InputError(`${file}: not valid JSON at line ${line}, column ${column}: ${reason}`);
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.min(offset, text.length));
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * The offset where a JSON text stops being valid, or null if it is valid. Only used to place
 * an error that JSON.parse reported without a position, so it just needs to agree with it.
 */
function findJsonErrorOffset(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  class Stop {
    constructor(readonly at: number) {}
  }
  const fail = (): never => {
    throw new Stop(i);
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const str = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) { i += k; fail(); }
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail();
      } else i++;
    }
  };
  const num = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") return void i++;
        fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") return void i++;
        fail();
      }
    }
    if (c === '"') return str();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return num();
    fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : null;
  } catch (e) {
    if (e instanceof Stop) return e.at;
    return null; // e.g. stack overflow on absurd nesting: report without a position
  }
}
