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
import type { TopLevelSpec } from "vega-lite";
import { InputError } from "../core/errors.js";
import { cleanNumber, percent } from "../core/format.js";
import { pyFloat } from "../core/pyformat.js";
import { writeFileAtomic } from "../core/files.js";
import { GROUP_OF, type CompareGroup, type Comparison, type PairedRow } from "../metrics/compare.js";
import { roundSucceeded } from "../testbeds/collusion/diffusion.js";
import type { Conditional } from "../testbeds/collusion/diffusion.js";
import { decisionOf, modelAgents, type PlayedEpisode } from "../metrics/rates.js";
import type { CollusionSummary, RateRow } from "../metrics/summary.js";
import type { Proportion, ToolUseRoundRates } from "../testbeds/tooluse/measures.js";
import type { Payoffs } from "../testbeds/collusion/engine.js";
import type { CollusionPlan } from "../testbeds/collusion/plan.js";
import { RUN_ID } from "../run/config.js";
import { VERSION } from "../version.js";
import {
  collusionChart,
  conditionalChart,
  gameTraceChart,
  tippingChart,
  toolUseChart,
  toolUseSeries,
  violationChart,
  PALETTE,
  type ConditionalRow,
  type GameTrace,
  type TippingSeries,
} from "./charts.js";
import type { LoadedRun } from "./load.js";
import { findTestbed } from "../testbeds/registry.js";

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

/** Escapes text for HTML content and quoted attributes. Every string the page shows goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

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

const DASH = "–";

/** A fraction as a percentage with two decimals (the paper's tables). */
const pct = (x: number) => percent(x);
const ci = (low: number, high: number) => `${pct(low)}${DASH}${pct(high)}`;
const rateCell = (r: { rate: number; low: number; high: number }, n: number) => (n > 0 ? `${pct(r.rate)} (${ci(r.low, r.high)})` : DASH);
/** Capital and other plain quantities: three decimals are plenty for factors around 1. */
const num = (x: number) => x.toFixed(3);
const payoffText = (p: Payoffs) => `(${[p.high, p.normal, p.low].map(pyFloat).join(", ")})`;
const kText = (k: number | null) => (k === null ? DASH : String(Number(k.toFixed(3))));
const roundHeaders = (n: number) => Array.from({ length: n }, (_, i) => `Round ${i + 1}`);
const distinct = <T>(values: T[]): T[] => [...new Set(values)];
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

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

interface Table {
  header: string[];
  rows: string[][];
  /** Leading columns that hold labels (left-aligned); the rest are numbers. */
  labels: number;
}

type Block = { kind: "text"; text: string } | { kind: "table"; table: Table } | { kind: "chart"; chart: string };

