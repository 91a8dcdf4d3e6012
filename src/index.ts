/**
 * What a testbed of one's own needs of atp-testbed: the contract, the settings declaration, the
 * call seed, the errors that name a file and field, and the registration. A module that calls
 * `registerTestbed` and is loaded before the command (`node --import ./my-testbed.js atp ...`)
 * makes `atp run ID` and every other command work for it (docs/testbeds.md).
 */
export { callSeed } from "./testbed/contract.js";
export type { Answer, DecisionRow, Engine, Measure, Pack, PlanContext, PlanOf, ReplanContext, Request, Testbed } from "./testbed/contract.js";
export { count, historyText } from "./testbed/settings.js";
export type { OwnSetting, SharedSetting, TestbedSettings } from "./testbed/settings.js";
export type { Observation } from "./testbed/observation.js";
export { registerTestbed, registeredTestbeds } from "./testbeds/registry.js";
export { InputError } from "./core/errors.js";
export type { Message } from "./core/types.js";
export type { AgentCall } from "./agents/types.js";
export type { TranscriptEpisode, TranscriptRound } from "./transcript/types.js";
