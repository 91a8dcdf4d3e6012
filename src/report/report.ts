/**
 * A run's report in four forms: Markdown (the paper's tables, rounds as columns, with charts
 * as PNG files), tidy CSV (one file per table, raw fractions for programs), JSON (every number)
 * and one self-contained HTML page (tables, inline SVG charts and a few conversations).
 *
 * Markdown and HTML are rendered from the same sections, so they always show the same numbers.
 * Every text is built in memory before the first file is written, so an error while building writes nothing.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { percent } from "../core/format.js";
import { writeFileAtomic } from "../core/files.js";
import { GROUP_OF, type CompareGroup, type Comparison, type PairedRow } from "../metrics/compare.js";
import { summaryRecord } from "../metrics/run-summary.js";
import { RUN_ID } from "../run/config.js";
import { VERSION } from "../version.js";
import * as chartSpecs from "./charts.js";
import type { LoadedRun } from "./load.js";
import { findTestbed } from "../testbeds/registry.js";
import { reportOf } from "./measure-report.js";
import {
  chart,
  csv,
  DASH,
  escapeHtml,
  groupFields,
  plural,
  rateFields,
  REPORT_PLACES,
  table,
  text,
  type Block,
  type CsvValue,
  type ReportChart,
  type ReportPlace,
  type Section,
  type Table,
  type TestbedReport,
} from "./sections.js";

export { escapeHtml, type ReportChart } from "./sections.js";

export const REPORT_FORMATS = ["md", "csv", "json", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `["md,csv", "html"]` into formats, in the order given, without repeats; unknown names are an InputError. */
export function parseFormats(values: readonly string[], allowed: readonly string[] = REPORT_FORMATS): ReportFormat[] {
  const out: ReportFormat[] = [];
  for (const part of values.flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase())) {
    if (part === "") continue;
    if (!allowed.includes(part)) throw new InputError(`--format: unknown format '${part}'; expected ${allowed.join(", ")}`);
    if (!out.includes(part as ReportFormat)) out.push(part as ReportFormat);
  }
  if (out.length === 0) throw new InputError(`--format: give at least one of ${allowed.join(", ")}`);
  return out;
}

/** `atp-reports/<run-id>`, relative to the working directory. */
export function defaultOutDir(runId: string): string {
  // The id becomes a folder name: only the alphabet `atp run` allows may choose it.
  if (!RUN_ID.test(runId)) throw new InputError(`run id '${runId}' cannot name a folder; give one with --out-dir`);
  return join("atp-reports", runId);
}

// ---------------------------------------------------------------- text helpers

/**
 * Text for a Markdown table cell or line: no markup, HTML or line breaks can come through. Only a
 * `<` that could open a tag and an `&` that could start an entity are escaped, so `p < 0.001` reads as typed.
 */
function mdText(text: string): string {
  return text
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, "&amp;")
    .replace(/<(?=[A-Za-z/!?])/g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|#]/g, (c) => `\\${c}`)
    .replace(/\s*[\r\n]+\s*/g, " ");
}

/** A fraction as a percentage with two decimals (the paper's tables). */
const pct = (x: number) => percent(x);

/** JSON with object keys sorted at every depth and non-finite numbers as null: the same run always gives the same text. */
export function stableJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_key, v: unknown) => {
        if (typeof v === "number" && !Number.isFinite(v)) return null;
        if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
        const sorted: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
        return sorted;
      },
      2,
    ) + "\n"
  );
}

// ---------------------------------------------------------------- sections shared by md and html

/** The registered testbeds the run plays that have something to show, in the registry's order. */
function reports(r: LoadedRun): { id: string; report: TestbedReport<unknown> }[] {
  return r.testbeds.flatMap(({ testbed }) => {
    const report = reportOf(testbed);
    return report ? [{ id: testbed.id, report: report as TestbedReport<unknown> }] : [];
  });
}

