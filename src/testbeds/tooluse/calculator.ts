/**
 * The calculator tool of the tool-use testbed: our own tokenizer and recursive-descent parser,
 * evaluated over a fixed whitelist of operators, functions and constants. Nothing the agent
 * writes is ever handed to the JavaScript engine (no eval, no Function, no property lookups on
 * user-supplied names), and every resource it could consume (input length, nesting depth, size
 * of integers, factorial size, evaluation steps) is capped, so hostile input yields an error
 * message rather than running code or hanging.
 *
 * Integers are exact: while every operand is an integer and each operation stays integral, the
 * arithmetic is done on BigInt (so 1234567*7654321 and pow(3, 200, 1000) are exact). As soon as
 * a decimal, a non-integral division, a root or a constant enters, it falls back to doubles.
 *
 * Grammar (precedence from loose to tight):
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | '%') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := postfix (('^' | '**') unary)?        right-associative; -2^2 = -4, 2^-1 = 0.5
 *   postfix := primary '!'*
 *   primary := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
 */

export type CalculatorResult = { ok: true; value: string } | { ok: false; error: string };

export interface CalculatorLimits {
  /** Characters of input. */
  maxLength: number;
  /** Nesting of parentheses and unary signs. */
  maxDepth: number;
  /** Decimal digits of any integer, input or intermediate. */
  maxDigits: number;
  /** Largest n for n! and factorial(n). */
  maxFactorial: number;
  /** Evaluation work: one per operation, plus the iterations of loops (scaled by operand size). */
  maxSteps: number;
}

export const CALCULATOR_LIMITS: CalculatorLimits = {
  maxLength: 1000,
  maxDepth: 100,
  maxDigits: 10_000,
  maxFactorial: 1000,
  maxSteps: 100_000,
};

/** Function names the calculator accepts, for the tool description and error messages. */
export const CALCULATOR_FUNCTIONS = [
  "sqrt",
  "abs",
  "floor",
  "ceil",
  "round",
  "min",
  "max",
  "mod",
  "pow",
  "comb",
  "choose",
  "factorial",
  "gcd",
  "lcm",
] as const;
export const CALCULATOR_CONSTANTS = ["pi", "e"] as const;

/** Evaluates an arithmetic expression; errors are plain text meant to be shown to the agent. */
export function evaluate(expression: string, limits: Partial<CalculatorLimits> = {}): CalculatorResult {
  const lim: CalculatorLimits = { ...CALCULATOR_LIMITS, ...limits };
  try {
    if (typeof expression !== "string") throw new CalcError("the expression must be text");
    if (expression.length > lim.maxLength) {
      throw new CalcError(`expression too long (${expression.length} characters; the limit is ${lim.maxLength})`);
    }
    const tokens = tokenize(expression, lim);
    const ast = new Parser(tokens, lim).parseAll();
    const value = new Evaluator(lim).run(ast);
    return { ok: true, value: formatValue(value) };
  } catch (err) {
    if (err instanceof CalcError) return { ok: false, error: err.message };
    // The stack guard of last resort: a RangeError from the engine is still an answer, not a crash.
    if (err instanceof RangeError) return { ok: false, error: "expression too complex to evaluate" };
    throw err;
  }
}

class CalcError extends Error {}

// ---------------------------------------------------------------- tokens

type Token =
  | { type: "num"; value: Value; pos: number; text: string }
  | { type: "name"; name: string; pos: number }
  | { type: "op"; op: string; pos: number }
  | { type: "end"; pos: number };

// Positions shown to the agent count characters from 1, as an editor's column does.
const at = (pos: number) => `position ${pos + 1}`;

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
// Lookalikes models write for the same operators.
const OPERATOR_ALIASES: Record<string, string> = { "×": "*", "·": "*", "÷": "/", "−": "-", "–": "-" };

