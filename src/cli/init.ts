import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { InputError } from "../core/errors.js";
import { DEFAULT_MODEL, defaultConfig } from "../run/config.js";
import { DEFAULT_PROVIDER_OPTIONS } from "../providers/types.js";
import type { Io } from "./io.js";

export const DEFAULT_RUN_FILE = "atp.yaml";

/** A run file with the paper's settings and the server settings commented out, values from the defaults. */
export function runFileTemplate(): string {
  const c = defaultConfig("paper");
  const p = DEFAULT_PROVIDER_OPTIONS;
  const r = c.collusion.payoffSets[0];
  return `# An atp run file (docs/config.md). Run it with: npx atp run FILE
# Every key is optional except suite; what is left out takes the paper's value.
# Flags given with the file override it: npx atp run FILE --seed 2
# A first try against a paid API: npx atp run FILE --limit 4 (4 episodes of each testbed),
# or write limit: 4 here; npx atp run FILE --dry-run shows the plan and first prompts.

# Testbeds: paper (role-play and collusion), roleplay, collusion or tooluse.
suite: paper
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
roleplay:
  rounds: ${c.roleplay.rounds}
  history: ${c.roleplay.historyWindow ?? "all"}
  supervision: ${c.roleplay.supervision}
collusion:
  rounds: ${c.collusion.rounds}
  agents: ${c.collusion.agents}
  thresholds: [${c.collusion.thresholds.join(", ")}]
  rewards:
    - [${[r.high, r.normal, r.low].map((x) => x.toFixed(1)).join(", ")}]
  peers: ${c.collusion.peers}
  history: ${c.collusion.historyWindow ?? "all"}
`;
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
