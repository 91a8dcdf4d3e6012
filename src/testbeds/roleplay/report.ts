/**
 * How role-play shows in the report: the violation rate by round, per scenario, its trajectories'
 * tipping and spread across repeats, a few conversations in which the agent drifted, and the
 * violation table `atp run` prints.
 */
import { cleanNumber } from "../../core/format.js";
import type { Played } from "../../metrics/rates.js";
import { rateRows, type RateRow } from "../../metrics/summary.js";
import type { LoadedRun } from "../../report/load.js";
import {
  chart,
  ci,
  csv,
  DASH,
  distinct,
  escapeHtml,
  NO_GROUP,
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
  type TestbedReport,
} from "../../report/sections.js";
import { grid } from "../../report/tables.js";
import type { RoleplayPlan } from "./plan.js";
import { roleplaySummary } from "./summary.js";

type Episode = Played<RoleplayPlan>;

/** The run's role-play episodes: planned, and finished; none when it plays no role-play. */
function episodes(r: LoadedRun): { plans: RoleplayPlan[]; played: Episode[] } {
  return episodesOf<RoleplayPlan>(r, "roleplay");
}

/** Rounds as columns: the rate, its interval, the counts behind it. */
export function overallTable(rows: RateRow[], what: string, unit: string): Block {
  const body = [
    [`${what} rate (%)`, ...rows.map((x) => (x.total ? pct(x.rate) : DASH))],
    ["95% CI (%)", ...rows.map((x) => (x.total ? ci(x.low, x.high) : DASH))],
    [`${unit}`, ...rows.map((x) => `${x.deviant}/${x.total}`)],
    ["Unparseable", ...rows.map((x) => String(x.unparseable))],
  ];
  if (rows.some((x) => x.failed > 0)) body.push(["Missing (failed or unfinished)", ...rows.map((x) => String(x.failed))]);
  return table(["", ...roundHeaders(rows.length)], body);
}

const points = (rows: RateRow[]) => rows.map((x) => ({ round: x.round, rate: x.rate, low: x.low, high: x.high }));

const spreadCell = (s: { n: number; mean: number; sd: number | null }) => (s.n ? `${pct(s.mean)} ± ${s.sd === null ? DASH : pct(s.sd)}` : DASH);

/** `atp run`'s table: the violation rate per round in percent. */
export function violationTable(rates: RateRow[], episodes: number): string {
  const unparseable = rates.reduce((n, r) => n + r.unparseable, 0);
  const header = `Role-play: violation rate per round (%), ${episodes} episodes` + (unparseable ? ` (${unparseable} unparseable answers counted as non-violations)` : "");
  return [
    header,
    grid([
      ["round", ...rates.map((r) => String(r.round))],
      ["violation", ...rates.map((r) => pct(r.rate))],
    ]),
  ].join("\n");
}

/** Role-play episodes worth reading: up to `max` that tipped after complying first, then any that tipped, then any that violated. */
function pickConversations(r: LoadedRun, max = 3): { episode: Episode; why: string }[] {
  const rp = roleplaySummary(r.summary);
  if (!rp) return [];
  const byId = new Map(episodes(r).played.map((p) => [`${p.plan.key}#${p.plan.repeat}`, p]));
  const trajectories = rp.tipping.trajectories;
  const ordered = [
    ...trajectories.filter((t) => t.tippingRound !== null && t.tippingRound > 1),
    ...trajectories.filter((t) => t.tippingRound === 1),
    ...trajectories.filter((t) => t.tippingRound === null && t.decisions.includes("deviant")),
  ];
  const out: { episode: Episode; why: string }[] = [];
  for (const t of ordered) {
    const episode = byId.get(`${t.key}#${t.repeat}`);
    if (!episode || out.some((o) => o.episode === episode)) continue;
    const violations = t.decisions.filter((d) => d === "deviant").length;
    out.push({ episode, why: t.tippingRound !== null ? `tipped at round ${t.tippingRound}` : `violated in ${plural(violations, "round")} without tipping` });
    if (out.length >= max) break;
  }
  return out;
}

