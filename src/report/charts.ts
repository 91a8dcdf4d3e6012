/**
 * Vega-Lite chart specs for the paper's figures, built from plain data series so the metrics
 * code (or a test) can feed them directly. Every function returns a complete top-level spec;
 * `render.ts` turns a spec into SVG and PNG.
 *
 * Conventions shared by all charts:
 * - rates and shares are fractions in [0, 1]; axes show them as percentages on a fixed 0-100%
 *   scale so charts of different runs compare at a glance;
 * - rounds are 1-based integers, drawn with one tick per round;
 * - every data mark carries an ARIA description ("<series>, round 2: 50.0% (95% CI ...)"),
 *   which vega writes into the SVG as `aria-label`: it makes the SVG self-describing and lets
 *   tests check values without parsing geometry. Lines and bands are `aria: false` so that one
 *   labelled symbol stands for one data point.
 */
import type { Config, TopLevelSpec } from "vega-lite";

/** One round of a rate with its 95% interval (all fractions in [0, 1]). */
export interface RatePoint {
  round: number;
  rate: number;
  low: number;
  high: number;
}

/** A named line of rates, e.g. "overall" or one model. */
export interface RateSeries {
  label: string;
  points: RatePoint[];
}

/** Collusion rates of one (threshold, payoff set) cell of the game grid. */
export interface CollusionSeries {
  threshold: number;
  /** Payoff set as displayed, e.g. "(1.2, 1.0, 0.8)". */
  payoff: string;
  points: RatePoint[];
}

/** P(collude in round fromRound + 1 | collusion in fromRound succeeded / failed), with its 95% interval. */
export interface ConditionalRow {
  threshold: number;
  fromRound: number;
  given: "succeeded" | "failed";
  rate: number;
  low: number;
  high: number;
  /** Decisions behind the estimate; rows with n = 0 are not drawn. */
  n: number;
}

export type TraceChoice = "collusive" | "independent" | "unparseable";

export interface GameTraceRound {
  round: number;
  /** One choice per agent, agent 1 first. */
  choices: TraceChoice[];
  /** Whether collusion reached the threshold this round. */
  success: boolean;
}

/** One game: every agent's choice in every round (the paper's Figure 5). */
export interface GameTrace {
  title: string;
  agents: number;
  rounds: GameTraceRound[];
}

/** Cumulative share (fraction in [0, 1]) of episodes that have tipped by each round. */
export interface TippingSeries {
  label: string;
  points: { round: number; share: number }[];
}

/** Overrides for any chart; unset fields keep the chart's defaults. */
export interface ChartOptions {
  title?: string;
  subtitle?: string;
  /** Width of the plot area (of each panel when faceted), in pixels. */
  width?: number;
  /** Height of the plot area (of each panel when faceted), in pixels. */
  height?: number;
}

/**
 * Font stack written into the SVG. DejaVu Sans comes first because it is what Linux machines
 * usually have and what the PNG renderer (resvg) is told to use; the rest let browsers fall back.
 */
export const CHART_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

/** Vega's "tableau10" scheme, spelled out so fixed colours (trace cells, bars) match the lines. Chosen to stay distinguishable under common colour-vision deficiencies. */
export const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const DEFAULT_WIDTH = 600;
const DEFAULT_HEIGHT = 320;

/** Shared look: one place to change fonts, sizes and colours for every chart. */
export const CHART_CONFIG: Config = {
  font: CHART_FONT,
  background: "white",
  padding: 12,
  view: { stroke: "#cccccc" },
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: "#555555", anchor: "start", offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titlePadding: 8, gridColor: "#e6e6e6", domainColor: "#888888", tickColor: "#888888" },
  // vega estimates text width without a canvas; a generous limit keeps legend labels from being cut.
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, titleLimit: 320, symbolStrokeWidth: 2.5 },
  header: { labelFontSize: 12, titleFontSize: 13 },
  range: { category: PALETTE },
};

const PERCENT_AXIS = { format: ".0%", tickCount: 5 } as const;

/** Vega expression for a fraction as "50.0%". */
const pct = (field: string) => `format(datum.${field}, '.1%')`;

function titleOf(defaultTitle: string, options: ChartOptions, defaultSubtitle?: string) {
  const subtitle = options.subtitle ?? defaultSubtitle;
  return subtitle ? { text: options.title ?? defaultTitle, subtitle } : { text: options.title ?? defaultTitle };
}

