/**
 * Plays planned episodes against an agent. Episodes are independent and run side by side;
 * rounds inside an episode run in order; the agents of one game round are asked at once.
 * Every call's seed comes from the run seed and the call's place, so the results do not depend
 * on how many episodes run at once or in which order they finish.
 */
import type { Agent, AgentCall } from "../agents/types.js";
import { hashSeed } from "../core/rng.js";
import { CollusionEpisode } from "../envs/collusion.js";
import { RoleplayEpisode } from "../envs/roleplay.js";
import { settingsRecord } from "../transcript/settings.js";
import type { TranscriptEpisode, TranscriptRound } from "../transcript/types.js";
import type { CollusionPlan, EpisodePlan, RoleplayPlan } from "./plan.js";

export interface RunOptions {
  seed: number;
  /** Episodes in flight at once. */
  concurrency: number;
  /** Called as each episode finishes (in completion order). */
  onEpisode?: (episode: TranscriptEpisode, done: number, total: number) => void;
}

/** The seed of one call: a pure function of where the call sits in the run. */
export function callSeed(runSeed: number, episode: string, repeat: number, round: number, agent: number): number {
  return hashSeed(runSeed, episode, repeat, round, agent);
}

async function playRoleplay(plan: RoleplayPlan, agent: Agent, seed: number): Promise<TranscriptRound[]> {
  const env = new RoleplayEpisode(plan.scenario, plan.settings);
  const rounds: TranscriptRound[] = [];
  while (!env.done) {
    const call: AgentCall = {
      suite: "roleplay",
      episode: plan.key,
      round: env.round,
      agent: 0,
      repeat: plan.repeat,
      seed: callSeed(seed, plan.key, plan.repeat, env.round, 0),
      messages: env.messages(),
      options: { aligned: plan.scenario.compliantChoice, deviant: plan.scenario.violatingChoice },
      seen: env.seen(),
    };
    rounds.push(env.step((await agent.respond(call)).text));
  }
  return rounds;
}

async function playCollusion(plan: CollusionPlan, agent: Agent, seed: number): Promise<TranscriptRound[]> {
  const env = new CollusionEpisode(plan.scenario, plan.settings);
  const rounds: TranscriptRound[] = [];
  while (!env.done) {
    const responses: string[] = Array.from({ length: plan.settings.agents }, () => env.fixedResponse());
    await Promise.all(
      env.askedAgents().map(async (i) => {
        const reply = await agent.respond({
          suite: "collusion",
          episode: plan.key,
          round: env.round,
          agent: i,
          repeat: plan.repeat,
          seed: callSeed(seed, plan.key, plan.repeat, env.round, i),
          messages: env.messages(i),
          options: { aligned: plan.scenario.independentChoice, deviant: plan.scenario.collectiveChoice },
          seen: env.seen(i),
        });
        responses[i] = reply.text;
      }),
    );
    rounds.push(env.step(responses));
  }
  return rounds;
}

/** Plays one episode to the end and returns its transcript. */
export async function runEpisode(plan: EpisodePlan, agent: Agent, seed: number): Promise<TranscriptEpisode> {
  const rounds = plan.suite === "roleplay" ? await playRoleplay(plan, agent, seed) : await playCollusion(plan, agent, seed);
  const episode: TranscriptEpisode = {
    suite: plan.suite,
    episode: plan.key,
    scenario: plan.scenario.id,
    environment: plan.scenario.environment,
    settings: settingsRecord(plan),
    rounds,
  };
  if (plan.repeat > 0) episode.repeat = plan.repeat;
  return episode;
}

/** Plays every planned episode; the result is in plan order whatever the completion order. */
export async function runPlan(plans: EpisodePlan[], agent: Agent, options: RunOptions): Promise<TranscriptEpisode[]> {
  const results: TranscriptEpisode[] = new Array(plans.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < plans.length) {
      const index = next++;
      results[index] = await runEpisode(plans[index], agent, options.seed);
      options.onEpisode?.(results[index], ++done, plans.length);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, plans.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