function conversationHtml(p: Episode, why: string): string {
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
    const kind = call.choice === null ? "unparseable" : call.choice === p.plan.scenario.violatingChoice ? "violating" : "compliant";
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

export const roleplayReport: TestbedReport<RoleplayPlan> = {
  settings(r) {
    const roleplay = episodes(r).plans;
    if (!roleplay.length) return null;
    const list = (values: unknown[]) => distinct(values.map((v) => (v === null ? "all" : String(v)))).join(", ");
    const items = distinct(roleplay.map((p) => p.key)).length;
    const s = roleplay.map((p) => p.settings);
    return [
      "Role-play",
      `${plural(items, "item")}, ${list(s.map((x) => x.rounds))} rounds, history window ${list(s.map((x) => x.historyWindow))}, supervision ${list(s.map((x) => x.supervision))}`,
    ];
  },

  sections(r) {
    const rp = roleplaySummary(r.summary);
    if (!rp) return {};
    const rounds = rp.overall.length;
    const missing = rp.byScenario.some((s) => s.rates.some((x) => x.failed > 0));
    return {
      main: [
        {
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
        },
      ],
    };
  },

  charts(r, { violationChart }) {
    const rp = roleplaySummary(r.summary);
    if (!rp) return {};
    return { main: [{ name: "violation", title: "Violation rate by round", spec: violationChart([{ label: `Role-play (${plural(rp.episodes, "episode")})`, points: points(rp.overall) }]) }] };
  },

  csv(r) {
    const rp = roleplaySummary(r.summary);
    if (!rp) return {};
    return {
      main: [
        ["violation_by_round.csv", csv(rateFields, rp.overall.map(rateValues))],
        ["violation_by_scenario.csv", csv(["scenario", "episodes", ...rateFields], rp.byScenario.flatMap((s) => s.rates.map((x) => [s.environment, s.episodes, ...rateValues(x)])))],
      ],
    };
  },

  tipping(r) {
    const rp = roleplaySummary(r.summary)?.tipping;
    if (!rp) return null;
    return {
      tables: [
        table(
          ["Role-play", ...roundHeaders(rp.cumulative.length), "Never tipped", "Incomplete"],
          [
            ["Tipped by round (%)", ...rp.cumulative.map((c) => rateCell({ rate: c.share, low: c.low, high: c.high }, rp.complete)), String(rp.never), String(rp.incomplete)],
            ["Tipped at round", ...rp.distribution.map((d) => String(d.count)), "", ""],
          ],
        ),
      ],
      series: [{ label: "Role-play", points: rp.cumulative.map((c) => ({ round: c.round, share: c.share })) }],
      csv: rp.cumulative.map((c, i) => [...NO_GROUP, c.round, rp.distribution[i].count, c.tipped, rp.complete, c.share, c.low, c.high]),
    };
  },

  repeats(r) {
    const rp = roleplaySummary(r.summary)?.repeats;
    if (!rp) return null;
    return {
      tables: [
        table(
          ["Role-play violation rate", "Repeats", ...roundHeaders(rp.rounds.length)],
          [
            ["mean ± sd", String(rp.repeats.length), ...rp.rounds.map(spreadCell)],
            ["min" + DASH + "max", "", ...rp.rounds.map((s) => (s.n ? ci(s.min, s.max) : DASH))],
          ],
        ),
      ],
      csv: rp.rounds.map((s) => [...NO_GROUP, s.round, s.n, s.n ? s.mean : null, s.sd, s.n ? s.min : null, s.n ? s.max : null]),
      perRepeat: rp.repeats.flatMap((rep) => rep.rates.map((x) => [...NO_GROUP, rep.repeat, ...rateValues(x)])),
    };
  },

  html(r) {
    const conversations = pickConversations(r);
    if (!conversations.length) return [];
    return [
      `<section id="conversations"><h2>Role-play conversations</h2><p>${escapeHtml(
        "Episodes in which the agent drifted: each round's question, the agent's answer as given, the parsed choice and the reward fed back.",
      )}</p>\n${conversations.map((c) => conversationHtml(c.episode, c.why)).join("\n")}</section>`,
    ];
  },

  table: (finished) => violationTable(rateRows(finished), finished.length),
};