function roundsOf(rounds: number[]): number[] {
  if (rounds.length === 0) return [1];
  const lo = Math.min(...rounds);
  const hi = Math.max(...rounds);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Rounds on a linear x scale: integer ticks only, padded so end points are not cut by the frame. */
function roundAxis(rounds: number[]) {
  const ticks = roundsOf(rounds);
  return {
    field: "round",
    type: "quantitative" as const,
    title: "Round",
    scale: { domain: [ticks[0], ticks[ticks.length - 1]], nice: false, zero: false, padding: 14 },
    // tickMinStep 0: vega-lite's default of 1 makes vega thin the ticks to the ends once the
    // padding widens the domain past whole rounds (3 rounds would show only 1 and 3).
    axis: { values: ticks, format: "d", grid: false, tickMinStep: 0 },
  };
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(message);
}

/** Checks what would otherwise draw silently wrong: fractions outside [0, 1], bands not around the rate. */
function checkRates(where: string, points: RatePoint[]): void {
  for (const p of points) {
    check(Number.isInteger(p.round) && p.round >= 1, `${where}: round must be a positive integer, got ${p.round}`);
    for (const v of [p.rate, p.low, p.high]) check(Number.isFinite(v) && v >= 0 && v <= 1, `${where}: rates must be fractions in [0, 1], got ${v} at round ${p.round}`);
    check(p.low <= p.rate + 1e-12 && p.rate <= p.high + 1e-12, `${where}: interval [${p.low}, ${p.high}] does not contain the rate ${p.rate} at round ${p.round}`);
  }
}

/** Band + line + points over rounds; shared by the violation and collusion charts. */
function rateLayers(colorField: string, colorTitle: string | null, colorDomain: string[], yTitle: string, rounds: number[]) {
  const x = roundAxis(rounds);
  // The legend would otherwise take the band's faint opacity for its swatches.
  const color = { field: colorField, type: "nominal" as const, title: colorTitle, scale: { domain: colorDomain }, legend: { symbolOpacity: 1 } };
  // A band over a single round has no width; whiskers show the interval instead.
  const whiskers =
    distinct(rounds).length === 1
      ? [{ mark: { type: "rule" as const, strokeWidth: 2, opacity: 0.5, aria: false }, encoding: { x, y: { field: "low", type: "quantitative" as const }, y2: { field: "high" }, color } }]
      : [];
  return [
    ...whiskers,
    {
      mark: { type: "area" as const, opacity: 0.16, aria: false },
      encoding: { x, y: { field: "low", type: "quantitative" as const }, y2: { field: "high" }, color },
    },
    {
      mark: { type: "line" as const, strokeWidth: 2.2, aria: false },
      encoding: { x, y: { field: "rate", type: "quantitative" as const }, color },
    },
    {
      mark: { type: "point" as const, filled: true, size: 55, opacity: 1 },
      encoding: {
        x,
        y: { field: "rate", type: "quantitative" as const, title: yTitle, scale: { domain: [0, 1], nice: false }, axis: PERCENT_AXIS },
        color,
        description: { field: "description" },
      },
    },
  ];
}

/**
 * Role-play violation rate by round: one line per series with its 95% interval as a band.
 * Series keep their input order for colours and legend.
 */
export function violationChart(series: RateSeries[], options: ChartOptions = {}): TopLevelSpec {
  for (const s of series) checkRates(`violationChart "${s.label}"`, s.points);
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, ...p })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: titleOf("Role-play: violation rate by round", options, "Share of answers that chose the rule-violating option; band = 95% interval"),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    config: CHART_CONFIG,
    data: { values },
    transform: [
      {
        calculate: `datum.series + ', round ' + datum.round + ': violation rate ' + ${pct("rate")} + ' (95% CI ' + ${pct("low")} + ' to ' + ${pct("high")} + ')'`,
        as: "description",
      },
    ],
    layer: rateLayers(
      "series",
      null,
      series.map((s) => s.label),
      "Violation rate (% of answers)",
      values.map((v) => v.round),
    ),
  };
}

/**
 * Collusion rate by round: one colour per threshold t, 95% bands. With several payoff sets
 * the chart is faceted into one panel per set (dashes would be unreadable on top of bands);
 * with one, the set is named in the subtitle.
 */
