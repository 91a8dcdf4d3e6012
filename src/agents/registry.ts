/**
 * Turns a model string into an agent. Providers are looked up by prefix; each factory imports
 * its module only when used, so a provider's dependencies (an HTTP client, a native binding)
 * are never loaded by runs that do not use it.
 */
import { InputError } from "../core/errors.js";
import type { Agent } from "./types.js";
import { checkParams, parseModelSpec, specContext } from "./spec.js";
import { resolveProviderOptions, type ProviderOptions } from "../providers/types.js";

/** Makes an agent from a parsed model string; providers that call no server ignore the options. */
export type ProviderFactory = (
  name: string,
  params: Record<string, string>,
  spec: string,
  options: ProviderOptions,
) => Promise<Agent>;

const providers = new Map<string, ProviderFactory>([
  ["policy", async (name, params, spec) => (await import("./policy.js")).createPolicyAgent(name, params, spec)],
  [
    "replay",
    async (name, params, spec) => {
      checkParams(params, [], spec);
      return (await import("./replay.js")).createReplayAgent(name, spec);
    },
  ],
  [
    "openai",
    async (name, params, spec, options) =>
      (await import("../providers/openai.js")).createOpenAIAgent(name, params, spec, options),
  ],
  [
    "llama",
    async (name, params, spec, options) =>
      (await import("../providers/llama.js")).createLlamaAgent(name, params, spec, options),
  ],
]);

/** Adds a provider (`openai`, `llama`, ...). A prefix can be registered only once. */
export function registerProvider(prefix: string, factory: ProviderFactory): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(prefix)) {
    throw new Error(`provider prefix '${prefix}' must be lowercase letters, digits, '-' or '_'`);
  }
  if (providers.has(prefix)) throw new Error(`provider '${prefix}' is already registered`);
  providers.set(prefix, factory);
}

/** The registered prefixes, sorted. */
export function registeredProviders(): string[] {
  return [...providers.keys()].sort();
}

/**
 * Creates the agent a model string names, e.g. `policy:learner?prior=0.1`, `replay:run.jsonl`
 * or `openai:gpt-4o?temperature=0.6`. Options not given come from DEFAULT_PROVIDER_OPTIONS.
 */
export async function createAgent(spec: string, options: Partial<ProviderOptions> = {}): Promise<Agent> {
  const { provider, name, params } = parseModelSpec(spec);
  const factory = providers.get(provider);
  if (factory === undefined) {
    throw new InputError(
      `${specContext(spec)}: unknown provider '${provider}' (registered: ${registeredProviders().join(", ")})`,
    );
  }
  return factory(name, params, spec, resolveProviderOptions(options));
}
