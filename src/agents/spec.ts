/**
 * Model strings: `PROVIDER:NAME[?key=value&...]`, the one way every command names an agent
 * (`--model policy:learner?prior=0.1`, `--model replay:runs/a.jsonl`, `--model openai:gpt-4o`).
 */
import { InputError } from "../core/errors.js";

export interface ModelSpec {
  provider: string;
  /** The model, policy or file name; for `replay:` the transcript path. */
  name: string;
  params: Record<string, string>;
}

const ACCEPTED_FORMS =
  "expected PROVIDER:NAME[?key=value&...], e.g. 'policy:fixed?p=0.3', 'policy:learner', " +
  "'policy:imitator', 'replay:FILE.jsonl', 'openai:gpt-4o'";

const PROVIDER = /^[a-z][a-z0-9_-]*$/;
const KEY = "[A-Za-z_][A-Za-z0-9_.-]*";
// A query is only recognised when every part is key=value, so paths that contain `?` survive.
const QUERY = new RegExp(`^${KEY}=[^&=]*(?:&${KEY}=[^&=]*)*$`);

/** Prefix for every error about a model string, so the user sees which flag value is wrong. */
export function specContext(specText: string): string {
  return `--model '${specText}'`;
}

/** The model string a user most likely meant when they left out the `PROVIDER:` prefix. */
function withPrefix(spec: string): string {
  const slashed = /^(openai|llama|policy|replay)\/(.+)$/.exec(spec);
  if (slashed) return `${slashed[1]}:${slashed[2]}`;
  if (/\.gguf$/i.test(spec)) return `llama:${spec}`;
  if (/\.jsonl$/i.test(spec)) return `replay:${spec}`;
  if (/^(learner|imitator|fixed)\b/.test(spec)) return `policy:${spec}`;
  return `openai:${spec}`;
}

/**
 * Splits a model string into provider, name and parameters. The provider is everything before
 * the first `:`; parameters come after the LAST `?`, and only when what follows it looks like
 * `key=value&...` (otherwise the `?` is part of the name).
 */
export function parseModelSpec(spec: string): ModelSpec {
  const colon = spec.indexOf(":");
  if (colon < 0) throw new InputError(`${specContext(spec)}: missing provider prefix; did you mean '${withPrefix(spec)}'? ${ACCEPTED_FORMS}`);
  const provider = spec.slice(0, colon);
  if (!PROVIDER.test(provider)) {
    throw new InputError(`${specContext(spec)}: provider '${provider}' is not a valid prefix; ${ACCEPTED_FORMS}`);
  }
  let name = spec.slice(colon + 1);
  const params: Record<string, string> = {};
  const question = name.lastIndexOf("?");
  if (question >= 0 && QUERY.test(name.slice(question + 1))) {
    for (const pair of name.slice(question + 1).split("&")) {
      const eq = pair.indexOf("=");
      const key = pair.slice(0, eq);
      if (Object.hasOwn(params, key)) {
        throw new InputError(`${specContext(spec)}: parameter '${key}' is given twice`);
      }
      params[key] = pair.slice(eq + 1);
    }
    name = name.slice(0, question);
  }
  if (name.trim() === "") throw new InputError(`${specContext(spec)}: empty name after '${provider}:'; ${ACCEPTED_FORMS}`);
  return { provider, name, params };
}

/** Rejects parameter keys the provider or policy does not read (a typo must not pass silently). */
export function checkParams(params: Record<string, string>, accepted: readonly string[], specText: string): void {
  for (const key of Object.keys(params)) {
    if (!accepted.includes(key)) {
      const list = accepted.length > 0 ? accepted.join(", ") : "none";
      throw new InputError(`${specContext(specText)}: unknown parameter '${key}' (accepted: ${list})`);
    }
  }
}

export interface NumberRange {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Bounds excluded (e.g. a probability that goes through logit). */
  open?: boolean;
}

function describeRange(range: NumberRange): string {
  const kind = range.integer ? "an integer" : "a number";
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `${kind} ${range.open ? "strictly " : ""}between ${min} and ${max}`;
  }
  if (min !== undefined) return `${kind} ${range.open ? ">" : ">="} ${min}`;
  if (max !== undefined) return `${kind} ${range.open ? "<" : "<="} ${max}`;
  return kind;
}

/** Reads a numeric parameter, or returns the default when it is absent. */
export function numberParam(
  params: Record<string, string>,
  key: string,
  fallback: number,
  range: NumberRange,
  specText: string,
): number {
  if (!Object.hasOwn(params, key)) return fallback;
  const text = params[key].trim();
  const value = Number(text);
  const { min, max, open } = range;
  const ok =
    text !== "" &&
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    (min === undefined || (open ? value > min : value >= min)) &&
    (max === undefined || (open ? value < max : value <= max));
  if (!ok) {
    throw new InputError(
      `${specContext(specText)}: parameter '${key}' must be ${describeRange(range)} (got '${params[key]}')`,
    );
  }
  return value;
}