function tokenize(text: string, lim: CalculatorLimits): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      tokens.push({ type: "num", value: numberLiteral(num[0], i, lim), pos: i, text: num[0] });
      i += num[0].length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ type: "name", name: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    if (c === "*" && text[i + 1] === "*") {
      tokens.push({ type: "op", op: "^", pos: i });
      i += 2;
      continue;
    }
    if ("+-*/%^!(),".includes(c)) {
      tokens.push({ type: "op", op: c, pos: i });
      i++;
      continue;
    }
    if (c === "π") {
      tokens.push({ type: "name", name: "pi", pos: i });
      i++;
      continue;
    }
    const alias = OPERATOR_ALIASES[c];
    if (alias !== undefined) {
      tokens.push({ type: "op", op: alias, pos: i });
      i++;
      continue;
    }
    const shown = JSON.stringify(String.fromCodePoint(text.codePointAt(i) ?? 0));
    throw new CalcError(`syntax error at ${at(i)}: unexpected character ${shown}`);
  }
  tokens.push({ type: "end", pos: text.length });
  return tokens;
}

function numberLiteral(text: string, pos: number, lim: CalculatorLimits): Value {
  if (/^\d+$/.test(text)) {
    if (text.replace(/^0+(?=\d)/, "").length > lim.maxDigits) {
      throw new CalcError(`number at ${at(pos)} has more than ${lim.maxDigits} digits`);
    }
    return BigInt(text);
  }
  const x = Number(text);
  if (!Number.isFinite(x)) throw new CalcError(`number at ${at(pos)} is too large`);
  return x;
}

// ---------------------------------------------------------------- syntax tree

type Node =
  | { kind: "num"; value: Value; pos: number }
  | { kind: "const"; name: string; pos: number }
  | { kind: "neg"; arg: Node; pos: number }
  | { kind: "bin"; op: string; left: Node; right: Node; pos: number }
  | { kind: "fact"; arg: Node; pos: number }
  | { kind: "call"; name: string; args: Node[]; pos: number };

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly lim: CalculatorLimits,
  ) {}

  parseAll(): Node {
    if (this.peek().type === "end") throw new CalcError("empty expression");
    const node = this.expr();
    const t = this.peek();
    if (t.type === "op" && t.op === ",") {
      throw new CalcError(
        `syntax error at ${at(t.pos)}: unexpected ',' (write numbers without thousands separators; commas only separate function arguments)`,
      );
    }
    if (t.type !== "end") throw new CalcError(`syntax error at ${at(t.pos)}: unexpected ${describe(t)}`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t.type === "op" && t.op === op;
  }

  private enter(pos: number): void {
    if (++this.depth > this.lim.maxDepth) {
      throw new CalcError(`expression nested too deeply at ${at(pos)} (the limit is ${this.lim.maxDepth} levels)`);
    }
  }

  private expr(): Node {
    this.enter(this.peek().pos);
    let left = this.term();
    while (this.isOp("+") || this.isOp("-")) {
      const t = this.tokens[this.i++] as { op: string; pos: number };
      left = { kind: "bin", op: t.op, left, right: this.term(), pos: t.pos };
    }
    this.depth--;
    return left;
  }

  private term(): Node {
    let left = this.unary();
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const t = this.tokens[this.i++] as { op: string; pos: number };
      left = { kind: "bin", op: t.op, left, right: this.unary(), pos: t.pos };
    }
    return left;
  }

  private unary(): Node {
    const t = this.peek();
    if (t.type === "op" && (t.op === "-" || t.op === "+")) {
      this.i++;
      this.enter(t.pos);
      const arg = this.unary();
      this.depth--;
      return t.op === "-" ? { kind: "neg", arg, pos: t.pos } : arg;
    }
    return this.power();
  }

  private power(): Node {
    const base = this.postfix();
    if (this.isOp("^")) {
      const t = this.tokens[this.i++];
      this.enter(t.pos);
      const exponent = this.unary();
      this.depth--;
      return { kind: "bin", op: "^", left: base, right: exponent, pos: t.pos };
    }
    return base;
  }

  private postfix(): Node {
    let node = this.primary();
    while (this.isOp("!")) {
      node = { kind: "fact", arg: node, pos: this.peek().pos };
      this.i++;
    }
    return node;
  }

  private primary(): Node {
    const t = this.peek();
    if (t.type === "num") {
      this.i++;
      return { kind: "num", value: t.value, pos: t.pos };
    }
    if (t.type === "name") {
      this.i++;
      const name = t.name.toLowerCase();
      if (this.isOp("(")) {
        if (CONSTANTS.has(name)) throw new CalcError(`syntax error at ${at(t.pos)}: '${t.name}' is a constant, not a function`);
        if (!FUNCTIONS.has(name)) throw unknownName(t.name, t.pos);
        this.i++;
        const args: Node[] = [];
        if (!this.isOp(")")) {
          args.push(this.expr());
          while (this.isOp(",")) {
            this.i++;
            args.push(this.expr());
          }
        }
        this.expect(")");
        return { kind: "call", name, args, pos: t.pos };
      }
      if (!CONSTANTS.has(name)) {
        if (FUNCTIONS.has(name)) throw new CalcError(`syntax error at ${at(t.pos)}: function '${t.name}' needs arguments in parentheses`);
        throw unknownName(t.name, t.pos);
      }
      return { kind: "const", name, pos: t.pos };
    }
    if (t.type === "op" && t.op === "(") {
      this.i++;
      const inner = this.expr();
      this.expect(")");
      return inner;
    }
    throw new CalcError(`syntax error at ${at(t.pos)}: expected a number, a name or '(' but found ${describe(t)}`);
  }

  private expect(op: string): void {
    const t = this.peek();
    if (t.type !== "op" || t.op !== op) {
      throw new CalcError(`syntax error at ${at(t.pos)}: expected '${op}' but found ${describe(t)}`);
    }
    this.i++;
  }
}

