/**
 * What a report is made of, and what a testbed gives to it: sections of text, tables and
 * charts (Markdown and HTML are rendered from the same sections), tidy CSV files, JSON and a
 * plain-text table for `atp run`. Each testbed's folder builds its own pieces from these; the
 * report (src/report/report.ts) puts the registered testbeds' pieces in order.
 */
import type { TopLevelSpec } from "vega-lite";
import { percent } from "../core/format.js";
import type { TranscriptEpisode } from "../transcript/types.js";
import type * as chartSpecs from "./charts.js";
import type { TippingSeries } from "./charts.js";
import type { LoadedRun, TestbedEpisodes } from "./load.js";
import type { Played } from "../metrics/rates.js";
import type { RunPlan } from "../testbeds/registry.js";

export interface Table {
  header: string[];
  rows: string[][];
  /** Leading columns that hold labels (left-aligned); the rest are numbers. */
  labels: number;
}

export type Block = { kind: "text"; text: string } | { kind: "table"; table: Table } | { kind: "chart"; chart: string };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

/** A chart of the report: written as charts/<name>.svg and .png, inlined in the HTML. */
export interface ReportChart {
  name: string;
  /** Alt text and caption. */
  title: string;
  spec: TopLevelSpec;
}

export const text = (t: string): Block => ({ kind: "text", text: t });
export const table = (header: string[], rows: string[][], labels = 1): Block => ({ kind: "table", table: { header, rows, labels } });
export const chart = (name: string): Block => ({ kind: "chart", chart: name });

export const DASH = "–";

/** A fraction as a percentage with two decimals (the paper's tables). */
export const pct = (x: number) => percent(x);
export const ci = (low: number, high: number) => `${pct(low)}${DASH}${pct(high)}`;
export const rateCell = (r: { rate: number; low: number; high: number }, n: number) => (n > 0 ? `${pct(r.rate)} (${ci(r.low, r.high)})` : DASH);
/** Capital and other plain quantities: three decimals are plenty for factors around 1. */
export const num = (x: number) => x.toFixed(3);
export const roundHeaders = (n: number) => Array.from({ length: n }, (_, i) => `Round ${i + 1}`);
export const distinct = <T>(values: T[]): T[] => [...new Set(values)];
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Escapes text for HTML content and quoted attributes. Every string the page shows goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

// ---------------------------------------------------------------- CSV

export type CsvValue = string | number | boolean | null | undefined;

function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** The columns of a rate per round: `deviant` counts hits, `missing` decisions lost to failed or unfinished episodes (not in `total`). */
export const rateFields = ["round", "deviant", "unparseable", "missing", "total", "rate", "ci_low", "ci_high"];
export const rateValues = (x: { round: number; deviant: number; unparseable: number; failed: number; total: number; rate: number; low: number; high: number }): CsvValue[] => [
  x.round,
  x.deviant,
  x.unparseable,
  x.failed,
  x.total,
  x.rate,
  x.low,
  x.high,
];
/**
 * The group columns of the files the testbeds share (tipping, repeats): threshold and payoff
 * set, as games are grouped; a testbed without such groups leaves them empty.
 */
export const groupFields = ["threshold", "high", "normal", "low", "incentive_ratio"];
export const NO_GROUP: CsvValue[] = groupFields.map(() => null);

// ---------------------------------------------------------------- what a testbed gives

/**
 * Where a testbed's piece goes among the pieces every testbed shares: `main` before the tipping
 * section, `afterTipping` between it and the repeats, `afterRepeats` at the end.
 */
export type ReportPlace = "main" | "afterTipping" | "afterRepeats";
export const REPORT_PLACES: readonly ReportPlace[] = ["main", "afterTipping", "afterRepeats"];

export type Placed<T> = Partial<Record<ReportPlace, T[]>>;

/** One testbed's finished episodes, as the CLI's table reads them. */
export interface FinishedEpisode<P> {
  plan: P;
  transcript: TranscriptEpisode;
}

/** The episodes of testbed `id` in a run; null when the run does not play it. */
export function testbedEpisodes(r: LoadedRun, id: string): TestbedEpisodes | null {
  return r.testbeds.find((t) => t.testbed.id === id) ?? null;
}

/** A testbed's planned and finished episodes in the run, typed as its own; none when the run does not play it. */
export function episodesOf<P extends RunPlan>(r: LoadedRun, id: P["suite"]): { plans: P[]; played: Played<P>[] } {
  const mine = testbedEpisodes(r, id);
  return { plans: (mine?.plans ?? []) as P[], played: (mine?.played ?? []) as Played<P>[] };
}

/** A testbed's part of the shared tipping section. */
export interface TippingPart {
  tables: Block[];
  series: TippingSeries[];
  /** Rows of tipping.csv after its `suite` column: group columns, round, tipped at and by the round, complete, share, interval. */
  csv: CsvValue[][];
}

/** A testbed's part of the shared section on repeats. */
export interface RepeatsPart {
  tables: Block[];
  /** Rows of repeats.csv after its `suite` column. */
  csv: CsvValue[][];
  /** Rows of repeats_by_repeat.csv after its `suite` column. */
  perRepeat: CsvValue[][];
}

/**
 * The chart builders (src/report/charts.ts), handed to a testbed's `charts` by the report: `atp
 * run` loads every testbed and prints tables, and should not load the charts with them.
 */
export type ChartSpecs = typeof chartSpecs;

/** What a testbed shows of a run; every piece is optional, and one it leaves out is not shown. */
export interface TestbedReport<P> {
  /** Its line of the Run table: what it played, when the run plays it. */
  settings?(r: LoadedRun): [string, string] | null;
  sections?(r: LoadedRun, charts: ReportChart[]): Placed<Section>;
  charts?(r: LoadedRun, specs: ChartSpecs): Placed<ReportChart>;
  /** CSV files by name. */
  csv?(r: LoadedRun): Placed<[string, string]>;
  tipping?(r: LoadedRun): TippingPart | null;
  repeats?(r: LoadedRun): RepeatsPart | null;
  /** Fields of report.json beside the run summary. */
  json?(r: LoadedRun): Record<string, unknown>;
  /** HTML sections after the tables (conversations to read), whole `<section>` elements. */
  html?(r: LoadedRun): string[];
  /** The plain-text table `atp run` prints of the testbed's finished episodes; asked only when there are some. */
  table?(finished: FinishedEpisode<P>[]): string;
}