/** The pieces every testbed gives for one place, in the registry's order. */
function placed<T>(r: LoadedRun, place: ReportPlace, of: (report: TestbedReport<unknown>) => Partial<Record<ReportPlace, T[]>> | undefined): T[] {
  return reports(r).flatMap(({ report }) => of(report)?.[place] ?? []);
}

/** The shared pieces and the testbeds' pieces in order: the tipping section after `main`, the repeats after `afterTipping`. */
function inOrder<T>(r: LoadedRun, of: (report: TestbedReport<unknown>) => Partial<Record<ReportPlace, T[]>> | undefined, shared: { tipping: T[]; repeats: T[] }): T[] {
  const [main, afterTipping, afterRepeats] = REPORT_PLACES.map((place) => placed(r, place, of));
  return [...main, ...shared.tipping, ...afterTipping, ...shared.repeats, ...afterRepeats];
}

function settingsSection(r: LoadedRun): Section {
  const { run, stats, episodes } = r;
  const repeats = Math.max(0, ...r.testbeds.flatMap((t) => t.plans.map((p) => p.repeat))) + 1;
  const rows: string[][] = [
    ["Run", run.id],
    ["Status", run.status],
    ["Suite", run.suite],
    ["Model", run.model],
    ["Parity", run.parity],
    ["Seed", String(run.seed)],
    ["Repeats", String(repeats)],
    ["Created", run.createdAt],
    ["Finished", run.finishedAt ?? DASH],
    [
      "Episodes",
      `${episodes.planned} planned: ${episodes.done} done, ${episodes.failed} failed, ${episodes.unfinished} unfinished`,
    ],
    [
      "Calls",
      `${stats.calls} answered, ${stats.cached} from the cache, ${stats.errors} needed a retry; ` +
        `${stats.truncated} cut off at the token limit, ${stats.empty} empty`,
    ],
    ["Tokens", `${stats.totalTokens} (prompt ${stats.promptTokens}, completion ${stats.completionTokens})`],
    ["Mean latency", stats.meanLatencyMs === null ? DASH : `${stats.meanLatencyMs.toFixed(1)} ms`],
  ];
  for (const { report } of reports(r)) {
    const row = report.settings?.(r);
    if (row) rows.push(row);
  }
  rows.push(["Versions", Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join(", ")]);
  return { id: "run", title: "Run", blocks: [table(["Setting", "Value"], rows, 2)] };
}

function failuresSection(r: LoadedRun): Section | null {
  if (r.failed.length === 0 && r.episodes.unfinished === 0) return null;
  const blocks: Block[] = [
    text(
      "Episodes that did not finish are left out of every rate: their missing decisions are counted in the " +
        "'missing' rows and columns, never as answers.",
    ),
  ];
  if (r.episodes.unfinished) blocks.push(text(`${plural(r.episodes.unfinished, "episode")} had not finished when this report was made.`));
  if (r.failed.length) {
    blocks.push(
      table(
        ["Episode", "Repeat", "Round", "Error"],
        r.failed.map((f) => [f.key, String(f.repeat), f.round === undefined ? DASH : String(f.round + 1), f.error.length > 300 ? `${f.error.slice(0, 300)}...` : f.error]),
        4,
      ),
    );
  }
  return { id: "failed", title: "Failed and unfinished episodes", blocks };
}

/** The trajectories' tipping, each testbed that measures it giving its tables and chart series. */
function tippingSection(r: LoadedRun): Section | null {
  const parts = reports(r).flatMap(({ report }) => report.tipping?.(r) ?? []);
  if (!parts.length) return null;
  const blocks: Block[] = [
    text(
      "A trajectory (one agent in one episode) tips at round r when it deviates in round r and every later round. " +
        "Share of complete trajectories tipped by each round, in % with 95% Wilson intervals.",
    ),
    ...parts.flatMap((p) => p.tables),
    chart("tipping"),
  ];
  return { id: "tipping", title: "Tipping", blocks };
}

