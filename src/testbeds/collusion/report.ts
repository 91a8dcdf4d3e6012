/**
 * How the collusion games show in the report: the collusion rate by round per threshold and
 * payoff set, diffusion after success and failure, game traces, tipping, capital, the spread
 * across repeats, one game round by round, and the table `atp run` prints.
 */
import { cleanNumber } from "../../core/format.js";
import { pyFloat } from "../../core/pyformat.js";
import type { Played } from "../../metrics/rates.js";
import type { RateRow } from "../../metrics/summary.js";
import type { ConditionalRow, GameTrace } from "../../report/charts.js";
import type { LoadedRun } from "../../report/load.js";
import {
  chart,
  ci,
  csv,
  DASH,
  distinct,
  escapeHtml,
  groupFields,
  num,
  pct,
  plural,
  rateCell,
  rateFields,
  rateValues,
  roundHeaders,
  table,
  text,
  episodesOf,
  type Block,
  type CsvValue,
  type ReportChart,
  type Section,
  type TestbedReport,
} from "../../report/sections.js";
import { grid } from "../../report/tables.js";
import { modelAgents } from "./decisions.js";
import { roundSucceeded, type Conditional } from "./diffusion.js";
import type { Payoffs } from "./engine.js";
import type { CollusionPlan } from "./plan.js";
import { collusionRateGroups, collusionSummary, type CollusionRates, type CollusionSummary } from "./summary.js";

type Game = Played<CollusionPlan>;

/** The run's games: planned, and finished; none when it plays no game. */
function games(r: LoadedRun): { plans: CollusionPlan[]; played: Game[] } {
  return episodesOf<CollusionPlan>(r, "collusion");
}

const payoffText = (p: Payoffs) => `(${[p.high, p.normal, p.low].map(pyFloat).join(", ")})`;
const kText = (k: number | null) => (k === null ? DASH : String(Number(k.toFixed(3))));
const points = (rows: RateRow[]) => rows.map((x) => ({ round: x.round, rate: x.rate, low: x.low, high: x.high }));
const spreadCell = (s: { n: number; mean: number; sd: number | null }) => (s.n ? `${pct(s.mean)} ± ${s.sd === null ? DASH : pct(s.sd)}` : DASH);
const groupValues = (g: { threshold: number; rewards: Payoffs; incentiveRatio: number | null }): CsvValue[] => [g.threshold, g.rewards.high, g.rewards.normal, g.rewards.low, g.incentiveRatio];

function groupLabel(g: { threshold: number; rewards: Payoffs }, payoffSets: number): string {
  return payoffSets > 1 ? `t = ${g.threshold}, ${payoffText(g.rewards)}` : `t = ${g.threshold}`;
}

/** `atp run`'s table: the collusion rate per round in percent, one row per threshold and payoff set. */
export function collusionTable(groups: CollusionRates[]): string {
  if (groups.length === 0) return "";
  const rounds = Math.max(...groups.map((g) => g.rates.length));
  const first = groups[0];
  const decisions = first.rates[0]?.total ?? 0;
  const header = `Collusion: collusion rate per round (%), ${first.episodes} games x ${first.episodes ? decisions / first.episodes : 0} agents = ${decisions} decisions per round per threshold`;
  const rows = [["t", "rewards (H,N,L)", "k", ...Array.from({ length: rounds }, (_, r) => `round ${r + 1}`)]];
  for (const g of groups) {
    const k = g.incentiveRatio === null ? "-" : cleanNumber(Number(g.incentiveRatio.toFixed(2)));
    rows.push([String(g.threshold), g.label, k, ...g.rates.map((r) => pct(r.rate))]);
  }
  return [header, grid(rows)].join("\n");
}

function conditionalCell(c: Conditional): string {
  return c.n > 0 ? `${pct(c.rate)} (${ci(c.low, c.high)})` : DASH;
}

