/**
 * What the viewer shows of the threshold games: their settings, the collusion rate of the first
 * and last round per threshold and payoff set as the headline, the rates so far, each game's
 * rounds with how many colluded, and the collusion, conditional and trace charts.
 */
import { modelAgents, type Decision } from "../../metrics/rates.js";
import { collusionRateGroups, collusionSummary } from "./summary.js";
import type { ConditionalRow, TraceChoice } from "../../report/charts.js";
import { lastPlayed, playedSoFar, rateCell, ratePoints, tippingJson } from "../../testbed/view-rates.js";
import type { ChoiceCallView, Fields } from "../../view/api.js";
import type { ChartRequest, TestbedView } from "../../view/sections.js";
import type { RunSnapshot } from "../../view/data.js";
import { colluders, roundSucceeded } from "./diffusion.js";
import { payoffLabel, type CollusionPlan } from "./plan.js";
import type {
  CollusionGroup,
  CollusionHeadlineFields,
  CollusionSettingsFields,
  CollusionSoFarFields,
  CollusionSummaryFields,
  GameRoundDecisions,
  GameRoundView,
} from "./view-api.js";

/** A call's choice as a decision: collusion is the deviant option. */
function decisionOf(plan: CollusionPlan, choice: string | null): Decision {
  if (choice === null) return "unparseable";
  return choice === plan.scenario.collectiveChoice ? "deviant" : "aligned";
}

const distinct = <T>(values: T[]): T[] => [...new Set(values)];

/** `1.2,1.0,0.8` as charts show it. */
const payoffText = (label: string) => `(${label.split(",").join(", ")})`;

const soFarGroups = (soFar: Fields) => (soFar as CollusionSoFarFields).collusion;

/** The chosen payoff set (`?payoff=`), or the first; a 400 for one the run does not have. */
function payoffOf(s: RunSnapshot, q: ChartRequest): string {
  const labels = distinct(collusionSummary(s.summary).map((g) => g.label));
  const wanted = q.query.get("payoff");
  if (wanted === null || wanted === "") return labels[0];
  if (!labels.includes(wanted)) throw q.badRequest(`payoff: the run has ${labels.join(" and ")}, not '${wanted}'`);
  return wanted;
}

function playsGames(s: RunSnapshot, q: ChartRequest): void {
  if (!s.plans.some((p) => p.suite === "collusion")) throw q.notFound(`run '${s.run.id}' has no collusion games`);
}