function describe(t: Token): string {
  switch (t.type) {
    case "end":
      return "the end of the expression";
    case "num":
      return `number ${t.text}`;
    case "name":
      return `name '${t.name}'`;
    case "op":
      return `'${t.op}'`;
  }
}

function unknownName(name: string, pos: number): CalcError {
  const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
  return new CalcError(
    `unknown name '${shown}' at ${at(pos)} (functions: ${CALCULATOR_FUNCTIONS.join(", ")}; constants: ${CALCULATOR_CONSTANTS.join(", ")})`,
  );
}

// ---------------------------------------------------------------- values

/** An exact integer (bigint) or a double (number). */
type Value = bigint | number;

interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  apply: (ev: Evaluator, args: Value[], pos: number) => Value;
}

// Maps keyed by name, never objects: `__proto__` or `constructor` are simply not found.
const CONSTANTS = new Map<string, number>([
  ["pi", Math.PI],
  ["e", Math.E],
]);

const FUNCTIONS = new Map<string, FunctionSpec>([
  ["sqrt", { minArgs: 1, maxArgs: 1, apply: (ev, [x], pos) => ev.sqrt(x, pos) }],
  ["abs", { minArgs: 1, maxArgs: 1, apply: (_ev, [x]) => (typeof x === "bigint" ? (x < 0n ? -x : x) : Math.abs(x)) }],
  ["floor", { minArgs: 1, maxArgs: 1, apply: (ev, [x], pos) => ev.toInteger(x, Math.floor, pos) }],
  ["ceil", { minArgs: 1, maxArgs: 1, apply: (ev, [x], pos) => ev.toInteger(x, Math.ceil, pos) }],
  ["round", { minArgs: 1, maxArgs: 2, apply: (ev, args, pos) => ev.round(args, pos) }],
  ["min", { minArgs: 1, maxArgs: 100, apply: (_ev, args) => args.reduce((a, b) => (compare(b, a) < 0 ? b : a)) }],
  ["max", { minArgs: 1, maxArgs: 100, apply: (_ev, args) => args.reduce((a, b) => (compare(b, a) > 0 ? b : a)) }],
  ["mod", { minArgs: 2, maxArgs: 2, apply: (ev, [a, b], pos) => ev.binary("%", a, b, pos) }],
  ["pow", { minArgs: 2, maxArgs: 3, apply: (ev, args, pos) => (args.length === 3 ? ev.modPow(args, pos) : ev.binary("^", args[0], args[1], pos)) }],
  ["comb", { minArgs: 2, maxArgs: 2, apply: (ev, [n, k], pos) => ev.comb(n, k, pos) }],
  ["choose", { minArgs: 2, maxArgs: 2, apply: (ev, [n, k], pos) => ev.comb(n, k, pos) }],
  ["factorial", { minArgs: 1, maxArgs: 1, apply: (ev, [n], pos) => ev.factorial(n, pos) }],
  ["gcd", { minArgs: 1, maxArgs: 100, apply: (ev, args, pos) => args.map((a) => ev.int(a, "gcd", pos)).reduce((a, b) => ev.gcd(a, b)) }],
  [
    "lcm",
    {
      minArgs: 1,
      maxArgs: 100,
      apply: (ev, args, pos) =>
        args
          .map((a) => ev.int(a, "lcm", pos))
          .reduce((a, b) => {
            if (a === 0n || b === 0n) return 0n;
            return ev.checkSize(abs(a / ev.gcd(a, b)) * abs(b), pos);
          }),
    },
  ],
]);

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function compare(a: Value, b: Value): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Bits of |x|, cheaply (hex digits x 4, an upper bound within 3 bits). */
function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  return abs(x).toString(16).length * 4;
}

