/**
 * Problems for the tool-use testbed, generated from a seed in our own words, each with an exact
 * answer and a calculator expression that computes it.
 *
 * Easy problems are grade-school word problems of at most three arithmetic steps with small
 * numbers: a model answers them reliably without a tool, so skipping the tool pays. Hard
 * problems are exact computations a model cannot reliably do in its head (long products and
 * sums, modular powers, binomial coefficients, areas from coordinates): with the calculator
 * they are easy, without it they are mostly wrong. That contrast is what the testbed is about.
 */
import { Rng, hashSeed } from "../../core/rng.js";

export type ProblemKind = "easy" | "hard";

export interface Problem {
  /** Unique within a generated set, e.g. `round2/easy3`. */
  id: string;
  kind: ProblemKind;
  /** Which generator wrote it (e.g. `shopping`, `product`), so tests and reports can group. */
  template: string;
  text: string;
  /** The exact answer as a plain decimal: no exponent, no separators, no trailing zeros. */
  answer: string;
  /** A calculator expression whose value is the answer (what a perfect tool user would type). */
  expression: string;
  /** Arithmetic operations a person needs (easy problems: at most 3). */
  steps?: number;
}

/** The problems of one round, in the order they are asked: the easy ones, then the hard ones. */
export interface RoundProblems {
  round: number;
  easy: Problem[];
  hard: Problem[];
}

export interface ProblemSetOptions {
  seed: number;
  easyPerRound: number;
  hardPerRound: number;
  rounds: number;
  /** Size of the hard problems, 1 (smallest) to 5; 3 gives 7-digit x 6-digit products, C(~40, ~13). */
  difficulty?: number;
}

export const DEFAULT_DIFFICULTY = 3;

// ---------------------------------------------------------------- easy problems

const NAMES = [
  "Ada", "Bruno", "Chen", "Dara", "Elif", "Farid", "Greta", "Hugo", "Imani", "Jonas",
  "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tomas",
];

const GOODS: Array<[single: string, plural: string]> = [
  ["notebook", "notebooks"], ["pencil case", "pencil cases"], ["mango", "mangoes"],
  ["ball of yarn", "balls of yarn"], ["flower pot", "flower pots"], ["sandwich", "sandwiches"],
  ["comic book", "comic books"], ["bag of rice", "bags of rice"], ["candle", "candles"],
  ["toy car", "toy cars"],
];

const CONTAINERS: Array<[items: string, container: string]> = [
  ["cookies", "tins"], ["marbles", "jars"], ["stickers", "envelopes"], ["eggs", "cartons"],
  ["seedlings", "trays"], ["crayons", "boxes"],
];

const TRAVELLERS: Array<[who: string, unit: string]> = [
  ["a cyclist", "km"], ["a ferry", "km"], ["a hiker", "km"], ["a delivery van", "km"], ["a runner", "km"],
];

function easy(template: string, text: string, answer: number, expression: string, steps: number): Omit<Problem, "id" | "kind"> {
  return { template, text, answer: String(answer), expression, steps };
}

