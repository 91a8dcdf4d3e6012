/** The JSON reader that keeps each number's spelling: same values as JSON.parse, plus the literals. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isIntLiteral, parseJsonWith, type JsonPath } from "../src/core/json.js";

const plain = (text: string) => parseJsonWith(text, (literal) => Number(literal));

test("parses what JSON.parse parses, to the same value", () => {
  for (const text of [
    '{"a": [1, 2.5, -0.0, 1e-5, 3E+2], "b": {"c": null, "d": true, "e": false}, "f": "x\\"y\\\\z\\u00e9\\n"}',
    "[]",
    " {} ",
    '[[], {}, [[1]], ""]',
    '"plain"',
    "12",
    '{"k": "\\ud83d\\ude00 and } ] , : inside"}',
  ]) {
    assert.deepEqual(plain(text), JSON.parse(text), text);
  }
});

test("each number comes with its literal and its path", () => {
  const seen: [string, JsonPath][] = [];
  parseJsonWith('{"settings": {"rewards": [2, 1.0, 0]}, "n": 1e0}', (literal, path) => {
    seen.push([literal, path]);
    return Number(literal);
  });
  assert.deepEqual(seen, [
    ["2", ["settings", "rewards", 0]],
    ["1.0", ["settings", "rewards", 1]],
    ["0", ["settings", "rewards", 2]],
    ["1e0", ["n"]],
  ]);
  assert.deepEqual(["2", "-3", "0", "1.0", "1e0", "-0.5"].map(isIntLiteral), [true, true, true, false, false, false]);
});

test("malformed JSON is a SyntaxError naming the position", () => {
  for (const text of ['{"a": 1,}', "[1 2]", '{"a" 1}', "[01]", '"open', "{} x", "[.5]", "nul"]) {
    assert.throws(() => plain(text), (err: Error) => err instanceof SyntaxError && /at position \d+/.test(err.message), text);
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse also refuses ${text}`);
  }
});
