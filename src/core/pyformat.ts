/**
 * Python's number and string formatting, reproduced so paper-parity prompts match the
 * reference implementation byte for byte. JavaScript differs in three places that show up in
 * the prompts: `str(2.0)` is "2.0" (JS: "2"), scientific notation starts at 1e16 and 1e-5
 * (JS: 1e21 and 1e-7), and fixed-point rounding breaks exact ties to even (JS: away from zero).
 */

/** Python's `repr(float)` / `str(float)`: shortest round-trip digits, Python's layout. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() with no argument gives the shortest digits that round-trip, as repr does.
  const [mantissa, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const frac = digits.slice(1);
    const expSign = exp < 0 ? "-" : "+";
    const expDigits = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${digits[0]}${frac ? "." + frac : ""}e${expSign}${expDigits}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const fracPart = digits.slice(exp + 1);
  return `${sign}${intPart}.${fracPart || "0"}`;
}

/** Python's `str()` of a value that is an int in the reference code. */
export function pyInt(x: number): string {
  return String(Math.trunc(x));
}

/** The exact decimal expansion of a finite double, as [sign, integer digits, fraction digits]. */
function exactDecimal(x: number): [string, string, string] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? "-" : "";
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) return [sign, (mant << BigInt(exp)).toString(), ""];
  // mant / 2^k = mant * 5^k / 10^k
  const k = -exp;
  const scaled = (mant * 5n ** BigInt(k)).toString().padStart(k + 1, "0");
  return [sign, scaled.slice(0, scaled.length - k), scaled.slice(scaled.length - k)];
}

/** Python's `format(x, ".Nf")`: correctly rounded from the exact binary value, ties to even. */
export function pyFixed(x: number, places: number): string {
  if (!Number.isFinite(x)) return pyFloat(x);
  const [sign, intDigits, fracDigits] = exactDecimal(x);
  const kept = intDigits + fracDigits.slice(0, places).padEnd(places, "0");
  const rest = fracDigits.slice(places);
  let value = BigInt(kept);
  if (rest.length > 0) {
    const first = rest.charCodeAt(0) - 48;
    const beyondHalf = /[1-9]/.test(rest.slice(1));
    const roundUp = first > 5 || (first === 5 && (beyondHalf || value % 2n === 1n));
    if (roundUp) value += 1n;
  }
  const text = value.toString().padStart(places + 1, "0");
  const body = places > 0 ? `${text.slice(0, text.length - places)}.${text.slice(text.length - places)}` : text;
  // Python keeps the sign of a negative number that rounds to zero ("-0.00").
  return sign + body;
}

/** Python's `format(x, ".N%")`: multiplies by 100 in floating point, then fixed-point. */
export function pyPercent(x: number, places: number): string {
  return `${pyFixed(x * 100, places)}%`;
}

/** Python's `round(x, n)` for floats: ties to even on the exact value, returned as a double. */
export function pyRound(x: number, places: number): number {
  return Number(pyFixed(x, places));
}

// Characters Python's str.strip() removes (str.isspace()); JS trim() differs on \x1c-\x1f and \x85.
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, "");
}

/** Python's `s[:n]`: counts code points, not UTF-16 units. */
export function pyHead(s: string, n: number): string {
  let out = "";
  let count = 0;
  for (const ch of s) {
    if (count++ >= n) break;
    out += ch;
  }
  return out;
}

/** |x| rounded half-even to `digits` significant digits: the digits, and the exponent of the first. */
function significant(x: number, digits: number): [string, number] {
  const [, intDigits, fracDigits] = exactDecimal(Math.abs(x));
  const all = intDigits + fracDigits;
  const first = all.search(/[1-9]/);
  if (first < 0) return ["0".repeat(digits), 0];
  let exp = intDigits.length - first - 1;
  const sig = all.slice(first);
  let kept = BigInt(sig.slice(0, digits).padEnd(digits, "0"));
  const rest = sig.slice(digits);
  if (rest.length > 0 && (rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || kept % 2n === 1n)))) kept += 1n;
  let text = kept.toString();
  if (text.length > digits) {
    text = text.slice(0, digits);
    exp += 1;
  }
  return [text, exp];
}

const exponent = (exp: number) => `e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;

/** Python's 'e' presentation of |x| with `places` digits after the point. */
function expText(x: number, places: number, alt: boolean): string {
  const [d, exp] = significant(x, places + 1);
  return `${d[0]}${places > 0 || alt ? "." : ""}${d.slice(1)}${exponent(x === 0 ? 0 : exp)}`;
}

/** Python's 'g' presentation of |x| (`addDot0`: the spec had no type, so a fixed-point result keeps a ".0"). */
function generalText(x: number, precision: number, alt: boolean, addDot0: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const [d, e] = significant(x, p);
  const exp = x === 0 ? 0 : e;
  const trim = (s: string) => (alt ? s : s.replace(/0+$/, ""));
  if (exp < -4 || exp >= (addDot0 ? p - 1 : p)) {
    const frac = trim(d.slice(1));
    return `${d[0]}${frac || alt ? "." : ""}${frac}${exponent(exp)}`;
  }
  const int = exp >= 0 ? d.slice(0, exp + 1) : "0";
  const frac = trim(exp >= 0 ? d.slice(exp + 1) : "0".repeat(-exp - 1) + d);
  return `${int}${frac || alt ? "." : ""}${frac}${!frac && addDot0 ? ".0" : ""}`;
}

/** Inserts `sep` every `size` digits from the right of a run of digits. */
function group(digits: string, sep: string, size: number): string {
  let out = "";
  for (let i = digits.length; i > 0; i -= size) out = digits.slice(Math.max(0, i - size), i) + (out ? sep + out : "");
  return out;
}

// [[fill]align][sign][z][#][0][width][grouping][.precision][type]
const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?([0-9]+)?([,_])?(?:\.([0-9]+))?([bcdeEfFgGnosxX%])?$/u;

/**
 * Python's `format(value, spec)` for an int (`int`) or a float: the format-spec mini-language
 * (fill, alignment, sign, `z`, `#`, `0`, width, grouping, precision, type). Throws where Python
 * raises ValueError, with a message saying why.
 */
