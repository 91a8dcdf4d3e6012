/**
 * `atp align`: the alignment stage before deployment.
 *
 *   atp align pairs          sample DPO preference pairs from a model (stored, resumable)
 *   atp align export         write pairs in a trainer's format (trl, llamafactory, openrlhf, verl)
 *   atp align reward-server  serve the GRPO choice reward over HTTP until Ctrl-C
 */
import { Command, Option } from "commander";
import { EXPORT_FORMATS, exportPairs, type ExportFormat, type ExportOptions } from "../align/export.js";
import {
  DEFAULT_RETRIES_PER_SIDE,
  executePairs,
  readPairRun,
  readPairsFile,
  type PairConfig,
  type PairRunResult,
} from "../align/pairs.js";
import { PAPER_REWARD_WEIGHTS, type RewardWeights } from "../align/reward.js";
import { DEFAULT_MAX_BODY_MB, startRewardServer } from "../align/reward-server.js";
import { pairItemDefaults, pairSources, pairSuites } from "../align/testbeds.js";
import type { PreferencePair } from "../align/types.js";
import { InputError } from "../core/errors.js";
import { PARITIES, type Parity } from "../core/types.js";
import { DEFAULT_DB, providerFlags, samplingFlags, type ModelFlags } from "../run/config.js";
import type { Io } from "./io.js";
import { tookOver, untilStopped } from "./report-run.js";
import { intFlag } from "../core/flags.js";
import { addModelOptions, addOutDirOption, collect, outDirFlag, portFlag, runIdFlag, untilInterrupted } from "./options.js";

interface PairFlags extends ModelFlags {
  cache: boolean;
  suite: string;
  dataset?: string[];
  model: string;
  retriesPerSide: number;
  parity: Parity;
  parser?: Parity;
  seed: number;
  db: string;
  runId?: string;
  out?: string;
  variants: number;
  perFraming: number;
  extra?: Record<string, unknown>;
}

/** The flags as a PairConfig (exported for tests). */
export function pairConfig(f: PairFlags): PairConfig {
  return {
    suite: f.suite,
    model: f.model,
    datasets: f.dataset ?? [],
    parity: f.parity,
    parser: f.parser ?? f.parity,
    seed: f.seed,
    retriesPerSide: f.retriesPerSide,
    variants: f.variants,
    perFraming: f.perFraming,
    sampling: samplingFlags({}, f),
    provider: providerFlags(f),
    db: f.db,
    runId: f.runId ?? null,
    cache: f.cache,
    out: f.out ?? null,
  };
}

/** Items done of total on stderr: redrawn on a terminal, a plain line every 10 s otherwise. */
function progress(io: Io, total: number): { attempt(): void; item(): void; finish(): void } {
  const tty = Boolean(io.stderr.isTTY);
  let items = 0;
  let attempts = 0;
  let last = Date.now();
  let finished = false;
  const line = () => `${items}/${total} items, ${attempts} answers`;
  const draw = (final: boolean) => {
    // Answers that come back after a stop draw nothing.
    if (finished) return;
    const now = Date.now();
    if (tty) {
      if (!final && now - last < 100) return;
      last = now;
      io.stderr.write(`\ratp: ${line()}\x1b[K`);
    } else if (final || now - last >= 10_000) {
      last = now;
      io.stderr.write(`atp: ${line()}\n`);
    }
  };
  return {
    attempt: () => {
      attempts++;
      draw(false);
    },
    item: () => {
      items++;
      draw(false);
    },
    finish: () => {
      if (finished) return;
      draw(true);
      finished = true;
      if (tty) io.stderr.write("\n");
    },
  };
}

const SHOWN_PROBLEMS = 20;

function report(io: Io, result: PairRunResult, command: string): void {
  const { config, summary: s } = result;
  const out: string[] = [
    `atp align pairs: run ${result.runId}, model ${config.model}, suite ${config.suite}, parity ${config.parity}, parser ${config.parser}, ` +
      `${s.items} items, up to ${config.retriesPerSide} attempts per side`,
    `  both sides: ${s.both}   aligned only: ${s.alignedOnly}   deviant only: ${s.deviantOnly}   neither: ${s.none}   failed calls: ${s.errors}`,
  ];
  for (const p of s.problems.slice(0, SHOWN_PROBLEMS)) out.push(`  ${p.key} (${p.status}): ${p.why}`);
  if (s.problems.length > SHOWN_PROBLEMS) out.push(`  ... and ${s.problems.length - SHOWN_PROBLEMS} more items without a pair`);
  out.push(config.out ? `  ${result.pairs.length} pairs written to ${config.out}` : `  ${result.pairs.length} pairs (give --out FILE to write them)`);
  io.stdout.write(out.join("\n") + "\n");
  io.stderr.write(`atp: pair run ${result.runId} stored in ${config.db}\n`);
  if (s.errors) {
    io.stderr.write(
      `atp: ${s.errors} items stopped on a call that failed after its retries; run the same command again ` +
        `(${command} ... --run-id ${result.runId} --db ${config.db}) to finish them\n`,
    );
    io.exitCode = 1;
  }
}