function collusionSection(r: LoadedRun): Section | null {
  const groups = collusionSummary(r.summary);
  if (!groups.length) return null;
  const rounds = Math.max(...groups.map((g) => g.rates.length));
  const missing = groups.some((g) => g.rates.some((x) => x.failed > 0));
  const agents = distinct(games(r).plans.map((p) => modelAgents(p.settings).length));
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

function diffusionSection(groups: CollusionSummary[], charts: ReportChart[]): Section {
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

function capitalSection(groups: CollusionSummary[]): Section {
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

/**
 * The games drawn as traces: for each threshold, the game with the most collusive choices
 * (the first such in plan order), since a game where nobody colludes shows no drift.
 */
function traceGames(r: LoadedRun): Game[] {
  const best = new Map<number, { game: Game; collusive: number }>();
  for (const game of games(r).played) {
    if (game.transcript.rounds.length === 0) continue;
    const collusive = game.transcript.rounds.reduce((n, round) => n + round.calls.filter((c) => c.choice === game.plan.scenario.collectiveChoice).length, 0);
    const threshold = game.plan.settings.threshold;
    if (!best.has(threshold) || collusive > best.get(threshold)!.collusive) best.set(threshold, { game, collusive });
  }
  return [...best.values()].map((b) => b.game).sort((a, b) => a.plan.settings.threshold - b.plan.settings.threshold);
}

function gameTrace(p: Game): GameTrace {
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

function conditionalRows(g: CollusionSummary): ConditionalRow[] {
  return g.diffusion.pairs.flatMap((p) => [
    { threshold: g.threshold, fromRound: p.from, given: "succeeded" as const, rate: p.afterSuccess.rate, low: p.afterSuccess.low, high: p.afterSuccess.high, n: p.afterSuccess.n },
    { threshold: g.threshold, fromRound: p.from, given: "failed" as const, rate: p.afterFailure.rate, low: p.afterFailure.low, high: p.afterFailure.high, n: p.afterFailure.n },
  ]);
}

/** The game to show round by round: the first whose collusion succeeded at some round, else the first. */
function pickGame(r: LoadedRun): Game | null {
  const played = games(r).played.filter((p) => p.transcript.rounds.length > 0);
  return played.find((g) => g.transcript.rounds.some((round) => roundSucceeded(g.plan, round))) ?? played[0] ?? null;
}

function gameHtml(g: Game): string {
  const { plan, transcript } = g;
  const model = new Set(modelAgents(plan.settings));
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

export const collusionReport: TestbedReport<CollusionPlan> = {
  settings(r) {
    const planned = games(r).plans;
    if (!planned.length) return null;
    const list = (values: unknown[]) => distinct(values.map((v) => (v === null ? "all" : String(v)))).join(", ");
    const s = planned.map((p) => p.settings);
    return [
      "Collusion",
      `${plural(distinct(planned.map((p) => p.scenario.environment)).length, "game")} x ${list(s.map((x) => x.agents))} agents, ` +
        `${list(s.map((x) => x.rounds))} rounds, thresholds ${list(s.map((x) => x.threshold))}, ` +
        `payoffs (H, N, L) ${distinct(s.map((x) => payoffText(x.rewards))).join(" ")}, peers ${list(s.map((x) => x.peers))}, ` +
        `capital ${list(s.map((x) => x.capitalMode))}` +
        (s.some((x) => x.fixedColluders > 0) ? `, fixed colluders ${list(s.map((x) => x.fixedColluders))}` : ""),
    ];
  },

  sections(r, charts) {
    const groups = collusionSummary(r.summary);
    if (!groups.length) return {};
    return {
      main: [collusionSection(r), diffusionSection(groups, charts), tracesSection(charts)].filter((s): s is Section => s !== null),
      afterTipping: [capitalSection(groups)],
    };
  },

  charts(r, { collusionChart, conditionalChart, gameTraceChart }) {
    const groups = collusionSummary(r.summary);
    if (!groups.length) return {};
    const out: ReportChart[] = [];
    const payoffSets = distinct(groups.map((g) => g.label));
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
    return { main: out };
  },

  csv(r) {
    const groups = collusionSummary(r.summary);
    if (!groups.length) return {};
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
    return {
      main: [
        ["collusion_by_round.csv", csv([...groupFields, "games", ...rateFields], groups.flatMap((g) => g.rates.map((x) => [...groupValues(g), g.episodes, ...rateValues(x)])))],
        [
          "collusion_by_game.csv",
          csv([...groupFields, "game", "episodes", ...rateFields], groups.flatMap((g) => g.byGame.flatMap((s) => s.rates.map((x) => [...groupValues(g), s.environment, s.episodes, ...rateValues(x)])))),
        ],
        [
          "success.csv",
          csv([...groupFields, "round", "games", "succeeded", "rate", "ci_low", "ci_high"], groups.flatMap((g) => g.diffusion.success.map((s) => [...groupValues(g), s.round, s.episodes, s.succeeded, s.rate, s.low, s.high]))),
        ],
        ["conditional.csv", csv([...groupFields, "scope", "from_round", "to_round", "given", "n", "colluded", "unparseable", "rate", "ci_low", "ci_high"], conditional)],
      ],
      afterTipping: [
        [
          "capital.csv",
          csv(
            [...groupFields, "agents", "mean", "sd", "min", "max", "incomplete_games"],
            groups.map((g) => {
              const f = g.capital.final;
              return [...groupValues(g), f.n, f.n ? f.mean : null, f.sd, f.n ? f.min : null, f.n ? f.max : null, g.capital.incompleteEpisodes];
            }),
          ),
        ],
      ],
    };
  },

  tipping(r) {
    const groups = collusionSummary(r.summary);
    if (!groups.length) return null;
    const rounds = Math.max(...groups.map((g) => g.tipping.cumulative.length));
    const payoffSets = distinct(groups.map((g) => g.label)).length;
    const tables: Block[] = [
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
    ];
    return {
      tables,
      series: groups.map((g) => ({ label: `Collusion ${groupLabel(g, payoffSets)}`, points: g.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })) })),
      csv: groups.flatMap((g) => g.tipping.cumulative.map((c, i) => [...groupValues(g), c.round, g.tipping.distribution[i].count, c.tipped, g.tipping.complete, c.share, c.low, c.high])),
    };
  },

  repeats(r) {
    const groups = collusionSummary(r.summary).filter((g) => g.repeats !== null);
    if (!groups.length) return null;
    const rounds = Math.max(...groups.map((g) => g.repeats!.rounds.length));
    return {
      tables: [
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
      ],
      csv: groups.flatMap((g) => g.repeats!.rounds.map((s) => [...groupValues(g), s.round, s.n, s.n ? s.mean : null, s.sd, s.n ? s.min : null, s.n ? s.max : null])),
      perRepeat: groups.flatMap((g) => g.repeats!.repeats.flatMap((rep) => rep.rates.map((x) => [...groupValues(g), rep.repeat, ...rateValues(x)]))),
    };
  },

  html(r) {
    const game = pickGame(r);
    return game ? [`<section id="game"><h2>A game, round by round</h2>\n${gameHtml(game)}</section>`] : [];
  },

  table: (finished) => collusionTable(collusionRateGroups(finished)),
};
