/**
 * Interval estimates and tests for proportions. Small samples are the norm here (64 items, 56
 * decisions), so score intervals and exact tests are used instead of normal approximations.
 */

/** The normal quantile for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

export interface Interval {
  rate: number;
  low: number;
  high: number;
}

/**
 * Wilson score interval for successes / n. With n = 0 nothing is known: rate 0, interval [0, 1].
 */
export function wilson(successes: number, n: number, z = Z95): Interval {
  if (n <= 0) return { rate: 0, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Pin the ends exactly at 0 and 1 where the formula meets them, so float noise never puts
  // the rate outside its own interval.
  const low = successes <= 0 ? 0 : Math.min(p, Math.max(0, center - half));
  const high = successes >= n ? 1 : Math.max(p, Math.min(1, center + half));
  return { rate: p, low, high };
}

export interface PairedDifference {
  /** p1 - p2 = (b - c) / n. */
  difference: number;
  low: number;
  high: number;
}

/**
 * Newcombe's hybrid score interval for a difference of paired proportions (Newcombe 1998,
 * Statistics in Medicine 17:2635, method 10), in the form given by Altman et al., "Statistics
 * with Confidence" (2000), and Fagerland, Lydersen & Laake (2017): Wilson intervals for both
 * margins, combined with the correlation phi of the paired table, where phi is shrunk towards 0
 * when the association is positive (ad - bc > n/2 becomes ad - bc - n/2; 0 <= ad - bc <= n/2
 * becomes 0) and left as is when it is negative.
 *
 * Table: a = both positive, b = first only, c = second only, d = neither; p1 = (a + b) / n,
 * p2 = (a + c) / n. With n = 0 the difference is 0 and the interval [-1, 1].
 */
export function newcombePaired(a: number, b: number, c: number, d: number, z = Z95): PairedDifference {
  const n = a + b + c + d;
  if (n <= 0) return { difference: 0, low: -1, high: 1 };
  const p1 = (a + b) / n;
  const p2 = (a + c) / n;
  const w1 = wilson(a + b, n, z);
  const w2 = wilson(a + c, n, z);
  const margins = (a + b) * (c + d) * (a + c) * (b + d);
  let phi = 0;
  if (margins > 0) {
    const cross = a * d - b * c;
    phi = cross > n / 2 ? (cross - n / 2) / Math.sqrt(margins) : cross < 0 ? cross / Math.sqrt(margins) : 0;
  }
  const dl1 = p1 - w1.low;
  const du1 = w1.high - p1;
  const dl2 = p2 - w2.low;
  const du2 = w2.high - p2;
  const difference = p1 - p2;
  // Clamp the radicands: they are sums of squares minus a correlated term and can dip below 0
  // by float noise only.
  const lowerSpan = Math.sqrt(Math.max(0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2));
  const upperSpan = Math.sqrt(Math.max(0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2));
  return {
    difference,
    low: Math.max(-1, Math.min(difference, difference - lowerSpan)),
    high: Math.min(1, Math.max(difference, difference + upperSpan)),
  };
}

/**
 * Exact two-sided McNemar test on the discordant pairs b and c: under the null each discordant
 * pair goes either way with probability 1/2, so p = min(1, 2 P[X <= min(b, c)]) with
 * X ~ Bin(b + c, 1/2). No discordant pairs gives p = 1.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n <= 0) return 1;
  const k = Math.min(b, c);
  // Log space: 0.5^n underflows past n = 1074.
  const logs: number[] = [];
  let log = n * Math.log(0.5);
  for (let i = 0; i <= k; i++) {
    if (i > 0) log += Math.log(n - i + 1) - Math.log(i);
    logs.push(log);
  }
  const top = logs.reduce((m, l) => Math.max(m, l), -Infinity);
  const tail = Math.exp(top) * logs.reduce((sum, l) => sum + Math.exp(l - top), 0);
  return Math.min(1, 2 * tail);
}

export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); null for fewer than 2 values. */
  sd: number | null;
  min: number;
  max: number;
}

/** Mean, sample sd, min and max; an empty list gives n 0 and zeros. */
export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { n: 0, mean: 0, sd: null, min: 0, max: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n < 2 ? null : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, min: Math.min(...values), max: Math.max(...values) };
}
