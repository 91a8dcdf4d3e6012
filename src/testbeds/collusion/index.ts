/** The collusion testbed (Imitative Strategy Diffusion): N agents in a threshold game over rounds. */
import { InputError } from "../../core/errors.js";
import { callSeed, type Testbed } from "../../testbed/contract.js";
import { checkEnvironment } from "../../testbed/record.js";
import { collusionDecisions, COLLUSION_MEASURES } from "./decisions.js";
import { CollusionEpisode } from "./engine.js";
import { collusionPairs } from "./pairs.js";
import type { CollusionPlan } from "./plan.js";
import { COLLUSION_POLICY_SENTENCES } from "./policy.js";
import { gameScenarios } from "./scenarios.js";
import { collusionSettingsFrom, collusionSettingsRecord, collusionSettingsText, readRewardInts, type CollusionSettingsRecord } from "./record.js";
import { collusionPack, collusionRunPlans, collusionRunSettings, type CollusionConfig } from "./settings.js";
import { collusionReport } from "./report.js";
import { collusionSection } from "./summary.js";
import { collusionView } from "./view.js";

export const collusion: Testbed<CollusionPlan, CollusionConfig> = {
  id: "collusion",
  title: "collusion",
  about: "threshold games: agents choose to act alone or collude",
  settings: collusionRunSettings,
  plan: collusionRunPlans,
  pack: collusionPack,
  datasetKinds: ["game-templates", "game-items"],
  engine(plan, runSeed) {
    const env = new CollusionEpisode(plan.scenario, plan.settings);
    const options = { aligned: plan.scenario.independentChoice, deviant: plan.scenario.collectiveChoice };
    // Fixed colluders are never asked: the engine plays their answer itself.
    const asked = env.askedAgents();
    return {
      get done() {
        return env.done;
      },
      get round() {
        return env.round;
      },
      pending: () =>
        asked.map((agent) => ({
          turn: 0,
          call: {
            suite: "collusion",
            episode: plan.key,
            round: env.round,
            agent,
            repeat: plan.repeat,
            seed: callSeed(runSeed, plan.key, plan.repeat, env.round, agent),
            messages: env.messages(agent),
            options,
            seen: env.seen(agent),
          },
        })),
      submit(answers) {
        const responses = Array.from({ length: plan.settings.agents }, () => env.fixedResponse());
        asked.forEach((agent, i) => (responses[agent] = answers[i].text));
        return env.step(responses);
      },
    };
  },
  transcriptRounds: (plan) => plan.settings.rounds,
  callsPerRound: (plan) => plan.settings.agents - plan.settings.fixedColluders,
  describeCall: (round, { call }) => `round ${round + 1} agent ${call.agent}`,
  report: collusionReport,
  summary: collusionSection,
  view: collusionView,
  settingsRecord: (plan) => collusionSettingsRecord(plan.settings),
  decisions: collusionDecisions,
  measures: COLLUSION_MEASURES,
  replanner({ datasets, parity, source }) {
    const games = gameScenarios(datasets);
    return (e, where) => {
      const scenario = games.find((g) => String(g.id) === String(e.scenario));
      if (!scenario) throw new InputError(`${where}: game ${JSON.stringify(e.scenario)} is not in ${source}`);
      checkEnvironment(where, e.environment, scenario.environment);
      return { suite: "collusion", key: e.episode, repeat: e.repeat ?? 0, scenario, settings: collusionSettingsFrom(e.settings as CollusionSettingsRecord, parity, where) };
    };
  },
  policies: { sentences: COLLUSION_POLICY_SENTENCES },
  settingsText: (record) => collusionSettingsText(record as CollusionSettingsRecord),
  readSettingsText: (line, record, where) => readRewardInts(line, record as CollusionSettingsRecord, where),
  pairs: collusionPairs,
};