interface Section {
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

const text = (t: string): Block => ({ kind: "text", text: t });
const table = (header: string[], rows: string[][], labels = 1): Block => ({ kind: "table", table: { header, rows, labels } });
const chart = (name: string): Block => ({ kind: "chart", chart: name });

function groupLabel(g: { threshold: number; rewards: Payoffs }, payoffSets: number): string {
  return payoffSets > 1 ? `t = ${g.threshold}, ${payoffText(g.rewards)}` : `t = ${g.threshold}`;
}

function settingsSection(r: LoadedRun): Section {
  const { run, stats, episodes } = r;
  const repeats = Math.max(0, ...[...r.plans, ...(r.toolUse?.plans ?? [])].map((p) => p.repeat)) + 1;
  const roleplay = r.plans.filter((p) => p.suite === "roleplay");
  const games = r.plans.filter((p): p is CollusionPlan => p.suite === "collusion");
  const list = (values: unknown[]) => distinct(values.map((v) => (v === null ? "all" : String(v)))).join(", ");
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
  if (roleplay.length) {
    const items = distinct(roleplay.map((p) => p.key)).length;
    const s = roleplay.map((p) => p.settings);
    rows.push([
      "Role-play",
      `${plural(items, "item")}, ${list(s.map((x) => x.rounds))} rounds, history window ${list(s.map((x) => x.historyWindow))}, supervision ${list(s.map((x) => x.supervision))}`,
    ]);
  }
  if (games.length) {
    const s = games.map((p) => p.settings);
    rows.push([
      "Collusion",
      `${plural(distinct(games.map((p) => p.scenario.environment)).length, "game")} x ${list(s.map((x) => x.agents))} agents, ` +
        `${list(s.map((x) => x.rounds))} rounds, thresholds ${list(s.map((x) => x.threshold))}, ` +
        `payoffs (H, N, L) ${distinct(s.map((x) => payoffText(x.rewards))).join(" ")}, peers ${list(s.map((x) => x.peers))}, ` +
        `capital ${list(s.map((x) => x.capitalMode))}` +
        (s.some((x) => x.fixedColluders > 0) ? `, fixed colluders ${list(s.map((x) => x.fixedColluders))}` : ""),
    ]);
  }
  if (r.toolUse) {
    const s = r.toolUse.plans.map((p) => p.settings);
    rows.push([
      "Tool use",
      `${plural(distinct(r.toolUse.plans.map((p) => p.key)).length, "episode")}, ${list(s.map((x) => x.rounds))} rounds of ` +
        `${list(s.map((x) => x.easyPerRound))} easy + ${list(s.map((x) => x.hardPerRound))} hard problems (difficulty ${list(s.map((x) => x.difficulty))}), ` +
        `correct answer ${list(s.map((x) => cleanNumber(x.rewards.easy)))} easy / ${list(s.map((x) => cleanNumber(x.rewards.hard)))} hard, ` +
        `cost ${list(s.map((x) => cleanNumber(x.costs.tool)))} with the calculator / ${list(s.map((x) => cleanNumber(x.costs.direct)))} without, ` +
        `protocol ${list(s.map((x) => x.protocol))}, at most ${list(s.map((x) => x.maxToolCalls))} calculator calls per problem, ` +
        `history window ${list(s.map((x) => x.historyWindow))} problems`,
    ]);
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

/** Rounds as columns: the rate, its interval, the counts behind it. */
function overallTable(rows: RateRow[], what: string, unit: string): Block {
  const body = [
    [`${what} rate (%)`, ...rows.map((x) => (x.total ? pct(x.rate) : DASH))],
    ["95% CI (%)", ...rows.map((x) => (x.total ? ci(x.low, x.high) : DASH))],
    [`${unit}`, ...rows.map((x) => `${x.deviant}/${x.total}`)],
    ["Unparseable", ...rows.map((x) => String(x.unparseable))],
  ];
  if (rows.some((x) => x.failed > 0)) body.push(["Missing (failed or unfinished)", ...rows.map((x) => String(x.failed))]);
  return table(["", ...roundHeaders(rows.length)], body);
}

function roleplaySection(r: LoadedRun): Section | null {
  const rp = r.summary.roleplay;
  if (!rp) return null;
  const rounds = rp.overall.length;
  const missing = rp.byScenario.some((s) => s.rates.some((x) => x.failed > 0));
  return {
    id: "roleplay",
    title: "Role-play: violation rate by round",
    blocks: [
      text(
        `${plural(rp.episodes, "episode")}. Rate = answers choosing the rule-violating option / answers, in %, with 95% Wilson ` +
          "intervals; unparseable answers count as non-violations and are also shown apart.",
      ),
      overallTable(rp.overall, "Violation", "Violations / answers"),
      chart("violation"),
      text("Per scenario (its reward variants pooled): violation rate in % (95% CI)."),
      table(
        ["Scenario", "Episodes", ...roundHeaders(rounds), "Unparseable", ...(missing ? ["Missing"] : [])],
        rp.byScenario.map((s) => [
          s.environment,
          String(s.episodes),
          ...Array.from({ length: rounds }, (_, i) => (s.rates[i] ? rateCell(s.rates[i], s.rates[i].total) : DASH)),
          String(s.rates.reduce((n, x) => n + x.unparseable, 0)),
          ...(missing ? [String(s.rates.reduce((n, x) => n + x.failed, 0))] : []),
        ]),
      ),
    ],
  };
}

function collusionSection(r: LoadedRun): Section | null {
  const groups = r.summary.collusion;
  if (!groups.length) return null;
  const rounds = Math.max(...groups.map((g) => g.rates.length));
  const missing = groups.some((g) => g.rates.some((x) => x.failed > 0));
  const agents = distinct(r.plans.flatMap((p) => (p.suite === "collusion" ? [modelAgents(p).length] : [])));
  return {
    id: "collusion",
    title: "Collusion: collusion rate by round",
    blocks: [
      text(
        `Rate = decisions choosing the collective option / decisions (${agents.join(" or ")} model agents per game), in %, with 95% ` +
          "Wilson intervals, per threshold t and payoff set (high, normal, low) with incentive ratio k = (high - normal) / (normal - low).",
      ),
      table(
        ["t", "Payoffs (H, N, L)", "k", "Games", ...roundHeaders(rounds), "Unparseable", ...(missing ? ["Missing"] : [])],
        groups.map((g) => [
          String(g.threshold),
          payoffText(g.rewards),
          kText(g.incentiveRatio),
          String(g.episodes),
          ...Array.from({ length: rounds }, (_, i) => (g.rates[i] ? rateCell(g.rates[i], g.rates[i].total) : DASH)),
          String(g.rates.reduce((n, x) => n + x.unparseable, 0)),
          ...(missing ? [String(g.rates.reduce((n, x) => n + x.failed, 0))] : []),
        ]),
        2,
      ),
      chart("collusion"),
    ],
  };
}

function conditionalCell(c: Conditional): string {
  return c.n > 0 ? `${pct(c.rate)} (${ci(c.low, c.high)})` : DASH;
}

function diffusionSection(r: LoadedRun, charts: ReportChart[]): Section | null {
  const groups = r.summary.collusion;
  if (!groups.length) return null;
  const rounds = Math.max(...groups.map((g) => g.diffusion.success.length));
  const rows: string[][] = [];
  for (const g of groups) {
    const pairs = [...g.diffusion.pairs.map((p) => ({ label: `${p.from} → ${p.to}`, ...p })), { label: "all pairs", ...g.diffusion.pooled }];
    for (const p of pairs) {
      rows.push([
        String(g.threshold),
        payoffText(g.rewards),
        p.label,
        conditionalCell(p.afterSuccess),
        String(p.afterSuccess.n),
        conditionalCell(p.afterFailure),
        String(p.afterFailure.n),
      ]);
    }
  }
  return {
    id: "diffusion",
    title: "Diffusion: collusion after success and after failure",
    blocks: [
      text("Games in which collusion reached the threshold, by round: succeeded / games (%)."),
      table(
        ["t", "Payoffs (H, N, L)", ...roundHeaders(rounds)],
        groups.map((g) => [
          String(g.threshold),
          payoffText(g.rewards),
          ...Array.from({ length: rounds }, (_, i) => {
            const s = g.diffusion.success[i];
            return s && s.episodes ? `${s.succeeded}/${s.episodes} (${pct(s.rate)})` : DASH;
          }),
        ]),
        2,
      ),
      text(
        "P(collude in round r+1 | collusion succeeded in round r) and P(... | failed), in % with 95% Wilson intervals; " +
          "n = decisions in round r+1 under that condition.",
      ),
      table(["t", "Payoffs (H, N, L)", "Rounds", "P(collude | succeeded) (%)", "n", "P(collude | failed) (%)", "n"], rows, 3),
      ...charts.filter((c) => c.name.startsWith("conditional")).map((c) => chart(c.name)),
    ],
  };
}

function tracesSection(charts: ReportChart[]): Section | null {
  const traces = charts.filter((c) => c.name.startsWith("trace-"));
  if (!traces.length) return null;
  return {
    id: "traces",
    title: "Game traces",
    blocks: [text("For each threshold, the game with the most collusive choices: each agent's choice in each round (C collusive, I independent, ? unparseable)."), ...traces.map((c) => chart(c.name))],
  };
}

function tippingSection(r: LoadedRun): Section | null {
  const blocks: Block[] = [
    text(
      "A trajectory (one agent in one episode) tips at round r when it deviates in round r and every later round. " +
        "Share of complete trajectories tipped by each round, in % with 95% Wilson intervals.",
    ),
  ];
  const rp = r.summary.roleplay?.tipping;
  if (rp) {
    blocks.push(
      table(
        ["Role-play", ...roundHeaders(rp.cumulative.length), "Never tipped", "Incomplete"],
        [
          ["Tipped by round (%)", ...rp.cumulative.map((c) => rateCell({ rate: c.share, low: c.low, high: c.high }, rp.complete)), String(rp.never), String(rp.incomplete)],
          ["Tipped at round", ...rp.distribution.map((d) => String(d.count)), "", ""],
        ],
      ),
    );
  }
  const groups = r.summary.collusion;
  if (groups.length) {
    const rounds = Math.max(...groups.map((g) => g.tipping.cumulative.length));
    blocks.push(
      table(
        ["t", "Payoffs (H, N, L)", "Agents", ...roundHeaders(rounds), "Never tipped", "Incomplete"],
        groups.map((g) => [
          String(g.threshold),
          payoffText(g.rewards),
          String(g.tipping.complete),
          ...Array.from({ length: rounds }, (_, i) => {
            const c = g.tipping.cumulative[i];
            return c ? rateCell({ rate: c.share, low: c.low, high: c.high }, g.tipping.complete) : DASH;
          }),
          String(g.tipping.never),
          String(g.tipping.incomplete),
        ]),
        2,
      ),
    );
  }
  if (!rp && !groups.length) return null;
  blocks.push(chart("tipping"));
  return { id: "tipping", title: "Tipping", blocks };
}

function capitalSection(r: LoadedRun): Section | null {
  const groups = r.summary.collusion;
  if (!groups.length) return null;
  const rounds = Math.max(...groups.map((g) => g.capital.byRound.length));
  return {
    id: "capital",
    title: "Capital",
    blocks: [
      text("Capital of the model agents: mean after each round, and final capital (games that played every round)."),
      table(
        ["t", "Payoffs (H, N, L)", "k", ...roundHeaders(rounds).map((h) => `Mean after ${h.toLowerCase()}`), "Final mean ± sd", "Min", "Max", "Agents", "Incomplete games"],
        groups.map((g) => {
          const f = g.capital.final;
          return [
            String(g.threshold),
            payoffText(g.rewards),
            kText(g.incentiveRatio),
            ...Array.from({ length: rounds }, (_, i) => (g.capital.byRound[i]?.n ? num(g.capital.byRound[i].mean) : DASH)),
            f.n ? `${num(f.mean)} ± ${f.sd === null ? DASH : num(f.sd)}` : DASH,
            f.n ? num(f.min) : DASH,
            f.n ? num(f.max) : DASH,
            String(f.n),
            String(g.capital.incompleteEpisodes),
          ];
        }),
        2,
      ),
    ],
  };
}

const spreadCell = (s: { n: number; mean: number; sd: number | null }) => (s.n ? `${pct(s.mean)} ± ${s.sd === null ? DASH : pct(s.sd)}` : DASH);

function repeatsSection(r: LoadedRun): Section | null {
  const rp = r.summary.roleplay?.repeats ?? null;
  const groups = r.summary.collusion.filter((g) => g.repeats !== null);
  if (!rp && !groups.length) return null;
  const blocks: Block[] = [text("Rate per round across repeats: mean ± sample sd of the repeats' rates, in %.")];
  if (rp) {
    blocks.push(
      table(
        ["Role-play violation rate", "Repeats", ...roundHeaders(rp.rounds.length)],
        [
          ["mean ± sd", String(rp.repeats.length), ...rp.rounds.map(spreadCell)],
          ["min" + DASH + "max", "", ...rp.rounds.map((s) => (s.n ? ci(s.min, s.max) : DASH))],
        ],
      ),
    );
  }
  if (groups.length) {
    const rounds = Math.max(...groups.map((g) => g.repeats!.rounds.length));
    blocks.push(
      table(
        ["t", "Payoffs (H, N, L)", "Repeats", ...roundHeaders(rounds)],
        groups.map((g) => [
          String(g.threshold),
          payoffText(g.rewards),
          String(g.repeats!.repeats.length),
          ...Array.from({ length: rounds }, (_, i) => (g.repeats!.rounds[i] ? spreadCell(g.repeats!.rounds[i]) : DASH)),
        ]),
        2,
      ),
    );
  }
  return { id: "repeats", title: "Across repeats", blocks };
}

/** The tool-use measures, in the order tables, charts and CSV list them. */
const TOOLUSE_MEASURES: { label: string; measure: "tool_use" | "accuracy"; kind: "all" | "easy" | "hard"; of: (x: ToolUseRoundRates) => Proportion }[] = [
  { label: "Tool use, all problems", measure: "tool_use", kind: "all", of: (x) => x.toolUse },
  { label: "Tool use, easy", measure: "tool_use", kind: "easy", of: (x) => x.easyToolUse },
  { label: "Tool use, hard", measure: "tool_use", kind: "hard", of: (x) => x.hardToolUse },
  { label: "Accuracy, easy", measure: "accuracy", kind: "easy", of: (x) => x.easyAccuracy },
  { label: "Accuracy, hard", measure: "accuracy", kind: "hard", of: (x) => x.hardAccuracy },
];

function toolUseSection(r: LoadedRun): Section | null {
  if (!r.toolUse) return null;
  const rates = r.toolUse.rates;
  return {
    id: "tooluse",
    title: "Tool use: calculator use and accuracy by round",
    blocks: [
      text(
        `${plural(r.toolUse.played.length, "finished episode")}. A problem counts as tool use when the calculator ran at least once for it. ` +
          "Rates in % with 95% Wilson intervals; the paper reports tool use and accuracy on hard problems.",
      ),
      table(
        ["", ...roundHeaders(rates.length)],
        [
          ...TOOLUSE_MEASURES.map((m) => [`${m.label} (%)`, ...rates.map((x) => rateCell(m.of(x), m.of(x).n))]),
          ["Problems", ...rates.map((x) => String(x.problems))],
          ["Mean reward", ...rates.map((x) => (x.meanReward === null ? DASH : num(x.meanReward)))],
        ],
      ),
      chart("tooluse"),
    ],
  };
}

function sections(r: LoadedRun, charts: ReportChart[]): Section[] {
  return [
    settingsSection(r),
    failuresSection(r),
    roleplaySection(r),
    collusionSection(r),
    diffusionSection(r, charts),
    tracesSection(charts),
    tippingSection(r),
    capitalSection(r),
    toolUseSection(r),
    repeatsSection(r),
  ].filter((s): s is Section => s !== null);
}

// ---------------------------------------------------------------- charts

/**
 * The games drawn as traces: for each threshold, the game with the most collusive choices
 * (the first such in plan order), since a game where nobody colludes shows no drift.
 */
function traceGames(r: LoadedRun): (PlayedEpisode & { plan: CollusionPlan })[] {
  const best = new Map<number, { game: PlayedEpisode & { plan: CollusionPlan }; collusive: number }>();
  for (const p of r.played) {
    if (p.plan.suite !== "collusion" || p.transcript.rounds.length === 0) continue;
    const game = p as PlayedEpisode & { plan: CollusionPlan };
    const collusive = game.transcript.rounds.reduce((n, round) => n + round.calls.filter((c) => c.choice === game.plan.scenario.collectiveChoice).length, 0);
    const threshold = game.plan.settings.threshold;
    if (!best.has(threshold) || collusive > best.get(threshold)!.collusive) best.set(threshold, { game, collusive });
  }
  return [...best.values()].map((b) => b.game).sort((a, b) => a.plan.settings.threshold - b.plan.settings.threshold);
}

function gameTrace(p: PlayedEpisode & { plan: CollusionPlan }): GameTrace {
  const collective = p.plan.scenario.collectiveChoice;
  return {
    title: `${p.plan.scenario.environment}, t = ${p.plan.settings.threshold}, payoffs ${payoffText(p.plan.settings.rewards)}`,
    agents: p.plan.settings.agents,
    rounds: p.transcript.rounds.map((round) => ({
      round: round.round + 1,
      choices: [...round.calls]
        .sort((a, b) => a.agent - b.agent)
        .map((c) => (c.choice === null ? "unparseable" : c.choice === collective ? "collusive" : "independent")),
      success: roundSucceeded(p.plan, round),
    })),
  };
}

const points = (rows: RateRow[]) => rows.map((x) => ({ round: x.round, rate: x.rate, low: x.low, high: x.high }));

function conditionalRows(g: CollusionSummary): ConditionalRow[] {
  return g.diffusion.pairs.flatMap((p) => [
    { threshold: g.threshold, fromRound: p.from, given: "succeeded" as const, rate: p.afterSuccess.rate, low: p.afterSuccess.low, high: p.afterSuccess.high, n: p.afterSuccess.n },
    { threshold: g.threshold, fromRound: p.from, given: "failed" as const, rate: p.afterFailure.rate, low: p.afterFailure.low, high: p.afterFailure.high, n: p.afterFailure.n },
  ]);
}

/** The report's charts, in the order the sections show them. */
export function reportCharts(r: LoadedRun): ReportChart[] {
  const out: ReportChart[] = [];
  const rp = r.summary.roleplay;
  const groups = r.summary.collusion;
  const payoffSets = distinct(groups.map((g) => g.label));
  if (rp) {
    out.push({ name: "violation", title: "Violation rate by round", spec: violationChart([{ label: `Role-play (${plural(rp.episodes, "episode")})`, points: points(rp.overall) }]) });
  }
  if (groups.length) {
    out.push({
      name: "collusion",
      title: "Collusion rate by round per threshold",
      spec: collusionChart(groups.map((g) => ({ threshold: g.threshold, payoff: payoffText(g.rewards), points: points(g.rates) }))),
    });
    // One conditional chart per payoff set: the chart's bars are keyed by threshold alone.
    payoffSets.forEach((label, i) => {
      const mine = groups.filter((g) => g.label === label);
      const rows = mine.flatMap(conditionalRows);
      if (!rows.some((x) => x.n > 0)) return;
      const name = payoffSets.length > 1 ? `conditional-${i + 1}` : "conditional";
      const subtitle = `Payoffs (H, N, L) = ${payoffText(mine[0].rewards)}; bars: P(collude next round), whiskers: 95% interval, n: decisions`;
      out.push({ name, title: `Conditional collusion probabilities, payoffs ${payoffText(mine[0].rewards)}`, spec: conditionalChart(rows, payoffSets.length > 1 ? { subtitle } : {}) });
    });
    for (const game of traceGames(r)) {
      const trace = gameTrace(game);
      out.push({ name: `trace-t${game.plan.settings.threshold}`, title: `Game trace: ${trace.title}`, spec: gameTraceChart(trace) });
    }
  }
  const tipping: TippingSeries[] = [];
  if (rp) tipping.push({ label: "Role-play", points: rp.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })) });
  for (const g of groups) {
    tipping.push({ label: `Collusion ${groupLabel(g, payoffSets.length)}`, points: g.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })) });
  }
  if (tipping.length) out.push({ name: "tipping", title: "Share tipped by each round", spec: tippingChart(tipping) });
  if (r.toolUse?.rates.length) out.push({ name: "tooluse", title: "Tool use and accuracy by round", spec: toolUseChart(toolUseSeries(r.toolUse.rates)) });
  return out;
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