export function pyFormatNumber(value: number, int: boolean, spec: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw new Error(`invalid format spec '${spec}'`);
  const [, fillChar, alignChar, sign = "-", z, alt, zero, widthText, grouping, precisionText, typeChar] = m;
  const type = typeChar ?? "";
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  const intTypes = "bcdoxXn";
  const floatTypes = "eEfFgGn%";
  const asInt = int && (type === "" || intTypes.includes(type));
  if (asInt && precision !== undefined) throw new Error("precision is not allowed for an int");
  if (!asInt && type !== "" && !floatTypes.includes(type)) throw new Error(`format type '${type}' does not apply to ${int ? "an int" : "a float"}`);
  if (z && asInt) throw new Error("'z' applies to floats only");
  if (grouping && type === "n") throw new Error(`cannot use '${grouping}' with 'n'`);
  if (grouping === "," && ["b", "c", "o", "x", "X"].includes(type)) throw new Error(`cannot use ',' with '${type}'`);
  if (type === "c" && (m[3] || grouping || alt)) throw new Error("sign, '#' and grouping do not apply to 'c'");

  const negative = value < 0 || Object.is(value, -0);
  const x = Math.abs(value);
  let body: string;
  let prefix = "";
  if (asInt) {
    const radix = { b: 2, o: 8, x: 16, X: 16 }[type] ?? 10;
    if (type === "c") body = String.fromCodePoint(value);
    else body = type === "X" ? x.toString(16).toUpperCase() : x.toString(radix);
    if (alt && radix !== 10) prefix = { 2: "0b", 8: "0o", 16: type === "X" ? "0X" : "0x" }[radix]!;
  } else {
    const p = precision ?? 6;
    switch (type) {
      case "f":
      case "F":
        body = pyFixed(x, p) + (alt && p === 0 ? "." : "");
        break;
      case "e":
      case "E":
        body = expText(x, p, Boolean(alt));
        break;
      case "%":
        body = pyFixed(x * 100, p) + (alt && p === 0 ? "." : "") + "%";
        break;
      case "":
        body = precision === undefined ? pyFloat(x) : generalText(x, precision, Boolean(alt), true);
        // `#` keeps a decimal point in repr's exponent form too: 1.e-05.
        if (alt && !body.includes(".")) body = body.replace("e", ".e");
        break;
      default: // g, G, n
        body = generalText(x, p, Boolean(alt), false);
    }
    if (type === "E" || type === "G") body = body.toUpperCase();
  }
  // `z` turns a negative zero (after rounding) into a positive one.
  const shownNegative = negative && !(z && !/[1-9]/.test(body));
  const signText = shownNegative && type !== "c" ? "-" : sign === "+" ? "+" : sign === " " ? " " : "";
  const width = widthText === undefined ? 0 : Number(widthText);
  const align = alignChar ?? (zero ? "=" : ">");
  const fill = fillChar ?? (zero ? "0" : " ");
  if (grouping && type !== "c") {
    const size = grouping === "_" && ["b", "o", "x", "X"].includes(type) ? 4 : 3;
    let intPart = (asInt ? /^[0-9a-fA-F]*/ : /^[0-9]*/).exec(body)![0];
    const tail = body.slice(intPart.length);
    // Zero padding is grouped too (format(1234, "09,d") is "0,001,234").
    if (fill === "0" && align === "=") {
      const room = width - signText.length - prefix.length - tail.length;
      while (group(intPart, grouping, size).length < room) intPart = "0" + intPart;
    }
    body = group(intPart, grouping, size) + tail;
  }
  return pad(signText + prefix, body, width, align, fill);
}

/** `sign+prefix` and `body` padded to `width`: `=` pads between them. */
function pad(head: string, body: string, width: number, align: string, fill: string): string {
  const room = width - [...head].length - [...body].length;
  if (room <= 0) return head + body;
  if (align === "=") return head + fill.repeat(room) + body;
  if (align === "<") return head + body + fill.repeat(room);
  if (align === "^") return fill.repeat(Math.floor(room / 2)) + head + body + fill.repeat(room - Math.floor(room / 2));
  return fill.repeat(room) + head + body;
}

/** Python's `format(text, spec)` for a string: fill, alignment, `0`, width and precision (truncation). */
export function pyFormatString(text: string, spec: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw new Error(`invalid format spec '${spec}'`);
  const [, fillChar, alignChar, sign, z, alt, zero, widthText, grouping, precisionText, type] = m;
  if (type !== undefined && type !== "s") throw new Error(`format type '${type}' does not apply to a string`);
  if (sign || z || alt || grouping || alignChar === "=") throw new Error("sign, 'z', '#', grouping and '=' do not apply to a string");
  const chars = [...text];
  const shown = precisionText === undefined ? text : chars.slice(0, Number(precisionText)).join("");
  return pad("", shown, widthText === undefined ? 0 : Number(widthText), alignChar ?? "<", fillChar ?? (zero ? "0" : " "));
}