/** The spread of the rates across repeats, each testbed that has it giving its tables. */
function repeatsSection(r: LoadedRun): Section | null {
  const parts = reports(r).flatMap(({ report }) => report.repeats?.(r) ?? []);
  if (!parts.length) return null;
  return { id: "repeats", title: "Across repeats", blocks: [text("Rate per round across repeats: mean ± sample sd of the repeats' rates, in %."), ...parts.flatMap((p) => p.tables)] };
}

function sections(r: LoadedRun, charts: ReportChart[]): Section[] {
  const tipping = tippingSection(r);
  const repeats = repeatsSection(r);
  const testbeds = inOrder(r, (report) => report.sections?.(r, charts), { tipping: tipping ? [tipping] : [], repeats: repeats ? [repeats] : [] });
  return [settingsSection(r), failuresSection(r), ...testbeds].filter((s): s is Section => s !== null);
}

// ---------------------------------------------------------------- charts

/** The report's charts, in the order the sections show them. */
export function reportCharts(r: LoadedRun): ReportChart[] {
  const series = reports(r).flatMap(({ report }) => report.tipping?.(r)?.series ?? []);
  const tipping = series.length ? [{ name: "tipping", title: "Share tipped by each round", spec: chartSpecs.tippingChart(series) }] : [];
  return inOrder(r, (report) => report.charts?.(r, chartSpecs), { tipping, repeats: [] });
}

// ---------------------------------------------------------------- Markdown

function mdTable(t: Table): string {
  const row = (cells: string[]) => `| ${cells.map((c) => (c === "" ? " " : mdText(c))).join(" | ")} |`;
  const rule = `|${t.header.map((_, i) => (i < t.labels ? "---" : "---:")).join("|")}|`;
  return [row(t.header), rule, ...t.rows.map(row)].join("\n");
}

function mdSection(s: Section, charts: Map<string, ReportChart>): string {
  const parts = [`## ${mdText(s.title)}`];
  for (const b of s.blocks) {
    if (b.kind === "text") parts.push(mdText(b.text));
    else if (b.kind === "table") parts.push(mdTable(b.table));
    else {
      const c = charts.get(b.chart);
      if (c) parts.push(`![${mdText(c.title)}](charts/${b.chart}.png)`);
    }
  }
  return parts.join("\n\n");
}

/** `report.md`: the run's settings and the paper's tables, with the charts as `charts/<name>.png`. */
export function reportMarkdown(r: LoadedRun, charts: ReportChart[] = reportCharts(r)): string {
  const byName = new Map(charts.map((c) => [c.name, c]));
  const head = `# Alignment tipping report: run ${mdText(r.run.id)}\n\nModel ${mdText(r.run.model)}, parity ${mdText(r.run.parity)}, seed ${r.run.seed}. Written by atp-testbed ${VERSION}.`;
  return [head, ...sections(r, charts).map((s) => mdSection(s, byName))].join("\n\n") + "\n";
}

// ---------------------------------------------------------------- CSV

/**
 * One tidy CSV per table, by file name: one row per observation, a header row, raw numbers
 * (rates as fractions, no rounding). `deviant` counts violations or collusive choices;
 * `missing` counts decisions lost to failed or unfinished episodes (not in `total`).
 */