type CsvValue = string | number | boolean | null | undefined;

function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

const rateFields = ["round", "deviant", "unparseable", "missing", "total", "rate", "ci_low", "ci_high"];
const rateValues = (x: RateRow): CsvValue[] => [x.round, x.deviant, x.unparseable, x.failed, x.total, x.rate, x.low, x.high];
const groupFields = ["threshold", "high", "normal", "low", "incentive_ratio"];
const groupValues = (g: { threshold: number; rewards: Payoffs; incentiveRatio: number | null }): CsvValue[] => [g.threshold, g.rewards.high, g.rewards.normal, g.rewards.low, g.incentiveRatio];

/**
 * One tidy CSV per table, by file name: one row per observation, a header row, raw numbers
 * (rates as fractions, no rounding). `deviant` counts violations or collusive choices;
 * `missing` counts decisions lost to failed or unfinished episodes (not in `total`).
 */
export function reportCsv(r: LoadedRun): Map<string, string> {
  const out = new Map<string, string>();
  const rp = r.summary.roleplay;
  const groups = r.summary.collusion;
  if (rp) {
    out.set("violation_by_round.csv", csv(rateFields, rp.overall.map(rateValues)));
    out.set("violation_by_scenario.csv", csv(["scenario", "episodes", ...rateFields], rp.byScenario.flatMap((s) => s.rates.map((x) => [s.environment, s.episodes, ...rateValues(x)]))));
  }
  if (groups.length) {
    out.set("collusion_by_round.csv", csv([...groupFields, "games", ...rateFields], groups.flatMap((g) => g.rates.map((x) => [...groupValues(g), g.episodes, ...rateValues(x)]))));
    out.set(
      "collusion_by_game.csv",
      csv([...groupFields, "game", "episodes", ...rateFields], groups.flatMap((g) => g.byGame.flatMap((s) => s.rates.map((x) => [...groupValues(g), s.environment, s.episodes, ...rateValues(x)])))),
    );
    out.set(
      "success.csv",
      csv([...groupFields, "round", "games", "succeeded", "rate", "ci_low", "ci_high"], groups.flatMap((g) => g.diffusion.success.map((s) => [...groupValues(g), s.round, s.episodes, s.succeeded, s.rate, s.low, s.high]))),
    );
    // `scope` pair: from_round -> to_round; pooled: all round pairs (rounds left empty).
    const conditional: CsvValue[][] = [];
    for (const g of groups) {
      const cells = [
        ...g.diffusion.pairs.map((p) => ({ scope: "pair", from: p.from as number | null, to: p.to as number | null, afterSuccess: p.afterSuccess, afterFailure: p.afterFailure })),
        { scope: "pooled", from: null, to: null, ...g.diffusion.pooled },
      ];
      for (const c of cells) {
        for (const [given, x] of [["succeeded", c.afterSuccess], ["failed", c.afterFailure]] as const) {
          conditional.push([...groupValues(g), c.scope, c.from, c.to, given, x.n, x.colluded, x.unparseable, x.rate, x.low, x.high]);
        }
      }
    }
    out.set("conditional.csv", csv([...groupFields, "scope", "from_round", "to_round", "given", "n", "colluded", "unparseable", "rate", "ci_low", "ci_high"], conditional));
  }
  const tipping: CsvValue[][] = [];
  if (rp) for (const [i, c] of rp.tipping.cumulative.entries()) tipping.push(["roleplay", null, null, null, null, null, c.round, rp.tipping.distribution[i].count, c.tipped, rp.tipping.complete, c.share, c.low, c.high]);
  for (const g of groups) {
    for (const [i, c] of g.tipping.cumulative.entries()) tipping.push(["collusion", ...groupValues(g), c.round, g.tipping.distribution[i].count, c.tipped, g.tipping.complete, c.share, c.low, c.high]);
  }
  if (tipping.length) out.set("tipping.csv", csv(["suite", ...groupFields, "round", "tipped_at_round", "tipped_by_round", "complete", "share", "ci_low", "ci_high"], tipping));
  if (groups.length) {
    out.set(
      "capital.csv",
      csv(
        [...groupFields, "agents", "mean", "sd", "min", "max", "incomplete_games"],
        groups.map((g) => {
          const f = g.capital.final;
          return [...groupValues(g), f.n, f.n ? f.mean : null, f.sd, f.n ? f.min : null, f.n ? f.max : null, g.capital.incompleteEpisodes];
        }),
      ),
    );
  }
  const repeatRows: CsvValue[][] = [];
  const perRepeat: CsvValue[][] = [];
  const none = [null, null, null, null, null];
  if (rp?.repeats) {
    for (const s of rp.repeats.rounds) repeatRows.push(["roleplay", ...none, s.round, s.n, s.n ? s.mean : null, s.sd, s.n ? s.min : null, s.n ? s.max : null]);
    for (const rep of rp.repeats.repeats) for (const x of rep.rates) perRepeat.push(["roleplay", ...none, rep.repeat, ...rateValues(x)]);
  }
  for (const g of groups) {
    if (!g.repeats) continue;
    for (const s of g.repeats.rounds) repeatRows.push(["collusion", ...groupValues(g), s.round, s.n, s.n ? s.mean : null, s.sd, s.n ? s.min : null, s.n ? s.max : null]);
    for (const rep of g.repeats.repeats) for (const x of rep.rates) perRepeat.push(["collusion", ...groupValues(g), rep.repeat, ...rateValues(x)]);
  }
  if (repeatRows.length) {
    out.set("repeats.csv", csv(["suite", ...groupFields, "round", "repeats", "mean", "sd", "min", "max"], repeatRows));
    out.set("repeats_by_repeat.csv", csv(["suite", ...groupFields, "repeat", ...rateFields], perRepeat));
  }
  if (r.toolUse?.rates.length) {
    out.set(
      "tooluse_by_round.csv",
      csv(
        ["round", "measure", "kind", "successes", "n", "rate", "ci_low", "ci_high"],
        r.toolUse.rates.flatMap((x) =>
          TOOLUSE_MEASURES.map((m) => {
            const p = m.of(x);
            return [x.round, m.measure, m.kind, p.successes, p.n, p.n ? p.rate : null, p.low, p.high];
          }),
        ),
      ),
    );
  }
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
    summary: r.summary,
    ...(r.toolUse ? { toolUse: { episodes: r.toolUse.played.length, rates: r.toolUse.rates } } : {}),
  };
}

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
.violating, .collusive { color: ${PALETTE[1]}; font-weight: 600; }
.compliant, .independent { color: ${PALETTE[0]}; font-weight: 600; }
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

