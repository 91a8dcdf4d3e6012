/**
 * What the viewer shows of tool use: its settings, the tool-use rate and hard-problem accuracy
 * of the first and last round as the headline, the rates per round of the finished episodes and
 * of every problem saved so far, each episode's problems with every call made for them, and the
 * tool-use chart.
 */
import { toolUseSummary } from "./summary.js";
import { finishedEpisodes } from "../../testbed/view-rates.js";
import { toTranscript } from "../../transcript/episode.js";
import type { TranscriptRound } from "../../transcript/types.js";
import type { Decision } from "../../view/api.js";
import type { TestbedView } from "../../view/sections.js";
import type { RunSnapshot } from "../../view/data.js";
import { toolUseRates, type Proportion, type ToolUseRoundRates } from "./measures.js";
import type { ToolUsePlan } from "./plan.js";
import { toolUseSeries } from "./report.js";
import type { ProblemView, ToolUseDetailFields, ToolUseEnds, ToolUseHeadlineFields, ToolUseRoundDecisions, ToolUseSettingsFields } from "./view-api.js";

/** Tool-use rates per round, of the finished episodes and of every problem saved so far, as the snapshot's load read them. */
const ratesOf = (s: RunSnapshot) => (s.parts.get("tooluse") ?? null) as ToolUseDetailFields["toolUse"];

/** What an answered problem counts as. */
function toolUseDecision(detail: NonNullable<TranscriptRound["detail"]>): Decision {
  return detail.answer === null ? "unparseable" : detail.used_tool ? "aligned" : "deviant";
}

function ends(rates: ToolUseRoundRates[], of: (r: ToolUseRoundRates) => Proportion): ToolUseEnds {
  const played = rates.filter((r) => of(r).n > 0);
  return { first: played.length ? of(played[0]) : null, last: played.length ? of(played[played.length - 1]) : null };
}

export const toolUseView: TestbedView<ToolUsePlan> = {
  load(s, loaded) {
    const finished = toolUseSummary(loaded.summary);
    return finished
      ? { rates: finished.rates, soFar: toolUseRates(s.plans.flatMap((plan, idx) => (plan.suite === "tooluse" ? [toTranscript(plan, s.rounds.get(idx) ?? [])] : []))) }
      : null;
  },
  settings(tools): ToolUseSettingsFields {
    const t = tools[0]?.settings;
    return {
      toolUse: t
        ? {
            episodes: tools.length,
            rounds: t.rounds,
            easy: t.easyPerRound,
            hard: t.hardPerRound,
            difficulty: t.difficulty,
            protocol: t.protocol,
            maxToolCalls: t.maxToolCalls,
            historyWindow: t.historyWindow,
            rewards: { ...t.rewards },
            costs: { ...t.costs },
          }
        : null,
    };
  },
  headline(s, unfinished): ToolUseHeadlineFields {
    const view = ratesOf(s);
    const rates = view ? (unfinished ? view.soFar : view.rates) : null;
    return { toolUse: rates ? { toolUse: ends(rates, (r) => r.toolUse), hardAccuracy: ends(rates, (r) => r.hardAccuracy) } : null };
  },
  /** Tool-use rates per round (finished episodes, and every problem saved so far), when the run plays tool use. */
  detail: (s): ToolUseDetailFields => ({ toolUse: ratesOf(s) }),
  decisions(_plan, rounds) {
    const out: ToolUseRoundDecisions[] = [];
    for (const r of rounds) {
      if (!r.detail) continue;
      const i = r.detail.evolution_round;
      while (out.length <= i) out.push({ round: out.length + 1, deviant: 0, aligned: 0, unparseable: 0, correct: 0 });
      out[i][toolUseDecision(r.detail)]++;
      if (r.detail.correct) out[i].correct++;
    }
    return out;
  },
  /** Its problems in order, each with every call made for it and how it was scored. */
  episode({ plan, rounds, call }) {
    const perRound = plan.settings.easyPerRound + plan.settings.hardPerRound;
    return {
      agents: 1,
      rounds: rounds.map((round, i) => {
        const d = round.detail!;
        const problem: ProblemView = {
          /** The problem's place in the episode, from 1. */
          round: i + 1,
          evolutionRound: d.evolution_round + 1,
          /** Its place within its round, from 1. */
          position: (i % perRound) + 1,
          detail: d,
          decision: toolUseDecision(d),
          reward: round.calls.at(-1)?.reward ?? 0,
          outcome: round.outcome,
          calls: round.calls.map((c, k) => call(c, `${round.round}/0/${k}`)),
        };
        return problem;
      }),
    };
  },
  charts: {
    afterTipping: {
      tooluse(s, q) {
        q.params(["scope"]);
        const view = ratesOf(s);
        if (!view) throw q.notFound(`run '${s.run.id}' has no tool-use episodes`);
        if (q.scope() === "sofar") {
          return q.specs.toolUseChart(toolUseSeries(view.soFar), { subtitle: "So far: every problem saved, in finished episodes or not; band = 95% interval" });
        }
        const finished = s.plans.filter((p, idx) => p.suite === "tooluse" && s.states[idx].status === "done").length;
        return q.specs.toolUseChart(toolUseSeries(view.rates), { subtitle: `${finishedEpisodes(finished)}; share of problems; band = 95% interval` });
      },
    },
  },
};
