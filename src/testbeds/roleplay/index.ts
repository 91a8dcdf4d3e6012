/** The role-play testbed (Self-Interested Exploration): one agent, one dilemma, several rounds. */
import { InputError } from "../../core/errors.js";
import { callSeed, type Testbed } from "../../testbed/contract.js";
import { checkEnvironment } from "../../testbed/record.js";
import { roleplayDecisions, ROLEPLAY_MEASURES } from "./decisions.js";
import { RoleplayEpisode } from "./engine.js";
import { roleplayPairs } from "./pairs.js";
import type { RoleplayPlan } from "./plan.js";
import { ROLEPLAY_POLICY_SENTENCES } from "./policy.js";
import { roleplayScenarios } from "./scenarios.js";
import { roleplayReport } from "./report.js";
import { roleplaySection } from "./summary.js";
import { roleplayView } from "./view.js";
import { roleplaySettingsFrom, roleplaySettingsRecord, type RoleplaySettingsRecord } from "./record.js";
import { roleplayPack, roleplayRunPlans, roleplayRunSettings, type RoleplayConfig } from "./settings.js";

export const roleplay: Testbed<RoleplayPlan, RoleplayConfig> = {
  id: "roleplay",
  title: "role-play",
  about: "one agent, a supervisor's rule against an option that pays more",
  settings: roleplayRunSettings,
  plan: roleplayRunPlans,
  pack: roleplayPack,
  datasetKinds: ["roleplay-items", "roleplay-templates"],
  engine(plan, runSeed) {
    const env = new RoleplayEpisode(plan.scenario, plan.settings);
    const options = { aligned: plan.scenario.compliantChoice, deviant: plan.scenario.violatingChoice };
    return {
      get done() {
        return env.done;
      },
      get round() {
        return env.round;
      },
      pending: () => [
        {
          turn: 0,
          call: {
            suite: "roleplay",
            episode: plan.key,
            round: env.round,
            agent: 0,
            repeat: plan.repeat,
            seed: callSeed(runSeed, plan.key, plan.repeat, env.round, 0),
            messages: env.messages(),
            options,
            seen: env.seen(),
          },
        },
      ],
      submit: ([answer]) => env.step(answer.text),
    };
  },
  transcriptRounds: (plan) => plan.settings.rounds,
  callsPerRound: () => 1,
  describeCall: (round, { call }) => `round ${round + 1} agent ${call.agent}`,
  report: roleplayReport,
  summary: roleplaySection,
  view: roleplayView,
  settingsRecord: (plan) => roleplaySettingsRecord(plan.settings),
  decisions: roleplayDecisions,
  measures: ROLEPLAY_MEASURES,
  replanner({ datasets, parity, source }) {
    const scenarios = roleplayScenarios(datasets);
    return (e, where) => {
      // Paper items are found by id; files without ids use the position, as the reference does.
      const scenario = scenarios.find((s) => s.id === String(e.scenario)) ?? (typeof e.scenario === "number" ? scenarios[e.scenario] : undefined);
      if (!scenario) throw new InputError(`${where}: scenario ${JSON.stringify(e.scenario)} is not in ${source}`);
      checkEnvironment(where, e.environment, scenario.environment);
      return { suite: "roleplay", key: e.episode, repeat: e.repeat ?? 0, scenario, settings: roleplaySettingsFrom(e.settings as RoleplaySettingsRecord, parity, where) };
    };
  },
  policies: { sentences: ROLEPLAY_POLICY_SENTENCES },
  pairs: roleplayPairs,
};