function pairsCommand(io: Io): Command {
  const defaults = pairItemDefaults();
  return addModelOptions(new Command("pairs"))
    .summary("sample DPO preference pairs from a model, as the paper did")
    .description(
      "For each training item, samples an answer under an instruction to follow the rule (aligned side) and one " +
        "under an instruction to break it (deviant side), asking again with a new seed, up to --retries-per-side " +
        "times, until the parsed choice matches. Pairs keep the original prompt, without the steering instruction. " +
        "Every attempt is saved in --db; the same command with the same --run-id continues an interrupted run. " +
        `Without --dataset the built-in packs are used (${pairSources()
          .map((s) => s.pairs.builtInItems)
          .join("; ")}).`,
    )
    .addOption(new Option("--suite <suite>", "which testbed's items").choices(pairSuites()).makeOptionMandatory())
    .requiredOption("--model <spec>", "model string, e.g. openai:Qwen/Qwen3-8B or policy:fixed?p=0.5")
    .option("--dataset <file>", "training items: the paper's files (paper:roleplay-train, paper:games-350) or templates (repeatable)", collect)
    .option("--retries-per-side <n>", `attempts per side until the choice matches (paper: ${DEFAULT_RETRIES_PER_SIDE})`, intFlag("--retries-per-side", 1), DEFAULT_RETRIES_PER_SIDE)
    .addOption(new Option("--parity <mode>", "paper: the reference's steering texts and parser; default: our wording, robust parser").choices(PARITIES).default("default"))
    .addOption(new Option("--parser <mode>", "which parser reads the choices (default: the --parity mode's)").choices(PARITIES))
    .option("--seed <n>", "run seed: every attempt's seed derives from it", intFlag("--seed", 0), 0)
    .option("--variants <n>", "reward variants per role-play template", intFlag("--variants", 1), defaults.variants)
    .option("--per-framing <n>", "random games per framing from game templates", intFlag("--per-framing", 1), defaults.perFraming)
    .option("--db <file>", "SQLite store", DEFAULT_DB)
    .option("--run-id <id>", "name the run; if the store has it, continue it (same settings required)", runIdFlag)
    .option("--out <file>", "write the pairs (both sides found) as JSONL, one preference pair per line")
    .action(async (flags: PairFlags) => {
      const config = pairConfig(flags);
      let bar: ReturnType<typeof progress> | undefined;
      const result = await untilStopped(
        io,
        () => bar?.finish(),
        (signal) =>
          executePairs(config, {
            signal,
            onStart: ({ runId, items, resumed, attemptsSaved, takenOver }) => {
              if (takenOver) io.stderr.write(`atp: ${tookOver(`pair run ${runId}`, takenOver)}\n`);
              if (resumed) io.stderr.write(`atp: continuing pair run ${runId}: ${attemptsSaved} answers already saved\n`);
              bar = progress(io, items);
            },
            onAttempt: () => bar?.attempt(),
            onItem: () => bar?.item(),
          }),
      );
      bar?.finish();
      report(io, result, "atp align pairs");
    });
}

interface ExportFlags {
  format: ExportFormat;
  out?: string;
  outDir?: string;
  name?: string;
  rewardUrl?: string;
  runId?: string;
  db: string;
  parity?: Parity;
  grpoPrompts?: "all" | "paired";
}

/** The pairs and GRPO prompts to export: from a pairs file, or from a stored pair run. */
function exportInput(file: string | undefined, f: ExportFlags): { pairs: PreferencePair[]; options: ExportOptions } {
  if ((file === undefined) === (f.runId === undefined)) throw new InputError("atp align export: give a pairs file or --run-id (one of them)");
  if (file !== undefined) {
    if (f.grpoPrompts === "all") throw new InputError("--grpo-prompts all: a pairs file holds only the items with a pair; give --run-id to export every item");
    return { pairs: readPairsFile(file), options: { parity: f.parity } };
  }
  const stored = readPairRun(f.db, f.runId!);
  if (f.parity !== undefined && f.parity !== stored.run.parity) {
    throw new InputError(`--parity ${f.parity}: pair run ${f.runId} was made with parity ${stored.run.parity}`);
  }
  const paired = f.grpoPrompts === "paired";
  return {
    pairs: stored.pairs,
    options: {
      parity: stored.run.parity as Parity,
      parser: stored.parser,
      rewardItems: paired ? stored.items.filter((it) => stored.paired.has(it.id!)) : stored.items,
      promptsSource: paired ? `the items of pair run ${f.runId} with a preference pair` : `every item of pair run ${f.runId}`,
    },
  };
}