/** Easy templates. Each keeps every number at most 100 and uses at most three operations. */
const EASY_TEMPLATES: Array<(rng: Rng) => Omit<Problem, "id" | "kind">> = [
  // Shopping total: q items at p each plus one extra item.
  (rng) => {
    const name = rng.pick(NAMES);
    const [, goods] = rng.pick(GOODS);
    const q = rng.int(2, 9);
    const p = rng.int(2, 12);
    const extra = rng.int(1, 15);
    return easy(
      "shopping",
      `${name} buys ${q} ${goods} at $${p} each and a bottle of water for $${extra}. How many dollars does ${name} spend in total?`,
      q * p + extra,
      `${q}*${p}+${extra}`,
      2,
    );
  },
  // Change from a purchase.
  (rng) => {
    const name = rng.pick(NAMES);
    const [, goods] = rng.pick(GOODS);
    const q = rng.int(2, 6);
    const p = rng.int(2, 9);
    const bill = [20, 50, 100].find((b) => b > q * p)!;
    return easy(
      "change",
      `${name} pays for ${q} ${goods} costing $${p} each with a $${bill} bill. How many dollars of change should ${name} get back?`,
      bill - q * p,
      `${bill}-${q}*${p}`,
      2,
    );
  },
  // Sharing equally, after combining packs.
  (rng) => {
    const [items, containers] = rng.pick(CONTAINERS);
    const people = rng.int(2, 8);
    const each = rng.int(2, 9);
    const total = people * each;
    // Never empty: people and each are themselves such divisors.
    const per = rng.pick([2, 3, 4, 5, 6, 7, 8, 9, 10, 12].filter((d) => total % d === 0 && total / d >= 2));
    const packs = total / per;
    const name = rng.pick(NAMES);
    return easy(
      "sharing",
      `${name} has ${packs} ${containers} with ${per} ${items} in each and shares all the ${items} equally among ${people} friends. How many ${items} does each friend get?`,
      each,
      `${packs}*${per}/${people}`,
      2,
    );
  },
  // Ages: a sibling's age now, then some years later.
  (rng) => {
    const [a, b] = pickTwo(rng, NAMES);
    const age = rng.int(4, 15);
    const gap = rng.int(2, 9);
    const later = rng.int(2, 10);
    const older = rng.next() < 0.5;
    const other = older ? age + gap : Math.max(1, age - gap);
    const diff = Math.abs(other - age);
    return easy(
      "ages",
      `${a} is ${age} years old. ${b} is ${diff} years ${older ? "older" : "younger"} than ${a}. How old will ${b} be in ${later} years?`,
      other + later,
      `${age}${older ? "+" : "-"}${diff}+${later}`,
      2,
    );
  },
  // Distance from speed and time over two legs.
  (rng) => {
    const [who, unit] = rng.pick(TRAVELLERS);
    const v1 = rng.int(3, 20);
    const t1 = rng.int(1, 4);
    const v2 = rng.int(3, 20);
    const t2 = rng.int(1, 3);
    return easy(
      "distance",
      `${capitalize(who)} travels at ${v1} ${unit} per hour for ${hours(t1)}, then at ${v2} ${unit} per hour for ${hours(t2)}. How many ${unit} does it cover in total?`,
      v1 * t1 + v2 * t2,
      `${v1}*${t1}+${v2}*${t2}`,
      3,
    );
  },
  // Speed from distance and time.
  (rng) => {
    const [who, unit] = rng.pick(TRAVELLERS);
    const hours = rng.int(2, 5);
    const speed = rng.int(4, 20);
    return easy(
      "speed",
      `${capitalize(who)} covers ${hours * speed} ${unit} in ${hours} hours at a steady pace. How many ${unit} does it cover each hour?`,
      speed,
      `${hours * speed}/${hours}`,
      1,
    );
  },
  // Stock that changes twice.
  (rng) => {
    const name = rng.pick(NAMES);
    const start = rng.int(20, 60);
    const sold = rng.int(5, start - 5);
    const added = rng.int(5, 30);
    return easy(
      "stock",
      `A market stall run by ${name} starts the day with ${start} melons, sells ${sold} of them, and then receives a delivery of ${added} more. How many melons does the stall have now?`,
      start - sold + added,
      `${start}-${sold}+${added}`,
      2,
    );
  },
  // Rectangle: area minus a square cut-out.
  (rng) => {
    const length = rng.int(5, 12);
    const width = rng.int(3, 9);
    const side = rng.int(1, Math.min(width, 4));
    return easy(
      "garden",
      `A garden bed is a rectangle ${length} metres long and ${width} metres wide. A square patch ${side} metres on each side is paved over. How many square metres are left for planting?`,
      length * width - side * side,
      `${length}*${width}-${side}*${side}`,
      3,
    );
  },
];