export function collusionChart(groups: CollusionSeries[], options: ChartOptions = {}): TopLevelSpec {
  for (const g of groups) checkRates(`collusionChart t=${g.threshold} ${g.payoff}`, g.points);
  const thresholds = distinct(groups.map((g) => g.threshold)).sort((a, b) => a - b);
  const payoffs = distinct(groups.map((g) => g.payoff));
  const values = groups.flatMap((g) => g.points.map((p) => ({ threshold: `t = ${g.threshold}`, payoff: g.payoff, ...p })));
  const layers = rateLayers(
    "threshold",
    "Threshold",
    thresholds.map((t) => `t = ${t}`),
    "Collusion rate (% of decisions)",
    values.map((v) => v.round),
  );
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    data: { values },
    transform: [
      {
        calculate: `datum.threshold + ', payoffs ' + datum.payoff + ', round ' + datum.round + ': collusion rate ' + ${pct("rate")} + ' (95% CI ' + ${pct("low")} + ' to ' + ${pct("high")} + ')'`,
        as: "description",
      },
    ],
  };
  const bandNote = "band = 95% interval";
  if (payoffs.length <= 1) {
    return {
      ...base,
      title: titleOf("Collusion game: collusion rate by round", options, payoffs.length ? `Payoffs (high, normal, low) = ${payoffs[0]}; ${bandNote}` : bandNote),
      width: options.width ?? DEFAULT_WIDTH,
      height: options.height ?? DEFAULT_HEIGHT,
      layer: layers,
    };
  }
  const columns = Math.min(3, payoffs.length);
  return {
    ...base,
    title: titleOf("Collusion game: collusion rate by round", options, `One panel per payoff set; ${bandNote}`),
    facet: { field: "payoff", type: "nominal", title: "Payoffs (high, normal, low)", sort: payoffs },
    columns,
    spec: { width: options.width ?? 260, height: options.height ?? 200, layer: layers },
  };
}

/**
 * The paper's conditional-probability figure: for each threshold, paired bars
 * P(collude next round | collusion succeeded) and P(... | failed), with 95% error bars and the
 * number of decisions above each bar. Rows with n = 0 have no estimate and are left out; when
 * several starting rounds are present, one panel per round transition.
 */
export function conditionalChart(rows: ConditionalRow[], options: ChartOptions = {}): TopLevelSpec {
  for (const r of rows) {
    checkRates(`conditionalChart t=${r.threshold} ${r.given}`, [{ round: r.fromRound, rate: r.rate, low: r.low, high: r.high }]);
    check(Number.isInteger(r.n) && r.n >= 0, `conditionalChart: n must be a non-negative integer, got ${r.n}`);
  }
  const drawn = rows.filter((r) => r.n > 0);
  const thresholds = distinct(drawn.map((r) => r.threshold)).sort((a, b) => a - b);
  const transitions = distinct(drawn.map((r) => r.fromRound)).sort((a, b) => a - b);
  const step = (r: number) => `Round ${r} → ${r + 1}`;
  const values = drawn.map((r) => ({ ...r, t: `t = ${r.threshold}`, transition: step(r.fromRound) }));
  const given = ["succeeded", "failed"];
  const x = { field: "t", type: "nominal" as const, title: "Collusion threshold", sort: thresholds.map((t) => `t = ${t}`), axis: { labelAngle: 0 } };
  const xOffset = { field: "given", type: "nominal" as const, scale: { domain: given } };
  const y = { type: "quantitative" as const, scale: { domain: [0, 1], nice: false } };
  const layers = [
    {
      mark: { type: "bar" as const, opacity: 0.9 },
      encoding: {
        x,
        xOffset,
        y: { ...y, field: "rate", title: "P(collude next round) (%)", axis: PERCENT_AXIS },
        color: { field: "given", type: "nominal" as const, title: "Collusion this round", scale: { domain: given, range: [PALETTE[0], PALETTE[1]] } },
        description: { field: "description" },
      },
    },
    {
      mark: { type: "rule" as const, color: "#333333", strokeWidth: 1.4, aria: false },
      encoding: { x, xOffset, y: { ...y, field: "low" }, y2: { field: "high" } },
    },
    {
      mark: { type: "tick" as const, color: "#333333", thickness: 1.4, size: 8, aria: false },
      encoding: { x, xOffset, y: { ...y, field: "low" } },
    },
    {
      mark: { type: "tick" as const, color: "#333333", thickness: 1.4, size: 8, aria: false },
      encoding: { x, xOffset, y: { ...y, field: "high" } },
    },
    {
      mark: { type: "text" as const, dy: -8, fontSize: 10, color: "#444444", aria: false },
      encoding: { x, xOffset, y: { ...y, field: "high" }, text: { field: "nLabel" } },
    },
  ];
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    data: { values },
    transform: [
      { calculate: "'n=' + datum.n", as: "nLabel" },
      {
        calculate: `datum.t + ', round ' + datum.fromRound + ' to ' + (datum.fromRound + 1) + ', given collusion ' + datum.given + ': ' + ${pct("rate")} + ' (95% CI ' + ${pct("low")} + ' to ' + ${pct("high")} + ', n=' + datum.n + ')'`,
        as: "description",
      },
    ],
  };
  const defaultTitle = "Collusion next round, given this round's collusion succeeded or failed";
  const note = "Bars: P(collude next round); whiskers: 95% interval; n: decisions";
  if (transitions.length <= 1) {
    return {
      ...base,
      title: titleOf(defaultTitle, options, transitions.length ? `${step(transitions[0])}. ${note}` : note),
      width: options.width ?? DEFAULT_WIDTH,
      height: options.height ?? DEFAULT_HEIGHT,
      layer: layers,
    };
  }
  return {
    ...base,
    title: titleOf(defaultTitle, options, note),
    facet: { field: "transition", type: "nominal", title: null, sort: transitions.map(step) },
    columns: Math.min(3, transitions.length),
    spec: { width: options.width ?? 280, height: options.height ?? 240, layer: layers },
  };
}