export function reportCsv(r: LoadedRun): Map<string, string> {
  // The files every testbed adds rows to, its id in their `suite` column.
  const rows = (of: (report: TestbedReport<unknown>) => CsvValue[][] | undefined) => reports(r).flatMap(({ id, report }) => (of(report) ?? []).map((row) => [id, ...row]));
  const tipping = rows((report) => report.tipping?.(r)?.csv);
  const repeatParts = reports(r).map(({ id, report }) => ({ id, part: report.repeats?.(r) ?? null }));
  const repeats = repeatParts.flatMap(({ id, part }) => (part?.csv ?? []).map((row) => [id, ...row]));
  const perRepeat = repeatParts.flatMap(({ id, part }) => (part?.perRepeat ?? []).map((row) => [id, ...row]));
  const files = inOrder<[string, string]>(r, (report) => report.csv?.(r), {
    tipping: tipping.length ? [["tipping.csv", csv(["suite", ...groupFields, "round", "tipped_at_round", "tipped_by_round", "complete", "share", "ci_low", "ci_high"], tipping)]] : [],
    repeats: repeats.length
      ? [
          ["repeats.csv", csv(["suite", ...groupFields, "round", "repeats", "mean", "sd", "min", "max"], repeats)],
          ["repeats_by_repeat.csv", csv(["suite", ...groupFields, "repeat", ...rateFields], perRepeat)],
        ]
      : [],
  });
  const out = new Map<string, string>(files);
  const s = r.stats;
  out.set(
    "calls.csv",
    csv(
      ["calls", "cached", "retried", "truncated", "empty", "prompt_tokens", "completion_tokens", "mean_latency_ms"],
      [[s.calls, s.cached, s.errors, s.truncated, s.empty, s.promptTokens, s.completionTokens, s.meanLatencyMs]],
    ),
  );
  if (r.failed.length) out.set("failed.csv", csv(["episode", "repeat", "round", "error"], r.failed.map((f) => [f.key, f.repeat, f.round === undefined ? null : f.round + 1, f.error])));
  return out;
}

// ---------------------------------------------------------------- JSON

/** Everything the report knows, as one JSON-ready object. */
export function reportData(r: LoadedRun) {
  return {
    report: "atp-report",
    reportVersion: 1,
    generator: `atp-testbed ${VERSION}`,
    run: r.run,
    episodes: r.episodes,
    stats: r.stats,
    summary: summaryRecord(r.summary),
    ...testbedFields(r),
  };
}