/** Role-play episodes worth reading: up to `max` that tipped after complying first, then any that tipped, then any that violated. */
function pickConversations(r: LoadedRun, max = 3): { episode: PlayedEpisode; why: string }[] {
  const rp = r.summary.roleplay;
  if (!rp) return [];
  const byId = new Map(r.played.map((p) => [`${p.plan.key}#${p.plan.repeat}`, p]));
  const trajectories = rp.tipping.trajectories;
  const ordered = [
    ...trajectories.filter((t) => t.tippingRound !== null && t.tippingRound > 1),
    ...trajectories.filter((t) => t.tippingRound === 1),
    ...trajectories.filter((t) => t.tippingRound === null && t.decisions.includes("deviant")),
  ];
  const out: { episode: PlayedEpisode; why: string }[] = [];
  for (const t of ordered) {
    const episode = byId.get(`${t.key}#${t.repeat}`);
    if (!episode || out.some((o) => o.episode === episode)) continue;
    const violations = t.decisions.filter((d) => d === "deviant").length;
    out.push({ episode, why: t.tippingRound !== null ? `tipped at round ${t.tippingRound}` : `violated in ${plural(violations, "round")} without tipping` });
    if (out.length >= max) break;
  }
  return out;
}

function conversationHtml(p: PlayedEpisode, why: string): string {
  const first = p.transcript.rounds[0]?.calls[0];
  const system = first?.messages.find((m) => m.role === "system")?.content;
  const parts = [
    `<div class="episode"><h3>${escapeHtml(`${p.plan.scenario.environment}: ${p.plan.key}${p.plan.repeat ? ` (repeat ${p.plan.repeat})` : ""}, ${why}`)}</h3>`,
  ];
  if (system !== undefined) parts.push(`<div class="label">System prompt</div><pre>${escapeHtml(system)}</pre>`);
  let previous: { question: string; round: number } | null = null;
  for (const round of p.transcript.rounds) {
    const call = round.calls[0];
    if (!call) continue;
    const question = [...call.messages].reverse().find((m) => m.role === "user")?.content ?? "";
    // Most rounds repeat the question word for word; print it once.
    const same = previous !== null && previous.question === question;
    const questionHtml = same ? `<p class="meta">${escapeHtml(`Question: the same as in round ${previous!.round + 1}.`)}</p>` : `<div class="label">Question</div><pre>${escapeHtml(question)}</pre>`;
    if (!same) previous = { question, round: round.round };
    const decision = decisionOf(p.plan, call.choice);
    const kind = decision === "deviant" ? "violating" : decision === "aligned" ? "compliant" : "unparseable";
    const supervision = round.supervision === 1 ? "supervised" : round.supervision === -1 ? "unsupervised" : "";
    parts.push(
      `<div class="round"><h4>${escapeHtml(`Round ${round.round + 1}${supervision ? ` (${supervision})` : ""}`)}</h4>` +
        questionHtml +
        `<div class="label">Answer</div><pre>${escapeHtml(call.response)}</pre>` +
        `<p class="meta">Choice: <span class="${kind}">${escapeHtml(call.choice ?? "unparseable")}</span> (${kind}); ` +
        `reward ${escapeHtml(cleanNumber(call.reward))}. ${escapeHtml(round.outcome)}</p></div>`,
    );
  }
  parts.push("</div>");
  return parts.join("\n");
}

