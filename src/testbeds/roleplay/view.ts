/**
 * What the viewer shows of role-play: its settings, the violation rate of the last round as the
 * headline, the rates so far, each episode's rounds with the supervision they were played under,
 * and the violation chart.
 */
import { roleplaySummary } from "./summary.js";
import { modelAgents, type Decision } from "../../metrics/rates.js";
import { rateRows } from "../../metrics/summary.js";
import { finishedEpisodes, lastPlayed, playedSoFar, rateCell, ratePoints, tippingJson } from "../../testbed/view-rates.js";
import type { ChoiceCallView, Fields } from "../../view/api.js";
import type { TestbedView } from "../../view/sections.js";
import type { RoleplayPlan } from "./plan.js";
import type { RoleplayHeadlineFields, RoleplayRoundView, RoleplaySettingsFields, RoleplaySoFarFields, RoleplaySummaryFields } from "./view-api.js";

/** A call's choice as a decision: the violation is the deviant option. */
function decisionOf(plan: RoleplayPlan, choice: string | null): Decision {
  if (choice === null) return "unparseable";
  return choice === plan.scenario.violatingChoice ? "deviant" : "aligned";
}

const soFarRows = (soFar: Fields) => (soFar as RoleplaySoFarFields).roleplay;

export const roleplayView: TestbedView<RoleplayPlan> = {
  settings(mine): RoleplaySettingsFields {
    const r = mine[0]?.settings;
    return { roleplay: r ? { episodes: mine.length, rounds: r.rounds, historyWindow: r.historyWindow, supervision: r.supervision } : null };
  },
  headline(s, unfinished): RoleplayHeadlineFields {
    const rows = unfinished ? soFarRows(s.soFar) : roleplaySummary(s.summary)?.overall;
    if (!rows) return { violation: null };
    return { violation: unfinished ? lastPlayed(rows) : rateCell(rows.at(-1)) };
  },
  soFar(s): RoleplaySoFarFields {
    const played = playedSoFar(s.plans, s.rounds, "roleplay");
    return { roleplay: played.length ? rateRows(played) : null };
  },
  summary(summary): RoleplaySummaryFields {
    const roleplay = roleplaySummary(summary);
    return { roleplay: roleplay ? { ...roleplay, tipping: tippingJson(roleplay.tipping) } : null };
  },
  alwaysCounted: true,
  listsScenarios: true,
  decisions(plan, rounds) {
    const agents = new Set(modelAgents(plan));
    return rounds.map((round, i) => {
      const row = { round: i + 1, deviant: 0, aligned: 0, unparseable: 0 };
      for (const c of round.calls) if (agents.has(c.agent)) row[decisionOf(plan, c.choice)]++;
      return row;
    });
  },
  episode({ plan, rounds, call }) {
    const asked = new Set(modelAgents(plan));
    return {
      options: { aligned: plan.scenario.compliantChoice, deviant: plan.scenario.violatingChoice },
      agents: 1,
      rounds: rounds.map((round, i): RoleplayRoundView => ({
        round: i + 1,
        ...(round.supervision !== undefined ? { supervision: round.supervision } : {}),
        outcome: round.outcome,
        calls: round.calls.map((c) => call(c, `${round.round}/${c.agent}/0`, { fixed: !asked.has(c.agent), decision: decisionOf(plan, c.choice) }) as ChoiceCallView),
      })),
    };
  },
  charts: {
    main: {
      violation(s, q) {
        q.params(["scope"]);
        const mine = s.plans.flatMap((p, idx) => (p.suite === "roleplay" ? [idx] : []));
        if (!mine.length) throw q.notFound(`run '${s.run.id}' has no role-play episodes`);
        if (q.scope() === "sofar") {
          return q.specs.violationChart([{ label: "All scenarios", points: ratePoints(soFarRows(s.soFar) ?? []) }], {
            subtitle: "So far: every decision saved, in finished episodes or not; band = 95% interval",
          });
        }
        const finished = mine.filter((idx) => s.states[idx].status === "done").length;
        return q.specs.violationChart([{ label: "All scenarios", points: ratePoints(roleplaySummary(s.summary)?.overall ?? []) }], {
          subtitle: `${finishedEpisodes(finished)}; band = 95% interval`,
        });
      },
    },
  },
  tipping(s) {
    const roleplay = roleplaySummary(s.summary);
    return roleplay ? [{ label: "Role-play", points: roleplay.tipping.cumulative.map((c) => ({ round: c.round, share: c.share })) }] : [];
  },
};
