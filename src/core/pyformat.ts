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