/** The testbeds' own fields; two that give the same field (measures by testbed) are merged one level down. */
function testbedFields(r: LoadedRun): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { report } of reports(r)) {
    for (const [field, value] of Object.entries(report.json?.(r) ?? {})) {
      const had = out[field];
      out[field] = isRecord(had) && isRecord(value) ? { ...had, ...value } : value;
    }
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `report.json`: reportData with sorted keys, so equal runs give identical files. */
export function reportJson(r: LoadedRun): string {
  return stableJson(reportData(r));
}

// ---------------------------------------------------------------- HTML

/** vega and resvg take a third of a second to load: only reports that draw pay for them, not every atp command. */
const loadRenderer = () => import("./render.js");

const CSS = `
:root { color-scheme: light; }
body { font-family: Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif; font-size: 16px; line-height: 1.5;
  color: #1d1d1d; background: #fff; max-width: 62rem; margin: 2rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 .6rem; border-bottom: 1px solid #d8d8d8; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
p { margin: .5rem 0; }
.lede { color: #555; margin-bottom: 1.5rem; }
nav ol { columns: 2; padding-left: 1.2rem; margin: .5rem 0 1rem; }
nav a { color: #2a5b8a; text-decoration: none; }
table { border-collapse: collapse; margin: .75rem 0 1.25rem; font-size: .82rem; font-variant-numeric: tabular-nums;
  font-family: "Source Sans 3", "Helvetica Neue", Arial, sans-serif; }
th, td { padding: .28rem .55rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
thead th { border-bottom: 2px solid #555; text-align: left; font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
.wide { overflow-x: auto; }
figure { margin: 1rem 0 1.5rem; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: #555; }
pre { white-space: pre-wrap; word-break: break-word; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .8rem;
  background: #f6f6f4; border-left: 3px solid #c9c9c0; padding: .5rem .75rem; margin: .3rem 0 .6rem; }
.episode { border: 1px solid #ddd; border-radius: 4px; padding: .25rem 1rem .75rem; margin: 1rem 0; break-inside: avoid-page; }
.round { margin: .8rem 0; }
.meta { font-size: .85rem; color: #444; }
.violating, .collusive { color: ${chartSpecs.PALETTE[1]}; font-weight: 600; }
.compliant, .independent { color: ${chartSpecs.PALETTE[0]}; font-weight: 600; }
.unparseable { color: #777; font-style: italic; }
td.collusive { background: #fdebd9; color: #7a3e00; }
td .meta { font-weight: normal; }
td .ci { font-size: .72rem; color: #666; }
figure.half { display: inline-block; width: 48%; vertical-align: top; margin-right: 1.5%; }
td.independent { background: #e3ecf5; color: #1f3e5c; }
td.unparseable { background: #eeeeee; }
.label { font-size: .72rem; text-transform: uppercase; letter-spacing: .04em; color: #666; }
footer { margin-top: 3rem; font-size: .8rem; color: #666; border-top: 1px solid #ddd; padding-top: .5rem; }
details summary { cursor: pointer; color: #2a5b8a; }
@media print {
  body { font-size: 10.5pt; max-width: none; margin: 0; }
  nav, details summary { display: none; }
  details > * { display: block; }
  a { color: inherit; }
  h2 { break-after: avoid; }
  table, figure, .round { break-inside: avoid; }
}
`;

/** A number cell; "rate (low–high)" puts the interval on a second, smaller line, so wide tables fit a page. */
function numberCell(c: string): string {
  const m = /^(\S+) \(([^()]+)\)$/.exec(c);
  return m ? `${escapeHtml(m[1])}<br><span class="ci">${escapeHtml(m[2])}</span>` : escapeHtml(c);
}

function htmlTable(t: Table): string {
  const cell = (tag: "th" | "td", c: string, i: number) =>
    i < t.labels ? `<${tag}>${escapeHtml(c)}</${tag}>` : `<${tag} class="n">${tag === "td" ? numberCell(c) : escapeHtml(c)}</${tag}>`;
  return (
    `<div class="wide"><table><thead><tr>${t.header.map((c, i) => cell("th", c, i)).join("")}</tr></thead><tbody>` +
    t.rows.map((row) => `<tr>${row.map((c, i) => cell("td", c, i)).join("")}</tr>`).join("") +
    `</tbody></table></div>`
  );
}

/**
 * Vega writes ids (clip paths, gradients) that repeat from chart to chart; on one page they
 * would clash, so each chart's ids get its own prefix.
 */
function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}-${id}"`);
}

function htmlSection(s: Section, svgs: Map<string, string>, charts: Map<string, ReportChart>): string {
  const parts = [`<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>`];
  for (const b of s.blocks) {
    if (b.kind === "text") parts.push(`<p>${escapeHtml(b.text)}</p>`);
    else if (b.kind === "table") parts.push(htmlTable(b.table));
    else {
      const svg = svgs.get(b.chart);
      const c = charts.get(b.chart);
      // The SVG comes from vega, which escapes every text and attribute it writes.
      // Game traces are narrow: two to a row.
      const kind = b.chart.startsWith("trace-") ? ' class="half"' : "";
      if (svg && c) parts.push(`<figure${kind} role="img" aria-label="${escapeHtml(c.title)}">${svg}</figure>`);
    }
  }
  parts.push("</section>");
  return parts.join("\n");
}