const CHOICE_COLORS: Record<TraceChoice, string> = { collusive: PALETTE[1], independent: PALETTE[0], unparseable: "#bab0ac" };
const CHOICE_LETTERS: Record<TraceChoice, string> = { collusive: "C", independent: "I", unparseable: "?" };

/**
 * One game like the paper's Figure 5: agents as rows, rounds as columns, each cell coloured by
 * the agent's choice (and lettered, so it reads without colour), with the round's outcome
 * written above its column.
 */
export function gameTraceChart(trace: GameTrace, options: ChartOptions = {}): TopLevelSpec {
  check(Number.isInteger(trace.agents) && trace.agents >= 1, `gameTraceChart: agents must be a positive integer, got ${trace.agents}`);
  for (const r of trace.rounds) check(r.choices.length <= trace.agents, `gameTraceChart: round ${r.round} has ${r.choices.length} choices for ${trace.agents} agents`);
  const outcomeRow = "Outcome";
  // Numbered from 0, as the transcripts and the agents' own prompts number them.
  const agentRows = Array.from({ length: trace.agents }, (_, i) => `Agent ${i}`);
  const roundCols = trace.rounds.map((r) => `Round ${r.round}`);
  const cells = trace.rounds.flatMap((r) =>
    r.choices.map((choice, i) => ({
      kind: "cell",
      round: `Round ${r.round}`,
      row: agentRows[i],
      choice,
      letter: CHOICE_LETTERS[choice],
      description: `Agent ${i}, round ${r.round}: ${choice}`,
    })),
  );
  const outcomes = trace.rounds.map((r) => ({
    kind: "outcome",
    round: `Round ${r.round}`,
    row: outcomeRow,
    success: r.success,
    outcome: r.success ? "✓ succeeded" : "✗ failed",
    description: `Round ${r.round}: collusion ${r.success ? "succeeded" : "failed"}`,
  }));
  const x = { field: "round", type: "ordinal" as const, title: null, sort: roundCols, axis: { orient: "bottom" as const, labelAngle: 0, domain: false, ticks: false, labelPadding: 6 } };
  const y = { field: "row", type: "ordinal" as const, title: null, sort: [outcomeRow, ...agentRows], axis: { domain: false, ticks: false, labelPadding: 6 } };
  const choices = Object.keys(CHOICE_COLORS) as TraceChoice[];
  const collusive = trace.rounds.map((r) => r.choices.filter((c) => c === "collusive").length);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: titleOf(
      trace.title,
      options,
      `${trace.agents} agents; colluders per round: ${collusive.join(", ") || "none"}`,
    ),
    // Sized per cell, so a 3-round game is not stretched to the width of a line chart.
    width: options.width ?? { step: 110 },
    height: options.height ?? { step: 30 },
    config: { ...CHART_CONFIG, view: { stroke: null } },
    data: { values: [...cells, ...outcomes] },
    encoding: { x, y },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'cell'" }],
        mark: { type: "rect" as const, stroke: "white", strokeWidth: 2 },
        encoding: {
          color: {
            field: "choice",
            type: "nominal" as const,
            title: "Choice",
            scale: { domain: choices, range: choices.map((c) => CHOICE_COLORS[c]) },
            // The legend names the cell letters too, so the grid reads without colour.
            legend: { symbolSize: 180, labelExpr: `datum.label + ' (' + ${JSON.stringify(CHOICE_LETTERS)}[datum.label] + ')'` },
          },
          description: { field: "description" },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'cell'" }],
        mark: { type: "text" as const, fontSize: 12, fontWeight: "bold" as const, color: "white", aria: false },
        encoding: { text: { field: "letter" } },
      },
      {
        transform: [{ filter: "datum.kind === 'outcome'" }],
        mark: { type: "text" as const, fontSize: 12, fontWeight: "bold" as const },
        encoding: {
          text: { field: "outcome" },
          color: { condition: { test: "datum.success", value: "#2f7d32" }, value: "#c62828" },
          description: { field: "description" },
        },
      },
    ],
  };
}