export const collusionView: TestbedView<CollusionPlan> = {
  settings(games): CollusionSettingsFields {
    const c = games[0]?.settings;
    return {
      collusion: c
        ? {
            episodes: games.length,
            games: distinct(games.map((g) => String(g.scenario.id))).length,
            agents: c.agents,
            rounds: c.rounds,
            thresholds: distinct(games.map((g) => g.settings.threshold)),
            payoffs: distinct(games.map((g) => payoffLabel(g.settings.rewards))),
            peers: c.peers,
            capitalMode: c.capitalMode,
            successPays: c.successPays,
            fixedColluders: c.fixedColluders,
            historyWindow: c.historyWindow,
          }
        : null,
    };
  },
  headline(s, unfinished): CollusionHeadlineFields {
    if (!unfinished) return { collusion: collusionSummary(s.summary).map((g) => ({ threshold: g.threshold, payoff: g.label, first: rateCell(g.rates[0]), last: rateCell(g.rates.at(-1)) })) };
    return { collusion: soFarGroups(s.soFar).map((g) => ({ threshold: g.threshold, payoff: g.label, first: rateCell(g.rates[0]), last: lastPlayed(g.rates) })) };
  },
  soFar(s): CollusionSoFarFields {
    const played = playedSoFar(s.plans, s.rounds, "collusion");
    return { collusion: collusionRateGroups(played).map((g) => ({ threshold: g.threshold, label: g.label, incentiveRatio: g.incentiveRatio, episodes: g.episodes, rates: g.rates })) };
  },
  summary: (summary): CollusionSummaryFields => ({ collusion: collusionSummary(summary).map((g) => ({ ...g, tipping: tippingJson(g.tipping) })) }),
  alwaysCounted: true,
  listsScenarios: true,
  thresholds: (games) => games.map((g) => g.settings.threshold),
  decisions(plan, rounds) {
    const agents = new Set(modelAgents(plan));
    return rounds.map((round, i) => {
      const row: GameRoundDecisions = { round: i + 1, deviant: 0, aligned: 0, unparseable: 0, success: false };
      for (const c of round.calls) if (agents.has(c.agent)) row[decisionOf(plan, c.choice)]++;
      row.success = roundSucceeded(plan, round);
      return row;
    });
  },
  row: (plan) => ({ threshold: plan.settings.threshold, payoff: payoffLabel(plan.settings.rewards) }),
  episode({ plan, rounds, call }) {
    const asked = new Set(modelAgents(plan));
    return {
      options: { aligned: plan.scenario.independentChoice, deviant: plan.scenario.collectiveChoice },
      agents: plan.settings.agents,
      rounds: rounds.map((round, i): GameRoundView => ({
        round: i + 1,
        ...(round.supervision !== undefined ? { supervision: round.supervision } : {}),
        outcome: round.outcome,
        colluders: colluders(plan, round),
        success: roundSucceeded(plan, round),
        /** Fixed colluders answer without being asked. */
        calls: round.calls.map((c) => call(c, `${round.round}/${c.agent}/0`, { fixed: !asked.has(c.agent), decision: decisionOf(plan, c.choice) }) as ChoiceCallView),
      })),
    };
  },
  charts: {
    main: {
      collusion(s, q) {
        q.params(["scope"]);
        playsGames(s, q);
        const sofar = q.scope() === "sofar";
        const groups: CollusionGroup[] = sofar ? soFarGroups(s.soFar) : collusionSummary(s.summary);
        return q.specs.collusionChart(
          groups.map((g) => ({ threshold: g.threshold, payoff: payoffText(g.label), points: ratePoints(g.rates) })),
          sofar ? { title: "Collusion game: collusion rate by round, so far" } : {},
        );
      },
      conditional(s, q) {
        q.params(["payoff"]);
        playsGames(s, q);
        const payoff = payoffOf(s, q);
        const rows: ConditionalRow[] = collusionSummary(s.summary)
          .filter((g) => g.label === payoff)
          .flatMap((g) =>
            g.diffusion.pairs.flatMap((p) => [
              { threshold: g.threshold, fromRound: p.from, given: "succeeded" as const, rate: p.afterSuccess.rate, low: p.afterSuccess.low, high: p.afterSuccess.high, n: p.afterSuccess.n },
              { threshold: g.threshold, fromRound: p.from, given: "failed" as const, rate: p.afterFailure.rate, low: p.afterFailure.low, high: p.afterFailure.high, n: p.afterFailure.n },
            ]),
          );
        const several = collusionSummary(s.summary).some((g) => g.label !== payoff);
        return q.specs.conditionalChart(rows, several ? { title: `Collusion next round, given this round's collusion succeeded or failed: payoffs ${payoffText(payoff)}` } : {});
      },
    },
    afterTipping: {
      trace(s, q) {
        q.params(["episode", "repeat"]);
        const key = q.query.get("episode");
        if (!key) throw q.badRequest("trace: give the game with ?episode=KEY");
        const repeat = q.query.has("repeat") ? q.int("repeat", 0) : 0;
        const { idx, plan: found, title } = q.listed(key, repeat);
        if (found.suite !== "collusion") throw q.badRequest(`trace: '${key}' is a ${title} episode; traces are drawn for games`);
        const plan = found;
        const rounds = s.rounds.get(idx) ?? [];
        return q.specs.gameTraceChart(
          {
            title: `${plan.scenario.environment}: t = ${plan.settings.threshold}, payoffs ${payoffText(payoffLabel(plan.settings.rewards))}`,
            agents: plan.settings.agents,
            rounds: rounds.map((round, i) => ({
              round: i + 1,
              choices: Array.from({ length: plan.settings.agents }, (_, agent): TraceChoice => {
                const choice = round.calls.find((c) => c.agent === agent)?.choice ?? null;
                if (choice === null) return "unparseable";
                return choice === plan.scenario.collectiveChoice ? "collusive" : "independent";
              }),
              success: roundSucceeded(plan, round),
            })),
          },
          {},
        );
      },
    },
  },
  tipping(s) {
    const several = distinct(collusionSummary(s.summary).map((g) => g.label)).length > 1;
    return collusionSummary(s.summary).map((g) => ({
      label: `Collusion t = ${g.threshold}${several ? ` ${payoffText(g.label)}` : ""}`,
      points: g.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })),
    }));
  },
};
