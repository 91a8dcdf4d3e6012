/**
 * Python formatting reproduced in TypeScript. Every expected value is what CPython prints for
 * the same double; the reasoning is in the comment next to it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pyFixed, pyFloat, pyFormatNumber, pyFormatString, pyHead, pyInt, pyPercent, pyRound, pyStrip } from "../src/core/pyformat.js";

test("pyFloat: integral floats keep a '.0' (repr(2.0) is '2.0', JS prints '2')", () => {
  assert.equal(pyFloat(2), "2.0");
  assert.equal(pyFloat(1), "1.0");
  assert.equal(pyFloat(-3), "-3.0");
  assert.equal(pyFloat(0), "0.0");
  // Python keeps the sign of negative zero: repr(-0.0) == '-0.0'.
  assert.equal(pyFloat(-0), "-0.0");
});

test("pyFloat: shortest round-trip digits, as repr", () => {
  // 0.1 + 0.2 is the double just above 0.3; 17 significant digits are needed to round-trip.
  assert.equal(pyFloat(0.1 + 0.2), "0.30000000000000004");
  // 1.2 * 1.2 rounds to exactly the double nearest 1.44, so repr gives the short form.
  assert.equal(pyFloat(1.2 * 1.2), "1.44");
  // 1.2 - 1.0 is the capital change the game prints: the double below 0.2.
  assert.equal(pyFloat(0.19999999999999996), "0.19999999999999996");
  assert.equal(pyFloat(1.2 - 1.0), "0.19999999999999996");
  assert.equal(pyFloat(2.5), "2.5");
  assert.equal(pyFloat(-0.5), "-0.5");
});

test("pyFloat: scientific notation starts at 1e16 and below 1e-4 (JS: 1e21 and 1e-7)", () => {
  // Decimal exponent 16 switches repr to exponent form; the exponent has at least two digits.
  assert.equal(pyFloat(1e16), "1e+16");
  assert.equal(pyFloat(1e22), "1e+22");
  // 123456789012345680 has exponent 17; shortest digits are 1.2345678901234568.
  assert.equal(pyFloat(123456789012345680), "1.2345678901234568e+17");
  // Exponent 15 is still positional: 9999999999999998 -> '9999999999999998.0'.
  assert.equal(pyFloat(9999999999999998), "9999999999999998.0");
  assert.equal(pyFloat(1e15), "1000000000000000.0");
  // Exponent -5 switches to exponent form with a zero-padded '-05'.
  assert.equal(pyFloat(1.5e-5), "1.5e-05");
  assert.equal(pyFloat(1e-5), "1e-05");
  assert.equal(pyFloat(-2.5e-7), "-2.5e-07");
  // Exponent -4 is still positional.
  assert.equal(pyFloat(0.0001), "0.0001");
  assert.equal(pyFloat(0.00012), "0.00012");
});

test("pyFloat: non-finite values use Python's spelling", () => {
  assert.equal(pyFloat(NaN), "nan");
  assert.equal(pyFloat(Infinity), "inf");
  assert.equal(pyFloat(-Infinity), "-inf");
});

test("pyInt: str() of a Python int", () => {
  assert.equal(pyInt(8), "8");
  assert.equal(pyInt(0), "0");
});

test("pyFixed: exact ties round half to even", () => {
  // 0.125 = 1/8 is exact in binary: a true tie between 0.12 and 0.13; 2 is even.
  assert.equal(pyFixed(0.125, 2), "0.12");
  // 0.375 = 3/8 is exact: tie between 0.37 and 0.38; 8 is even (JS toFixed gives 0.38 too, by luck).
  assert.equal(pyFixed(0.375, 2), "0.38");
  // 28.125 = 225/8 is exact: tie between 28.12 and 28.13; 2 is even (JS toFixed: 28.13).
  assert.equal(pyFixed(28.125, 2), "28.12");
  // 2.5 is exact: tie between 2 and 3 -> 2. 1.5 -> 2, 0.5 -> 0.
  assert.equal(pyFixed(2.5, 0), "2");
  assert.equal(pyFixed(1.5, 0), "2");
  assert.equal(pyFixed(0.5, 0), "0");
  assert.equal(pyFixed(-2.5, 0), "-2");
});

test("pyFixed: rounding uses the exact binary value, not the decimal literal", () => {
  // The double nearest 1.005 is 1.00499999999999989..., below the tie -> 1.00.
  assert.equal(pyFixed(1.005, 2), "1.00");
  // The double nearest 2.675 is 2.67499999999999982... -> 2.67.
  assert.equal(pyFixed(2.675, 2), "2.67");
  // The double nearest 0.19999999999999996 rounds to 0.20 at two places.
  assert.equal(pyFixed(0.19999999999999996, 2), "0.20");
});

test("pyFixed: padding, integers and signs", () => {
  assert.equal(pyFixed(1, 2), "1.00");
  assert.equal(pyFixed(0, 2), "0.00");
  assert.equal(pyFixed(-1, 2), "-1.00");
  assert.equal(pyFixed(0.5, 2), "0.50");
  assert.equal(pyFixed(1234.5678, 1), "1234.6");
  // Python keeps the sign of a negative value that rounds to zero: format(-0.001, '.2f') == '-0.00'.
  assert.equal(pyFixed(-0.001, 2), "-0.00");
});

test("pyPercent: x * 100 in floating point, then fixed-point with a % sign", () => {
  // 3/8 = 0.375; x100 = 37.5 exactly -> '37.50%'.
  assert.equal(pyPercent(3 / 8, 2), "37.50%");
  // 1/3 x 100 = 33.333... -> '33.33%'.
  assert.equal(pyPercent(1 / 3, 2), "33.33%");
  // 2/4 -> '50.00%'; 1/4 -> '25.00%'; 8/8 -> '100.00%'; 0 -> '0.00%'.
  assert.equal(pyPercent(2 / 4, 2), "50.00%");
  assert.equal(pyPercent(1 / 4, 2), "25.00%");
  assert.equal(pyPercent(1, 2), "100.00%");
  assert.equal(pyPercent(0, 2), "0.00%");
});

test("pyRound: ties to even on the exact value, returned as a number", () => {
  // round(0.19999999999999996, 2) == 0.2 in Python.
  assert.equal(pyRound(0.19999999999999996, 2), 0.2);
  // round(0.125, 2) == 0.12 (exact tie, even); round(2.5) == 2; round(1.005, 2) == 1.0.
  assert.equal(pyRound(0.125, 2), 0.12);
  assert.equal(pyRound(2.5, 0), 2);
  assert.equal(pyRound(1.005, 2), 1);
  // round(-0.5 * 1.0, 2) == -0.5 (the additive delta of a low factor 0.5).
  assert.equal(pyRound(-0.5, 2), -0.5);
});

test("pyStrip: Python's str.strip() whitespace set", () => {
  // \x1c-\x1f are whitespace to Python's str.isspace() but not to JS trim().
  assert.equal(pyStrip("\x1cab\x1f"), "ab");
  // U+3000 IDEOGRAPHIC SPACE and U+0085 NEXT LINE are whitespace to Python.
  assert.equal(pyStrip("\u3000ab\u3000"), "ab");
  assert.equal(pyStrip("\x85ab"), "ab");
  assert.equal(pyStrip(" \t\n ab c \r\n"), "ab c");
  // U+200B ZERO WIDTH SPACE is not whitespace to Python: kept.
  assert.equal(pyStrip("\u200bab\u200b"), "\u200bab\u200b");
  // U+FEFF (BOM) is not whitespace to Python either (JS trim() removes it).
  assert.equal(pyStrip("\ufeffab"), "\ufeffab");
  // Inner whitespace is kept.
  assert.equal(pyStrip("a \x1c b"), "a \x1c b");
});

test("pyHead: s[:n] counts code points, so an emoji is one character", () => {
  // "😀" is one code point (two UTF-16 units); s[:2] keeps it whole plus 'a'.
  assert.equal(pyHead("😀abc", 2), "😀a");
  assert.equal(pyHead("😀😀😀", 2), "😀😀");
  assert.equal(pyHead("abc", 10), "abc");
  assert.equal(pyHead("abc", 0), "");
  assert.equal(pyHead("", 5), "");
  // 100 emoji + tail: the head is exactly the 100 emoji (200 UTF-16 units).
  const emoji = "😀".repeat(100);
  assert.equal(pyHead(emoji + "tail", 100), emoji);
});

test("pyFormatNumber: Python's format(x, spec), every case checked against Python 3.11", () => {
  // [value, is an int, spec, format(value, spec)]
  const cases: [number, boolean, string, string][] = [
  [1.2, false, ".2f", "1.20"],
  [2.675, false, ".2f", "2.67"],
  [0.125, false, ".1e", "1.2e-01"],
  [1234.5, false, ".3", "1.23e+03"],
  [100.0, false, ".3", "1e+02"],
  [2.0, false, ".3", "2.0"],
  [1e+16, false, "", "1e+16"],
  [1e-05, false, "#", "1.e-05"],
  [0.19999999999999996, false, ".3g", "0.2"],
  [100000.0, false, "g", "100000"],
  [1000000.0, false, "g", "1e+06"],
  [1.234e-05, false, "G", "1.234E-05"],
  [0.5, false, ".0%", "50%"],
  [-0.0, false, "z.1f", "0.0"],
  [-0.0, false, ".1f", "-0.0"],
  [-0.04, false, "z.1f", "0.0"],
  [12345678.9, false, ",.2f", "12,345,678.90"],
  [1.0, false, "#.0f", "1."],
  [1.0, false, "#g", "1.00000"],
  [123.0, false, "#.3g", "123."],
  [1.5, false, "=+9.2f", "+    1.50"],
  [0.8, false, "010.4f", "00000.8000"],
  [1234567, true, ",d", "1,234,567"],
  [1234567, true, "_x", "12_d687"],
  [1234, true, "09,d", "0,001,234"],
  [1234, true, "08,d", "0,001,234"],
  [5, true, "#X", "0X5"],
  [5, true, "=+5d", "+   5"],
  [5, true, "<05", "50000"],
  [5, true, ".2f", "5.00"],
  [5, true, "e", "5.000000e+00"],
  [5, true, "%", "500.000000%"],
  [65, true, "c", "A"],
  [8, true, "n", "8"],
  [-3, true, " d", "-3"],
  [42, true, "^+#9o", "  +0o52  "],
  ];
  for (const [value, int, spec, expected] of cases) assert.equal(pyFormatNumber(value, int, spec), expected, `format(${value}, "${spec}")`);
});

test("pyFormatNumber: specs Python refuses throw", () => {
  const refused: [number, boolean, string][] = [
    [5, true, ".2d"],
    [1.5, false, "d"],
    [5, true, "s"],
    [5, true, ",n"],
    [1.5, false, "x"],
    [5, true, "z d"],
    [5, true, ",x"],
    [65, true, "+c"],
  ];
  for (const [value, int, spec] of refused) assert.throws(() => pyFormatNumber(value, int, spec), Error, `format(${value}, "${spec}")`);
});

test("pyFormatString: alignment, zero fill and truncation; numeric options refused", () => {
  assert.equal(pyFormatString("1.25", ">6"), "  1.25");
  assert.equal(pyFormatString("1.25", ".2"), "1.");
  assert.equal(pyFormatString("ab", "05"), "ab000");
  assert.equal(pyFormatString("ab", "*^6s"), "**ab**");
  for (const spec of ["+", "#", ",", "=5", "d"]) assert.throws(() => pyFormatString("ab", spec), Error, spec);
});