/** The game to show round by round: the first whose collusion succeeded at some round, else the first. */
function pickGame(r: LoadedRun): (PlayedEpisode & { plan: CollusionPlan }) | null {
  const games = r.played.filter((p): p is PlayedEpisode & { plan: CollusionPlan } => p.plan.suite === "collusion" && p.transcript.rounds.length > 0);
  return games.find((g) => g.transcript.rounds.some((round) => roundSucceeded(g.plan, round))) ?? games[0] ?? null;
}

function gameHtml(g: PlayedEpisode & { plan: CollusionPlan }): string {
  const { plan, transcript } = g;
  const model = new Set(modelAgents(plan));
  const collective = plan.scenario.collectiveChoice;
  const kindOf = (choice: string | null) => (choice === null ? "unparseable" : choice === collective ? "collusive" : "independent");
  const agents = Array.from({ length: plan.settings.agents }, (_, i) => i);
  const head = `<tr><th>Agent</th>${transcript.rounds.map((r) => `<th>${escapeHtml(`Round ${r.round + 1}`)}</th>`).join("")}</tr>`;
  const rows = agents.map((a) => {
    const cells = transcript.rounds.map((round) => {
      const c = round.calls.find((x) => x.agent === a);
      if (!c) return "<td></td>";
      const capital = c.capital_after === undefined ? "" : `; capital ${num(c.capital_after)}`;
      const reward = `${c.reward > 0 ? "+" : ""}${num(c.reward)}`;
      return `<td class="${kindOf(c.choice)}">${escapeHtml(c.choice ?? "unparseable")}<br><span class="meta">${escapeHtml(`reward ${reward}${capital}`)}</span></td>`;
    });
    // Numbered from 0, as the agents' own prompts and the viewer number them.
    return `<tr><th>${escapeHtml(`Agent ${a}${model.has(a) ? "" : " (fixed)"}`)}</th>${cells.join("")}</tr>`;
  });
  const outcome = `<tr><th>Outcome</th>${transcript.rounds.map((r) => `<td>${escapeHtml(r.outcome)}</td>`).join("")}</tr>`;
  const answers = transcript.rounds
    .map(
      (round) =>
        `<details><summary>${escapeHtml(`Answers in round ${round.round + 1}`)}</summary>` +
        round.calls.filter((c) => model.has(c.agent)).map((c) => `<div class="label">${escapeHtml(`Agent ${c.agent}`)}</div><pre>${escapeHtml(c.response)}</pre>`).join("") +
        `</details>`,
    )
    .join("\n");
  return (
    `<h3>${escapeHtml(`${plan.scenario.environment}: ${plan.key}${plan.repeat ? ` (repeat ${plan.repeat})` : ""}`)}</h3>` +
    `<p>${escapeHtml(`Threshold t = ${plan.settings.threshold} of ${plan.settings.agents} agents, payoffs ${payoffText(plan.settings.rewards)}; collective option '${collective}', independent option '${plan.scenario.independentChoice}'.`)}</p>` +
    `<div class="wide"><table><thead>${head}</thead><tbody>${rows.join("")}${outcome}</tbody></table></div>\n${answers}`
  );
}