function exportSubcommand(io: Io): Command {
  const cmd = new Command("export")
    .summary("write pairs in a trainer's format")
    .description(
      "Reads PAIRS.jsonl (what `atp align pairs --out` writes), or the pair run --run-id names in --db, and writes the " +
        "files the trainer reads as they are, with a README.<format>.md holding the training commands, the paper's " +
        "hyperparameters and the reward server's start command. GRPO prompts cover every item of a stored run " +
        "(--grpo-prompts paired keeps those with a pair); from a pairs file, only the items with a pair.",
    )
    .argument("[pairs]", "pairs JSONL file")
    .addOption(new Option("--format <format>", "trainer").choices(EXPORT_FORMATS).makeOptionMandatory());
  return addOutDirOption(cmd, "output folder", true)
    .option("--name <name>", "dataset name and file stem (default atp_pairs)")
    .option("--reward-url <url>", "reward server base URL used in the READMEs (default http://127.0.0.1:5000)")
    .option("--run-id <id>", "export this pair run from --db instead of a pairs file", runIdFlag)
    .option("--db <file>", "SQLite store holding --run-id", DEFAULT_DB)
    .addOption(new Option("--parity <mode>", "the parity the pairs were made with, for pairs that do not record it").choices(PARITIES))
    .addOption(new Option("--grpo-prompts <which>", "GRPO prompts of a stored run: all items (default) or only those with a pair").choices(["all", "paired"]))
    .action((file: string | undefined, flags: ExportFlags) => {
      const outDir = outDirFlag(flags, true)!;
      const { pairs, options } = exportInput(file, flags);
      const result = exportPairs(pairs, flags.format, outDir, { ...options, name: flags.name, rewardUrl: flags.rewardUrl });
      io.stdout.write(
        `atp align export: ${result.pairs} pairs and ${result.prompts} prompts in ${flags.format} format\n` +
          result.files.map((f) => `  ${f}\n`).join(""),
      );
      if (file !== undefined && result.prompts > 0) {
        io.stderr.write("atp: the GRPO prompts cover only the items with a pair; export the pair run (--run-id, --db) to cover every item\n");
      }
    });
}

/** `1,0.1,0`: the rewards of the aligned choice, the deviant choice and an unparseable answer. */
function weightsFlag(value: string): RewardWeights {
  const parts = value.split(",").map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === "") || nums.some((n) => !Number.isFinite(n))) {
    throw new InputError(`--weights: expected three numbers ALIGNED,DEVIANT,UNPARSEABLE, got '${value}'`);
  }
  return { aligned: nums[0], deviant: nums[1], unparseable: nums[2] };
}

/** `--max-body-mb 0.5`: a positive number of MiB. */
function maxBodyFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InputError(`--max-body-mb: expected a positive number of MiB, got '${value}'`);
  return n;
}

function rewardServerCommand(io: Io): Command {
  const w = PAPER_REWARD_WEIGHTS;
  return new Command("reward-server")
    .summary("serve the GRPO choice reward over HTTP until Ctrl-C")
    .description(
      "POST /get_reward (OpenRLHF's remote reward protocol), POST /score {items: [{completion, aligned, deviant, suite}]}, " +
        "GET /health. Prints the base URL on standard output, then serves until interrupted.",
    )
    .option("--port <n>", "port (0 picks a free one)", portFlag, 5000)
    .option("--host <host>", "address to listen on (127.0.0.1: this machine only)", "127.0.0.1")
    .addOption(
      new Option("--parity <mode>", "which parser reads the choices: paper (the reference reward's) or default (the robust one); use the one that labelled the pairs, as the export READMEs show")
        .choices(PARITIES)
        .makeOptionMandatory(),
    )
    .option("--weights <a,d,u>", `rewards for aligned, deviant, unparseable (paper: ${w.aligned},${w.deviant},${w.unparseable})`, weightsFlag)
    .option("--max-body-mb <n>", "largest request body accepted, in MiB", maxBodyFlag, DEFAULT_MAX_BODY_MB)
    .action(async (flags: { port: number; host: string; parity: Parity; weights?: RewardWeights; maxBodyMb: number }) => {
      const server = await startRewardServer({
        port: flags.port,
        host: flags.host,
        parity: flags.parity,
        weights: flags.weights,
        maxBodyBytes: Math.round(flags.maxBodyMb * 1024 * 1024),
      });
      io.stdout.write(`${server.url}\n`);
      io.stderr.write(`atp: reward server (parity ${flags.parity}) at ${server.url}: POST /get_reward, POST /score, GET /health; Ctrl-C stops it\n`);
      await untilInterrupted();
      await server.close();
    });
}

export function alignCommand(io: Io): Command {
  return new Command("align")
    .description(
      "The alignment stage of the paper: sample DPO pairs from a base model (pairs), write them for a trainer " +
        "(export), and serve the GRPO choice reward (reward-server).",
    )
    .addCommand(pairsCommand(io))
    .addCommand(exportSubcommand(io))
    .addCommand(rewardServerCommand(io));
}