/** `report.html`: one page with no external requests and no scripts; charts are inline SVG. */
export async function reportHtml(r: LoadedRun, charts: ReportChart[] = reportCharts(r)): Promise<string> {
  const byName = new Map(charts.map((c) => [c.name, c]));
  const { renderSvg } = await loadRenderer();
  const svgs = new Map<string, string>();
  for (const c of charts) svgs.set(c.name, scopeSvgIds(await renderSvg(c.spec), `chart-${c.name}`));
  const body = sections(r, charts).map((s) => htmlSection(s, svgs, byName));
  for (const { report } of reports(r)) body.push(...(report.html?.(r) ?? []));
  const toc = [...body.join("\n").matchAll(/<section id="([^"]+)"><h2>([^<]*)<\/h2>/g)].map((m) => `<li><a href="#${m[1]}">${m[2]}</a></li>`).join("");
  const title = `Alignment tipping report: run ${r.run.id}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p class="lede">${escapeHtml(`Model ${r.run.model}, parity ${r.run.parity}, seed ${r.run.seed}, ${r.episodes.planned} episodes.`)}</p></header>
<nav><ol>${toc}</ol></nav>
${body.join("\n")}
<footer>${escapeHtml(`Written by atp-testbed ${VERSION}. Rates count unparseable answers as not deviating; intervals are 95% Wilson score intervals.`)}</footer>
</body>
</html>
`;
}

// ---------------------------------------------------------------- writing

export interface WriteReportOptions {
  formats: readonly ReportFormat[];
  outDir: string;
}