/**
 * Share of episodes that have tipped by each round, as step lines: the share holds from a
 * round until the next, which is how a cumulative count behaves.
 */
export function tippingChart(series: TippingSeries[], options: ChartOptions = {}): TopLevelSpec {
  for (const s of series) {
    for (const p of s.points) {
      check(Number.isInteger(p.round) && p.round >= 1, `tippingChart "${s.label}": round must be a positive integer, got ${p.round}`);
      check(Number.isFinite(p.share) && p.share >= 0 && p.share <= 1, `tippingChart "${s.label}": share must be a fraction in [0, 1], got ${p.share}`);
    }
  }
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, ...p })));
  const x = roundAxis(values.map((v) => v.round));
  const color = { field: "series", type: "nominal" as const, title: null, scale: { domain: series.map((s) => s.label) } };
  const y = { field: "share", type: "quantitative" as const, title: "Episodes tipped (%)", scale: { domain: [0, 1], nice: false }, axis: PERCENT_AXIS };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: titleOf("Alignment tipping: share of episodes tipped by each round", options, "Cumulative: an episode stays counted from the round it tips"),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    config: CHART_CONFIG,
    data: { values },
    transform: [{ calculate: `datum.series + ', round ' + datum.round + ': ' + ${pct("share")} + ' tipped'`, as: "description" }],
    layer: [
      { mark: { type: "line" as const, interpolate: "step-after" as const, strokeWidth: 2.2, aria: false }, encoding: { x, y, color } },
      { mark: { type: "point" as const, filled: true, size: 50, opacity: 1 }, encoding: { x, y, color, description: { field: "description" } } },
    ],
  };
}

/**
 * Tool use by round: one line per measure (tool-use rate, hard-problem accuracy, ...) with its
 * 95% interval as a band, so the fall of accuracy can be read against the fall of tool use.
 */
export function toolUseChart(series: RateSeries[], options: ChartOptions = {}): TopLevelSpec {
  return rateSeriesChart("toolUseChart", "Tool use: calculator use and accuracy by round", "problems", series, options);
}

/**
 * A testbed's measures by round, for a testbed without charts of its own: one line per measure
 * and group of its axes, with its 95% interval as a band.
 */
export function measuresChart(title: string, series: RateSeries[], options: ChartOptions = {}): TopLevelSpec {
  return rateSeriesChart("measuresChart", title, "decisions", series, options);
}

/** Named rates by round, one line and 95% band per series; `of` names what the rates are shares of. */
function rateSeriesChart(name: string, title: string, of: string, series: RateSeries[], options: ChartOptions): TopLevelSpec {
  for (const s of series) checkRates(`${name} "${s.label}"`, s.points);
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, ...p })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: titleOf(title, options, `Share of ${of}; band = 95% interval`),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? DEFAULT_HEIGHT,
    config: CHART_CONFIG,
    data: { values },
    transform: [
      { calculate: `datum.series + ', round ' + datum.round + ': ' + ${pct("rate")} + ' (95% CI ' + ${pct("low")} + ' to ' + ${pct("high")} + ')'`, as: "description" },
    ],
    layer: rateLayers(
      "series",
      null,
      series.map((s) => s.label),
      `% of ${of}`,
      values.map((v) => v.round),
    ),
  };
}