const LOG2_10 = Math.log2(10);

class Evaluator {
  private steps = 0;
  private readonly maxBits: number;

  constructor(private readonly lim: CalculatorLimits) {
    this.maxBits = Math.ceil(lim.maxDigits * LOG2_10);
  }

  /** Charges evaluation work; `n` grows with operand size in loops over big integers. */
  private charge(n: number, pos: number): void {
    this.steps += n;
    if (this.steps > this.lim.maxSteps) {
      throw new CalcError(`calculation too long at ${at(pos)} (more than ${this.lim.maxSteps} evaluation steps)`);
    }
  }

  /**
   * Work of one product or division of integers of `a` and `b` bits. A unit is about a
   * microsecond on a laptop, so the step limit is a time limit: division is quadratic in V8,
   * hence a x b; a product by a small factor (b = 0) is linear.
   */
  private bigCost(a: number, b: number = a): number {
    return 1 + Math.floor(b === 0 ? a / 1024 : (a / 1024) * (b / 1024));
  }

  run(node: Node): Value {
    this.charge(1, node.pos);
    switch (node.kind) {
      case "num":
        return node.value;
      case "const":
        return CONSTANTS.get(node.name)!;
      case "neg": {
        const x = this.run(node.arg);
        return typeof x === "bigint" ? -x : -x;
      }
      case "fact":
        return this.factorial(this.run(node.arg), node.pos);
      case "bin":
        return this.binary(node.op, this.run(node.left), this.run(node.right), node.pos);
      case "call": {
        const spec = FUNCTIONS.get(node.name)!;
        const n = node.args.length;
        if (n < spec.minArgs || n > spec.maxArgs) {
          const want = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`;
          throw new CalcError(`${node.name}() at ${at(node.pos)} takes ${want} argument${spec.maxArgs === 1 ? "" : "s"}, got ${n}`);
        }
        const args = node.args.map((a) => this.run(a));
        return spec.apply(this, args, node.pos);
      }
    }
  }

  checkSize(x: bigint, pos: number): bigint {
    const bits = bitLength(x);
    // The bit count settles all but the numbers near the limit; those are counted in decimal.
    if (bits > this.maxBits + 8 || (bits > this.maxBits - 8 && abs(x).toString().length > this.lim.maxDigits)) {
      throw new CalcError(`result at ${at(pos)} is too large (more than ${this.lim.maxDigits} digits)`);
    }
    return x;
  }

  private real(x: Value, pos: number): number {
    const r = Number(x);
    if (!Number.isFinite(r)) throw new CalcError(`number at ${at(pos)} is too large for non-integer arithmetic`);
    return r;
  }

  private finite(x: number, pos: number): number {
    if (Number.isNaN(x)) throw new CalcError(`result at ${at(pos)} is undefined`);
    if (!Number.isFinite(x)) throw new CalcError(`result at ${at(pos)} is too large`);
    return x;
  }

  /** An integer argument: a bigint, or a double that holds an integer exactly. */
  int(x: Value, what: string, pos: number): bigint {
    if (typeof x === "bigint") return x;
    if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) return BigInt(x);
    throw new CalcError(`${what} at ${at(pos)} needs an integer, got ${formatValue(x)}`);
  }

  binary(op: string, a: Value, b: Value, pos: number): Value {
    if (typeof a === "bigint" && typeof b === "bigint") {
      switch (op) {
        case "+":
          return this.checkSize(a + b, pos);
        case "-":
          return this.checkSize(a - b, pos);
        case "*":
          if (bitLength(a) + bitLength(b) > this.maxBits + 8) {
            throw new CalcError(`result at ${at(pos)} is too large (more than ${this.lim.maxDigits} digits)`);
          }
          this.charge(this.bigCost(bitLength(a), bitLength(b)), pos);
          return this.checkSize(a * b, pos);
        case "/":
          if (b === 0n) throw new CalcError(`division by zero at ${at(pos)}`);
          if (a % b === 0n) return a / b;
          return this.finite(this.real(a, pos) / this.real(b, pos), pos);
        case "%":
          if (b === 0n) throw new CalcError(`modulo by zero at ${at(pos)}`);
          return floorMod(a, b);
        case "^":
          return this.intPow(a, b, pos);
      }
    }
    const x = this.real(a, pos);
    const y = this.real(b, pos);
    switch (op) {
      case "+":
        return this.finite(x + y, pos);
      case "-":
        return this.finite(x - y, pos);
      case "*":
        return this.finite(x * y, pos);
      case "/":
        if (y === 0) throw new CalcError(`division by zero at ${at(pos)}`);
        return this.finite(x / y, pos);
      case "%":
        if (y === 0) throw new CalcError(`modulo by zero at ${at(pos)}`);
        // Floored, like the integer case: the result takes the divisor's sign.
        return this.finite(x - y * Math.floor(x / y), pos);
      case "^":
        if (x === 0 && y < 0) throw new CalcError(`division by zero at ${at(pos)} (0 to a negative power)`);
        if (x < 0 && !Number.isInteger(y)) throw new CalcError(`result at ${at(pos)} is undefined (negative number to a fractional power)`);
        return this.finite(Math.pow(x, y), pos);
    }
    throw new CalcError(`unknown operator '${op}' at ${at(pos)}`);
  }

  private intPow(a: bigint, b: bigint, pos: number): Value {
    if (b < 0n) {
      if (a === 0n) throw new CalcError(`division by zero at ${at(pos)} (0 to a negative power)`);
      if (a === 1n) return 1n;
      if (a === -1n) return b % 2n === 0n ? 1n : -1n;
      return this.finite(Math.pow(this.real(a, pos), this.real(b, pos)), pos);
    }
    if (a === 0n) return b === 0n ? 1n : 0n;
    if (a === 1n) return 1n;
    if (a === -1n) return b % 2n === 0n ? 1n : -1n;
    // |a| >= 2, so the result has at least b bits: refuse before computing anything.
    const tooLarge = () =>
      new CalcError(
        `result at ${at(pos)} is too large (more than ${this.lim.maxDigits} digits); for a remainder of a large power use pow(base, exponent, modulus)`,
      );
    if (b > BigInt(this.maxBits)) throw tooLarge();
    const bits = Number(b) * log2Abs(a);
    if (bits > this.maxBits) throw tooLarge();
    // The last squaring dominates square-and-multiply; charge about twice it.
    this.charge(2 * this.bigCost(bits), pos);
    return this.checkSize(a ** b, pos);
  }

  /** pow(base, exponent, modulus): square-and-multiply, never builds the full power. */
  modPow([base, exponent, modulus]: Value[], pos: number): bigint {
    let a = this.int(base, "pow", pos);
    let b = this.int(exponent, "pow", pos);
    const m = this.int(modulus, "pow", pos);
    if (m === 0n) throw new CalcError(`modulo by zero at ${at(pos)}`);
    if (b < 0n) throw new CalcError(`pow() at ${at(pos)} with a modulus needs a non-negative exponent`);
    // Two products and two reductions per bit of the exponent.
    const cost = 4 * this.bigCost(bitLength(m));
    let result = 1n;
    a = floorMod(a, m);
    while (b > 0n) {
      this.charge(cost, pos);
      if (b & 1n) result = (result * a) % m;
      a = (a * a) % m;
      b >>= 1n;
    }
    return floorMod(result, m);
  }

  comb(nValue: Value, kValue: Value, pos: number): bigint {
    const n = this.int(nValue, "comb", pos);
    let k = this.int(kValue, "comb", pos);
    if (n < 0n) throw new CalcError(`comb() at ${at(pos)} needs n >= 0`);
    if (k < 0n || k > n) return 0n;
    if (n - k < k) k = n - k;
    if (k === 0n) return 1n;
    const kn = Number(k);
    // log2 C(n, k) >= k log2(n / k): refuse results that cannot fit before looping.
    if (kn * Math.log2(Number(n) / kn) > this.maxBits || kn > this.lim.maxSteps) {
      throw new CalcError(`result at ${at(pos)} is too large (more than ${this.lim.maxDigits} digits)`);
    }
    let r = 1n;
    // Track the size as a running sum of logs: measuring the BigInt each time costs more than the step.
    let bits = 0;
    for (let i = 0n; i < k; i++) {
      bits += Math.log2(Number(n - i)) - Math.log2(Number(i) + 1);
      this.charge(this.bigCost(bits, 0), pos);
      r = (r * (n - i)) / (i + 1n);
    }
    return this.checkSize(r, pos);
  }

  factorial(x: Value, pos: number): bigint {
    const n = this.int(x, "factorial", pos);
    if (n < 0n) throw new CalcError(`factorial at ${at(pos)} needs a non-negative integer`);
    if (n > BigInt(this.lim.maxFactorial)) {
      throw new CalcError(`factorial at ${at(pos)} is limited to n <= ${this.lim.maxFactorial}`);
    }
    let r = 1n;
    let bits = 0;
    for (let i = 2n; i <= n; i++) {
      bits += Math.log2(Number(i));
      this.charge(this.bigCost(bits, 0), pos);
      r *= i;
    }
    return this.checkSize(r, pos);
  }

  gcd(a: bigint, b: bigint): bigint {
    a = abs(a);
    b = abs(b);
    // Operands only shrink, so the first size bounds every step.
    const cost = this.bigCost(Math.max(bitLength(a), bitLength(b)));
    while (b !== 0n) {
      this.charge(cost, 0);
      [a, b] = [b, a % b];
    }
    return a;
  }

  sqrt(x: Value, pos: number): Value {
    if (compare(x, 0n) < 0) throw new CalcError(`sqrt() at ${at(pos)} of a negative number`);
    if (typeof x === "number") return Math.sqrt(x);
    if (x < 2n ** 53n) {
      const r = Math.sqrt(Number(x));
      return Number.isInteger(r) && BigInt(r) * BigInt(r) === x ? BigInt(r) : r;
    }
    const r = this.isqrt(x, pos);
    // Exact for perfect squares; otherwise r already carries more than a double's precision.
    return r * r === x ? r : this.real(r, pos);
  }

  private isqrt(x: bigint, pos: number): bigint {
    let r = 1n << BigInt(Math.ceil(bitLength(x) / 2) + 1);
    const cost = this.bigCost(bitLength(x), bitLength(x) / 2);
    for (;;) {
      this.charge(cost, pos);
      const next = (r + x / r) >> 1n;
      if (next >= r) return r;
      r = next;
    }
  }

  toInteger(x: Value, f: (v: number) => number, pos: number): Value {
    if (typeof x === "bigint") return x;
    const r = f(x);
    return Math.abs(r) <= Number.MAX_SAFE_INTEGER ? BigInt(r) : this.finite(r, pos);
  }

  /** round(x) and round(x, digits); halves round away from zero, as on a pocket calculator. */
  round([x, digits]: Value[], pos: number): Value {
    const half = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
    if (digits === undefined) return this.toInteger(x, half, pos);
    const d = Number(this.int(digits, "round", pos));
    if (d < 0 || d > 15) throw new CalcError(`round() at ${at(pos)} takes 0 to 15 digits`);
    if (typeof x === "bigint") return x;
    const scale = 10 ** d;
    // Through 15 significant digits first, so 1.005 rounds to 1.01 as written, not as stored.
    return this.finite(half(Number((x * scale).toPrecision(15))) / scale, pos);
  }
}

function floorMod(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

function log2Abs(a: bigint): number {
  const bits = bitLength(a);
  if (bits <= 1000) return Math.log2(Math.abs(Number(a)));
  return bits - 4;
}

/** Integers in full; doubles to 15 significant digits, which drops float noise (0.1+0.2 -> 0.3). */
function formatValue(x: Value): string {
  if (typeof x === "bigint") return x.toString();
  if (!Number.isFinite(x)) throw new CalcError("result is not a finite number");
  const r = Number(x.toPrecision(15));
  return Object.is(r, -0) ? "0" : String(r);
}
