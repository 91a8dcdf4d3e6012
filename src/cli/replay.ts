import { Command, Option } from "commander";
import { createReplayAgent, readTranscript } from "../agents/replay.js";
import { InputError } from "../core/errors.js";
import { checkOutputFile } from "../core/files.js";
import { PARITIES, type Parity } from "../core/types.js";
import { loadDatasets } from "../run/execute.js";
import { planFromTranscript } from "../run/replay.js";
import { playAll } from "../run/runner.js";
import { diffTranscripts } from "../transcript/compare.js";
import { writeTranscript } from "../transcript/write.js";
import { collect } from "./options.js";
import type { Io } from "./io.js";

export function replayCommand(io: Io): Command {
  return new Command("replay")
    .description(
      "Re-runs every episode of a transcript with its recorded settings and answers through the\n" +
        "engines, and writes the new transcript. --check compares it with the input and exits 1 on\n" +
        "any difference (a conformance check of prompts, choices, rewards, capitals and outcomes).",
    )
    .argument("<transcript>", "JSONL transcript")
    .option("--dataset <file>", "scenario file(s) the transcript was played on; default the built-in packs (repeatable)", collect)
    .addOption(new Option("--parity <mode>", "engine mode to replay with").choices(PARITIES).default("paper"))
    .option("--out <file>", "write the replayed transcript here")
    .option("--check", "compare with the input; exit 1 and list differences if any")
    .action(async (file: string, flags: { dataset?: string[]; parity: Parity; out?: string; check?: boolean }) => {
      if (flags.out) checkOutputFile(flags.out, "--out", "replayed.jsonl");
      const recorded = readTranscript(file);
      if (recorded.length === 0) throw new InputError(`${file}: the transcript has no episodes: nothing to replay`);
      const plans = planFromTranscript(recorded, loadDatasets(flags.dataset ?? []), flags.parity, file);
      const replayed = await playAll(plans, createReplayAgent(file), 0);
      if (flags.out) writeTranscript(flags.out, replayed);
      io.stdout.write(`Replayed ${replayed.length} episodes from ${file}${flags.out ? ` into ${flags.out}` : ""}.\n`);
      if (flags.check) {
        const diffs = diffTranscripts(recorded, replayed);
        if (diffs.length) {
          io.stdout.write(`Differences from ${file}:\n${diffs.map((d) => `- ${d}`).join("\n")}\n`);
          io.exitCode = 1;
        } else io.stdout.write("Identical to the input: messages, choices, rewards, capitals and outcomes.\n");
      }
    });
}