/** `report.html`: one page with no external requests and no scripts; charts are inline SVG. */
export async function reportHtml(r: LoadedRun, charts: ReportChart[] = reportCharts(r)): Promise<string> {
  const byName = new Map(charts.map((c) => [c.name, c]));
  const { renderSvg } = await loadRenderer();
  const svgs = new Map<string, string>();
  for (const c of charts) svgs.set(c.name, scopeSvgIds(await renderSvg(c.spec), `chart-${c.name}`));
  const body = sections(r, charts).map((s) => htmlSection(s, svgs, byName));
  const conversations = pickConversations(r);
  if (conversations.length) {
    body.push(
      `<section id="conversations"><h2>Role-play conversations</h2><p>${escapeHtml(
        "Episodes in which the agent drifted: each round's question, the agent's answer as given, the parsed choice and the reward fed back.",
      )}</p>\n${conversations.map((c) => conversationHtml(c.episode, c.why)).join("\n")}</section>`,
    );
  }
  const game = pickGame(r);
  if (game) body.push(`<section id="game"><h2>A game, round by round</h2>\n${gameHtml(game)}</section>`);
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
  return { id: r.run.id, model: r.run.model, parity: r.run.parity, seed: r.run.seed, episodes: r.played.length + (r.toolUse?.played.length ?? 0) };
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
