import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { InputError } from "../core/errors.js";
import { DEFAULT_MODEL, defaultConfig, playedTestbeds } from "../run/config.js";
import type { Testbed } from "../testbed/contract.js";
import { settingEntries, settingKey } from "../testbed/settings.js";
import { PRESETS } from "../testbeds/presets.js";
import { registeredTestbeds, type RunPlan } from "../testbeds/registry.js";
import { DEFAULT_PROVIDER_OPTIONS } from "../providers/types.js";
import type { Io } from "./io.js";

export const DEFAULT_RUN_FILE = "atp.yaml";

/** `a, b or c`. */
function orList(words: string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : words.join("");
}

/** A testbed's section as `atp init` writes it: the settings a first run is likely to change, at their values. */
function section(testbed: Testbed<RunPlan>, settings: object): string {
  const lines = [`${testbed.id}:`];
  for (const [field, s] of settingEntries(testbed.settings)) {
    if (!s.template) continue;
    const text = s.template((settings as Record<string, unknown>)[field]);
    const key = settingKey(field, s);
    if (typeof text === "string") lines.push(`  ${key}: ${text}`);
    else lines.push(`  ${key}:`, ...text.map((line) => `    ${line}`));
  }
  return lines.map((l) => l + "\n").join("");
}

/** A run file with the first preset's settings and the server settings commented out, values from the defaults. */
export function runFileTemplate(): string {
  const preset = PRESETS[0];
  const c = defaultConfig(preset.id);
  const p = DEFAULT_PROVIDER_OPTIONS;
  const plays = playedTestbeds(c);
  return `# An atp run file (docs/config.md). Run it with: npx atp run FILE
# Every key is optional except suite; what is left out takes the paper's value.
# Flags given with the file override it: npx atp run FILE --seed 2
# A first try against a paid API: npx atp run FILE --limit 4 (4 episodes of each testbed),
# or write limit: 4 here; npx atp run FILE --dry-run shows the plan and first prompts.

# Testbeds: ${orList([...PRESETS.map((pr) => `${pr.id} (${playedTestbeds({ suite: pr.id, withToolUse: false }).map((t) => t.title).join(" and ")})`), ...registeredTestbeds().map((t) => t.id)])}.
suite: ${preset.id}
# Modes: paper (the reference code's exact prompts, parser and quirks) or default (docs/parity.md).
parity: ${c.parity}
seed: ${c.seed}

# The agent. ${DEFAULT_MODEL} is simulated: no language model is called. Real models:
# openai:NAME on any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, an API),
# e.g. openai:Qwen/Qwen3-8B, or llama:FILE.gguf loaded in-process (docs/agents.md).
model: ${DEFAULT_MODEL}

# The server of an openai: model. Keys never go in this file: set OPENAI_API_KEY in the
# environment or in a .env file in the working folder (local servers need none).
# baseUrl: http://127.0.0.1:8000/v1
#   (or a list of servers of the same model: calls are spread over them)
# concurrency: ${p.concurrency}
#   (requests in flight at once per server)
# timeout: ${p.timeoutMs / 1000}
#   (seconds per request before it is retried)
# retries: ${p.retries}
#   (on server errors, timeouts, dropped connections and rate limits)

# Sampling; what is left out takes the server's defaults.
# temperature: 0.6
# topP: 0.95
# maxTokens: 4096
# topK: 20
# extra: {chat_template_kwargs: {enable_thinking: false}}
#   (server extras, sent as they are in the request body)

# The testbeds, with the paper's settings.
${plays.map((t) => section(t, c.testbeds[t.id])).join("")}`;
}

export function initCommand(io: Io): Command {
  return new Command("init")
    .description(
      "Writes a YAML run file with the paper's settings and the server and sampling settings\n" +
        "commented out, ready to edit and run with `atp run FILE`. An existing file is never overwritten.",
    )
    .argument("[file]", "the run file to write", DEFAULT_RUN_FILE)
    .action((file: string) => {
      try {
        writeFileSync(file, runFileTemplate(), { flag: "wx" });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EEXIST") throw new InputError(`init: ${file} already exists: not overwritten (remove it or name another file)`);
        throw new InputError(`init: ${file}: ${(err as Error).message}`);
      }
      io.stderr.write(`atp: wrote ${file}; edit it, then: npx atp run ${file}\n`);
    });
}