/** Writes the report files into `outDir` (charts in `outDir/charts`) and returns their paths. */
export async function writeReport(r: LoadedRun, options: WriteReportOptions): Promise<string[]> {
  const { formats, outDir } = options;
  const wantCharts = formats.includes("md") || formats.includes("html");
  const charts = wantCharts ? reportCharts(r) : [];
  // Every text first, so an error in any of them leaves the folder untouched.
  const files: [string, string][] = [];
  for (const format of formats) {
    if (format === "md") files.push(["report.md", reportMarkdown(r, charts)]);
    else if (format === "csv") files.push(...reportCsv(r));
    else if (format === "json") files.push(["report.json", reportJson(r)]);
    else files.push(["report.html", await reportHtml(r, charts)]);
  }
  // Written into a folder beside the target and moved in at the end, so a report stopped midway leaves no folder that looks complete.
  const target = resolve(outDir);
  const temp = `${target}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  try {
    const names: string[] = [];
    const { writeChart } = await loadRenderer();
    for (const c of charts) {
      const paths = await writeChart(c.spec, join(temp, "charts"), c.name);
      names.push(relative(temp, paths.svg), relative(temp, paths.png));
    }
    for (const [name, content] of files) {
      writeFileAtomic(join(temp, name), content);
      names.push(name);
    }
    moveInto(temp, target, names);
    return names.map((name) => join(outDir, name));
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** A new folder is renamed into place whole; into an existing one (which may hold other files) each file is renamed over its old version. */
function moveInto(temp: string, target: string, names: string[]): void {
  if (!existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true });
    renameSync(temp, target);
    return;
  }
  for (const name of names) {
    mkdirSync(dirname(join(target, name)), { recursive: true });
    renameSync(join(temp, name), join(target, name));
  }
}

// ---------------------------------------------------------------- comparison

export interface ComparedRun {
  id: string;
  model: string;
  parity: string;
  seed: number;
  episodes: number;
}

export function comparedRun(r: LoadedRun): ComparedRun {
  return { id: r.run.id, model: r.run.model, parity: r.run.parity, seed: r.run.seed, episodes: r.testbeds.reduce((n, t) => n + t.played.length, 0) };
}

/** Signed percentage points, with a true minus sign; zero has no sign. */
function points2(x: number): string {
  const v = x * 100;
  const s = Math.abs(v).toFixed(2);
  if (Number(s) === 0) return "0.00";
  return `${v < 0 ? "−" : "+"}${s}`;
}

function pText(p: number): string {
  if (p >= 1) return "1";
  return p < 0.001 ? "< 0.001" : p.toFixed(3);
}

function pairedTable(rows: PairedRow[]): string {
  const missing = rows.some((x) => x.missingA > 0 || x.missingB > 0);
  return mdTable({
    header: ["Round", "Pairs", "A (%)", "B (%)", "B − A (pp)", "95% CI (pp)", "A only", "B only", "McNemar p", ...(missing ? ["Missing in A", "Missing in B"] : [])],
    rows: rows.map((x) => [
      String(x.round),
      String(x.pairs),
      x.pairs ? pct(x.rateA) : DASH,
      x.pairs ? pct(x.rateB) : DASH,
      x.pairs ? points2(x.difference) : DASH,
      x.pairs ? `${points2(x.low)} to ${points2(x.high)}` : DASH,
      String(x.onlyA),
      String(x.onlyB),
      pText(x.pValue),
      ...(missing ? [String(x.missingA), String(x.missingB)] : []),
    ]),
    labels: 1,
  });
}

/** A comparison group's heading: the measure's own, or "Testbed: measure, axis = value (n paired episodes)". */
function comparisonHeading(g: CompareGroup): string {
  const { measure, axes } = g[GROUP_OF];
  if (measure.groupHeading) return measure.groupHeading(axes, g.episodes);
  const title = findTestbed(g.suite)?.title ?? g.suite;
  const values = Object.entries(axes).map(([axis, value]) => `, ${axis} = ${value}`).join("");
  return `${title.charAt(0).toUpperCase()}${title.slice(1)}: ${measure.title}${values} (${plural(g.episodes, "paired episode")})`;
}

/** The paired comparison of two runs as Markdown: per round, per testbed, measure and group of its axes. */
export function comparisonMarkdown(a: ComparedRun, b: ComparedRun, c: Comparison): string {
  const parts = [
    `# Paired comparison: run ${mdText(a.id)} (A) and run ${mdText(b.id)} (B)`,
    mdTable({
      header: ["", "A", "B"],
      rows: [
        ["Run", a.id, b.id],
        ["Model", a.model, b.model],
        ["Parity", a.parity, b.parity],
        ["Seed", String(a.seed), String(b.seed)],
        ["Finished episodes", String(a.episodes), String(b.episodes)],
      ],
      labels: 3,
    }),
    mdText(
      "Decisions are paired by episode (plan key and repeat) and agent. Difference = B − A in percentage points, with " +
        "Newcombe's hybrid score interval for paired proportions (95%); p = exact two-sided McNemar test on the " +
        "discordant pairs (A only: deviated in A, not in B; B only: the reverse). Unparseable answers count as not deviating." +
        (c.groups.some((g) => g[GROUP_OF].several)
          ? " Where an agent decides several times a round, each decision is paired with the one in the same place in the other run, " +
            "and A only and B only count what the heading's rate counts."
          : ""),
    ),
  ];
  if (c.groups.length === 0) parts.push("No paired episodes.");
  for (const g of c.groups) parts.push(`## ${mdText(comparisonHeading(g))}`, pairedTable(g.rounds));
  const refs = (list: { key: string; repeat: number }[]) => {
    const shown = list.slice(0, 10).map((e) => `${e.key}${e.repeat ? ` (repeat ${e.repeat})` : ""}`);
    return mdText(shown.join(", ") + (list.length > 10 ? `, and ${list.length - 10} more` : ""));
  };
  const unpaired = [`## Unpaired episodes`];
  if (!c.onlyA.length && !c.onlyB.length && !c.mismatched.length) unpaired.push("None: every finished episode has its partner.");
  if (c.onlyA.length) unpaired.push(`- In A only: ${c.onlyA.length}: ${refs(c.onlyA)}`);
  if (c.onlyB.length) unpaired.push(`- In B only: ${c.onlyB.length}: ${refs(c.onlyB)}`);
  if (c.mismatched.length) {
    unpaired.push(`- Same key, different game (not paired): ${c.mismatched.length}: ${mdText(c.mismatched.slice(0, 10).map((m) => `${m.key} (${m.reason})`).join(", "))}`);
  }
  parts.push(unpaired.join("\n\n"));
  return parts.join("\n\n") + "\n";
}

/** The comparison as JSON, with both runs named. */
export function comparisonJson(a: ComparedRun, b: ComparedRun, c: Comparison): string {
  return stableJson({ a, b, comparison: c });
}