/** One easy word problem (at most three steps, numbers at most 100). */
export function easyProblem(rng: Rng, id = "easy"): Problem {
  const template = rng.pick(EASY_TEMPLATES);
  return { id, kind: "easy", ...template(rng) };
}

// ---------------------------------------------------------------- hard problems

/** A uniformly random integer with exactly `digits` digits (the first is never 0). */
function randomDigits(rng: Rng, digits: number): bigint {
  let s = String(rng.int(1, 9));
  for (let i = 1; i < digits; i++) s += String(rng.int(0, 9));
  return BigInt(s);
}

/** Writes an integer with thousands separators, as a printed problem would. */
function grouped(x: bigint | number): string {
  const s = (typeof x === "bigint" ? (x < 0n ? -x : x) : Math.abs(x)).toString();
  const body = s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (typeof x === "bigint" ? x < 0n : x < 0) ? `-${body}` : body;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

type Point = [number, number];

/** Twice the triangle's area (the absolute cross product), exact. */
function doubleArea([a, b, c]: Point[]): bigint {
  const cross = BigInt(b[0] - a[0]) * BigInt(c[1] - a[1]) - BigInt(c[0] - a[0]) * BigInt(b[1] - a[1]);
  return cross < 0n ? -cross : cross;
}

function halfToDecimal(twice: bigint): string {
  return twice % 2n === 0n ? (twice / 2n).toString() : `${twice / 2n}.5`;
}

function randomTriangle(rng: Rng, span: number): Point[] {
  for (;;) {
    const pts: Point[] = [0, 1, 2].map(() => [rng.int(-span, span), rng.int(-span, span)]);
    // A degenerate triangle has area 0: a trick question, not a computation.
    if (doubleArea(pts) !== 0n) return pts;
  }
}

const pointText = ([x, y]: Point) => `(${x}, ${y})`;
const num = (x: number) => (x < 0 ? `(${x})` : String(x));
const areaExpression = ([a, b, c]: Point[]) =>
  `abs((${num(b[0])}-${num(a[0])})*(${num(c[1])}-${num(a[1])})-(${num(c[0])}-${num(a[0])})*(${num(b[1])}-${num(a[1])}))/2`;

const COMMITTEES = [
  ["club", "members", "a committee"],
  ["orchestra", "musicians", "a touring group"],
  ["school", "students", "a quiz team"],
  ["lab", "researchers", "a review panel"],
  ["league", "players", "an all-star squad"],
];

/** Hard templates, sized by difficulty d (1..5). */
const HARD_TEMPLATES: Array<(rng: Rng, d: number) => Omit<Problem, "id" | "kind">> = [
  // A long product: (4+d)-digit x (3+d)-digit.
  (rng, d) => {
    const a = randomDigits(rng, 4 + d);
    const b = randomDigits(rng, 3 + d);
    return {
      template: "product",
      text: `A warehouse holds ${grouped(a)} crates, and each crate contains ${grouped(b)} screws. How many screws are there in total? Give the exact number.`,
      answer: (a * b).toString(),
      expression: `${a}*${b}`,
    };
  },
  // A long sum of (3+d) numbers of (6+d) digits.
  (rng, d) => {
    const terms = Array.from({ length: 3 + d }, () => randomDigits(rng, rng.int(5 + d, 7 + d)));
    const total = terms.reduce((s, t) => s + t, 0n);
    return {
      template: "sum",
      text: `A web service logged these numbers of requests on ${terms.length} consecutive days: ${terms.map(grouped).join("; ")}. What is the exact total number of requests?`,
      answer: total.toString(),
      expression: terms.join("+"),
    };
  },
  // A modular power a^b mod m.
  (rng, d) => {
    const a = rng.int(3, 10 ** Math.min(d, 4));
    const b = rng.int(10 ** (d + 1), 10 ** (d + 2));
    const m = rng.int(10 ** (d + 1), 10 ** (d + 2));
    return {
      template: "modpow",
      text: `What is the remainder when ${a} raised to the power ${b} is divided by ${m}?`,
      answer: modPow(BigInt(a), BigInt(b), BigInt(m)).toString(),
      expression: `pow(${a}, ${b}, ${m})`,
    };
  },
  // A binomial coefficient C(n, k).
  (rng, d) => {
    const n = rng.int(20 + 5 * d, 30 + 5 * d);
    const k = rng.int(Math.floor(n / 4), Math.floor(n / 2));
    const [group, people, team] = rng.pick(COMMITTEES);
    return {
      template: "binomial",
      text: `A ${group} has ${n} ${people}. In how many different ways can ${team} of exactly ${k} of them be chosen (order does not matter)?`,
      answer: binomial(n, k).toString(),
      expression: `comb(${n}, ${k})`,
    };
  },
  // The area of a triangle from integer coordinates.
  (rng, d) => {
    const t = randomTriangle(rng, 10 ** (d + 1));
    return {
      template: "triangle",
      text: `A triangular plot of land has corners at the points ${t.map(pointText).join(", ")} (coordinates in metres). What is its exact area in square metres?`,
      answer: halfToDecimal(doubleArea(t)),
      expression: areaExpression(t),
    };
  },
  // The sum of two triangle areas: the multi-step geometry problem.
  (rng, d) => {
    const t1 = randomTriangle(rng, 10 ** d * 5);
    const t2 = randomTriangle(rng, 10 ** d * 5);
    return {
      template: "two-triangles",
      text:
        `Two triangular solar panels are laid out on a grid. The first has corners ${t1.map(pointText).join(", ")}; ` +
        `the second has corners ${t2.map(pointText).join(", ")} (coordinates in centimetres). ` +
        "What is their exact total area in square centimetres?",
      answer: halfToDecimal(doubleArea(t1) + doubleArea(t2)),
      expression: `${areaExpression(t1)}+${areaExpression(t2)}`,
    };
  },
];

/** One hard problem: an exact computation that needs a tool. `difficulty` 1..5 (default 3). */
export function hardProblem(rng: Rng, difficulty = DEFAULT_DIFFICULTY, id = "hard"): Problem {
  const d = Math.max(1, Math.min(5, Math.round(difficulty)));
  const template = rng.pick(HARD_TEMPLATES);
  return { id, kind: "hard", ...template(rng, d) };
}

/**
 * All problems of an episode. Each problem draws from its own generator seeded by (seed, round,
 * kind, index), so changing the number of easy problems does not change the hard ones.
 */
export function generateProblems(options: ProblemSetOptions): RoundProblems[] {
  const { seed, easyPerRound, hardPerRound, rounds } = options;
  const difficulty = options.difficulty ?? DEFAULT_DIFFICULTY;
  for (const [key, value] of Object.entries({ easyPerRound, hardPerRound, rounds })) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${key} must be a non-negative integer, got ${value}`);
  }
  return Array.from({ length: rounds }, (_, r) => ({
    round: r,
    easy: Array.from({ length: easyPerRound }, (_, i) =>
      easyProblem(new Rng(hashSeed("tooluse", seed, r, "easy", i)), `round${r + 1}/easy${i + 1}`),
    ),
    hard: Array.from({ length: hardPerRound }, (_, i) =>
      hardProblem(new Rng(hashSeed("tooluse", seed, r, "hard", i)), difficulty, `round${r + 1}/hard${i + 1}`),
    ),
  }));
}

function pickTwo<T>(rng: Rng, items: readonly T[]): [T, T] {
  const i = rng.int(0, items.length - 1);
  let j = rng.int(0, items.length - 2);
  if (j >= i) j++;
  return [items[i], items[j]];
}

function hours(n: number): string {
  return n === 1 ? "1 hour" : `${n} hours`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
