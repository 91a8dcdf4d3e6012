/**
 * A JSON reader that keeps what JSON.parse loses: how each number was written. Python writes
 * an int as `2` and a float as `2.0`, and the reference formats the two differently, so a file
 * written by it must be read with the distinction intact.
 */

export type JsonPath = readonly (string | number)[];

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const SPACE = /[ \t\n\r]*/y;

/** `{...}` with the given keys written as raw JSON text, the others by JSON.stringify (undefined ones left out, as it does). */
export function objectText(o: object, raw: Record<string, string>): string {
  const fields = Object.entries(o).filter(([, v]) => v !== undefined);
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${raw[k] ?? JSON.stringify(v)}`).join(",")}}`;
}

/** Whether a JSON number literal is an integer literal (no fraction, no exponent). */
export function isIntLiteral(literal: string): boolean {
  return /^-?[0-9]+$/.test(literal);
}

/**
 * Parses JSON text as JSON.parse does, except that each number's value is `number(literal,
 * path)`. Throws a SyntaxError naming the position of the first error.
 */
export function parseJsonWith(text: string, number: (literal: string, path: JsonPath) => unknown): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const space = () => {
    SPACE.lastIndex = i;
    SPACE.exec(text);
    i = SPACE.lastIndex;
  };
  const string = (): string => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("Unterminated string");
    i++;
    // The slice is a complete JSON string: JSON.parse decodes its escapes.
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: (string | number)[]): unknown => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      space();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("Expected a property name");
        const key = string();
        space();
        if (text[i++] !== ":") fail("Expected ':'");
        obj[key] = value([...path, key]);
        space();
        const next = text[i++];
        if (next === "}") return obj;
        if (next !== ",") fail("Expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: unknown[] = [];
      space();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value([...path, arr.length]));
        space();
        const next = text[i++];
        if (next === "]") return arr;
        if (next !== ",") fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail("Unexpected token");
    i = NUMBER.lastIndex;
    return number(m[0], path);
  };
  const result = value([]);
  space();
  if (i < text.length) fail("Unexpected text after the JSON value");
  return result;
}
