/**
 * The report of a testbed that has none of its own but declares measures: each measure's rate
 * per round, per group of its axes, with 95% Wilson intervals, as a section with a chart, a
 * CSV file, JSON and `atp run`'s table. Read from the testbed's decision rows, so it works for
 * a testbed this code has never heard of.
 */
import { measureRates as ratesOf, type MeasureRates } from "../metrics/measures.js";
import type { Testbed } from "../testbed/contract.js";
import { unplayedTranscript } from "../metrics/rates.js";
import type { RunPlan } from "../testbeds/registry.js";
import type { LoadedRun } from "./load.js";
import { chart, csv, DASH, plural, rateCell, roundHeaders, table, testbedEpisodes, text, type Block, type FinishedEpisode, type TestbedReport } from "./sections.js";
import { measureLabel, measuresTable } from "./tables.js";

/** "role-play" as a heading starts: "Role-play". */
const heading = (title: string) => title.charAt(0).toUpperCase() + title.slice(1);

export type { MeasureRates } from "../metrics/measures.js";

/**
 * Each measure's groups over the decisions of the finished episodes; the planned decisions of
 * `unfinished` episodes (failed, or not done yet) count as missing, as the report counts them
 * for every testbed.
 */
export function measureRates(testbed: Testbed<RunPlan>, finished: FinishedEpisode<RunPlan>[], unfinished: RunPlan[] = []): MeasureRates[] {
  return ratesOf(testbed, [
    ...finished,
    // With no rounds, every planned decision is a failed row.
    ...unfinished.map((plan) => ({ plan, transcript: unplayedTranscript(plan, testbed.settingsRecord(plan)) })),
  ]);
}

/** The report built from a testbed's measures; null for a testbed without measures or decisions. */
export function measureReport(testbed: Testbed<RunPlan>): TestbedReport<RunPlan> | null {
  if (!testbed.measures?.length || !testbed.decisions) return null;
  const title = heading(testbed.title);
  const chartName = `measures-${testbed.id}`;
  const mine = (r: LoadedRun) => testbedEpisodes(r, testbed.id);
  const rates = (r: LoadedRun) => {
    const t = mine(r);
    if (!t || !t.played.length) return null;
    return { played: t.played.length, measures: r.summary.measures[testbed.id] ?? [] };
  };
  return {
    settings(r) {
      const t = mine(r);
      return t ? [title, `${plural(t.plans.length, "episode")}, measures ${testbed.measures!.map((m) => m.title).join(", ")}`] : null;
    },

    sections(r) {
      const m = rates(r);
      if (!m) return {};
      const blocks: Block[] = [
        text(
          `${plural(m.played, "finished episode")}. Rates in % with 95% Wilson intervals, per round and per group of each measure's axes; ` +
            "unparseable answers count as misses and are also shown apart; decisions lost to failed calls are left out and counted as missing.",
        ),
      ];
      for (const { measure, groups } of m.measures) {
        const rounds = Math.max(0, ...groups.map((g) => g.rounds.length));
        const missing = groups.some((g) => g.rounds.some((x) => x.failed > 0));
        blocks.push(
          text(`${heading(measure.title)}${measure.by.length ? ` by ${measure.by.join(", ")}` : ""}.`),
          table(
            [...(measure.by.length ? measure.by : ["Measure"]), "Episodes", ...roundHeaders(rounds), "Unparseable", ...(missing ? ["Missing"] : [])],
            groups.map((g) => [
              ...(measure.by.length ? measure.by.map((axis) => String(g.axes[axis])) : [measure.title]),
              String(g.episodes),
              ...Array.from({ length: rounds }, (_, i) => (g.rounds[i] ? rateCell(g.rounds[i], g.rounds[i].total) : DASH)),
              String(g.rounds.reduce((n, x) => n + x.unparseable, 0)),
              ...(missing ? [String(g.rounds.reduce((n, x) => n + x.failed, 0))] : []),
            ]),
            Math.max(1, measure.by.length),
          ),
        );
      }
      blocks.push(chart(chartName));
      return { main: [{ id: testbed.id, title: `${title}: rates by round`, blocks }] };
    },

    charts(r, { measuresChart }) {
      const m = rates(r);
      if (!m) return {};
      const series = m.measures
        .flatMap(({ measure, groups }) =>
          groups.map((g) => ({ label: measureLabel(measure, g), points: g.rounds.filter((x) => x.total > 0).map((x) => ({ round: x.round, rate: x.rate, low: x.low, high: x.high })) })),
        )
        .filter((s) => s.points.length > 0);
      return series.length ? { main: [{ name: chartName, title: `${title}: rates by round`, spec: measuresChart(`${title}: rates by round`, series) }] } : {};
    },

    csv(r) {
      const m = rates(r);
      if (!m) return {};
      // One row per measure, group and round; `group` spells the group's axes as `axis=value` joined by `;`.
      const rows = m.measures.flatMap(({ measure, groups }) =>
        groups.flatMap((g) => {
          const group = Object.entries(g.axes).map(([axis, value]) => `${axis}=${value}`).join(";");
          return g.rounds.map((x) => [measure.id, group, g.episodes, x.round, x.hits, x.unparseable, x.failed, x.total, x.total ? x.rate : null, x.low, x.high]);
        }),
      );
      return { main: [[`${testbed.id}_measures.csv`, csv(["measure", "group", "episodes", "round", "hits", "unparseable", "missing", "total", "rate", "ci_low", "ci_high"], rows)]] };
    },

    json(r) {
      const m = rates(r);
      return m ? { measures: { [testbed.id]: Object.fromEntries(m.measures.map(({ measure, groups }) => [measure.id, { title: measure.title, by: measure.by, groups }])) } } : {};
    },

    table: (finished) => measuresTable(title, finished.length, measureRates(testbed, finished)),
  };
}

/** What a testbed shows: its own report, or the one built from its measures; null when it has neither. */
export function reportOf(testbed: Testbed<RunPlan>): TestbedReport<RunPlan> | null {
  return testbed.report ?? measureReport(testbed);
}
