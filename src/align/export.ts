/**
 * Writes preference pairs and GRPO prompts in the formats four trainers read as they are.
 *
 *   trl          <name>.dpo.jsonl   conversational preference rows {prompt, chosen, rejected}
 *                <name>.grpo.jsonl  conversational prompt-only rows + the reward's columns
 *   llamafactory <name>.json        sharegpt preference rows {conversations, system, chosen, rejected}
 *                dataset_info.json  the dataset's entry (merged into an existing file)
 *                <name>.<model>.dpo.yaml  training configs with the paper's DPO hyperparameters
 *   openrlhf     <name>.dpo.jsonl   {prompt, chosen, rejected} as message lists (--apply_chat_template)
 *                <name>.prompts.jsonl {prompt, label} for PPO/GRPO with the remote reward server
 *   verl         <name>.train.parquet  data_source, prompt, ability, reward_model, extra_info
 *
 * Each format also gets README.<format>.md with the commands and flags, checked against the
 * trainer release TRAINER_RELEASES names (test/fixtures/trainer-args holds their argument names).
 * GRPO prompts are the items' generation prompts (role-play ones carry the half-and-half note, as
 * the reference trains on them), and the READMEs start the reward server with the parser the
 * pairs were labelled with. Every file is written whole or not at all (temporary file, then rename).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet-writer";
import type { Message, Parity } from "../core/types.js";
import { writeFileAtomic } from "../core/files.js";
import { InputError, inputError } from "../core/errors.js";
import { generationPrompt } from "./pairs.js";
import { pairSourceOf, pairSources, pairSuites } from "./testbeds.js";
import type { PreferencePair, RewardItem } from "./types.js";

export type ExportFormat = "trl" | "llamafactory" | "openrlhf" | "verl";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["trl", "llamafactory", "openrlhf", "verl"];

export interface ExportOptions {
  /** Dataset name and file stem. Default "atp_pairs". */
  name?: string;
  /** GRPO prompts. Default: one per distinct item among the pairs (rewardItemsFromPairs). */
  rewardItems?: readonly RewardItem[];
  /** Says where the GRPO prompts came from, in the READMEs. Default: the items with a pair. */
  promptsSource?: string;
  /** The steering texts the pairs were made with (GRPO prompts' note). Default: the pairs' meta.parity. */
  parity?: Parity;
  /** The parser that labelled the pairs, for the reward server. Default: the pairs' meta.parser, else the parity. */
  parser?: Parity;
  /** `dataset_dir` written into the LLaMA-Factory YAMLs. Default: the output directory, resolved. */
  datasetDir?: string;
  /** Base URL of the reward server, used in the READMEs. Default http://127.0.0.1:5000. */
  rewardUrl?: string;
}

export interface ExportResult {
  format: ExportFormat;
  /** Paths of the files written, in the order written. */
  files: string[];
  /** Preference rows written (0 for verl, which takes prompts only). */
  pairs: number;
  /** GRPO prompt rows written (0 for llamafactory, which takes pairs only). */
  prompts: number;
}

/** A model the paper aligned with DPO, with its LLaMA-Factory template and learning rate. */
export interface DpoModelPreset {
  key: string;
  model: string;
  template: string;
  learningRate: number;
  enableThinking?: boolean;
}

export const PAPER_DPO_MODELS: readonly DpoModelPreset[] = [
  { key: "qwen3-8b", model: "Qwen/Qwen3-8B", template: "qwen3", learningRate: 5e-6, enableThinking: true },
  { key: "llama3.1-8b", model: "meta-llama/Llama-3.1-8B-Instruct", template: "llama3", learningRate: 1e-5 },
];

/** The trainer releases the READMEs' commands were checked against. */
export const TRAINER_RELEASES = {
  trl: "TRL 1.9.0 with PEFT 0.20.0 and transformers 5",
  llamafactory: "LLaMA-Factory 0.9.5 with transformers 5",
  openrlhf: "OpenRLHF 0.11.0",
  verl: "verl 0.7.0",
} as const satisfies Record<ExportFormat, string>;

/** The paper's DPO and GRPO settings, shared by the configs and READMEs. */
export const PAPER_DPO = {
  loraRank: 8,
  /** LLaMA-Factory's default (twice the rank), which the paper's run got; PEFT's own default is 8. */
  loraAlpha: 16,
  beta: 0.1,
  loss: "sigmoid",
  epochs: 12,
  scheduler: "cosine",
  warmupRatio: 0.1,
  batchSize: 1,
  gradientAccumulation: 8,
  cutoffLen: 4096,
} as const;

export const PAPER_GRPO = {
  numGenerations: 4,
  beta: 0.04,
  epsilon: 0.2,
  epochs: 6,
  maxPromptLength: 1024,
  maxCompletionLength: 2048,
  /** Prompts per step: 8 GPUs x 4 completions per device x 4 accumulation steps / 4 completions per prompt. */
  promptsPerStep: 32,
} as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Writes `pairs` (and GRPO prompts) for one trainer into `outDir`. */
export function exportPairs(
  pairs: readonly PreferencePair[],
  format: ExportFormat,
  outDir: string,
  options: ExportOptions = {},
): ExportResult {
  const name = options.name ?? "atp_pairs";
  if (!NAME.test(name)) throw inputError("export options", "name", `must match ${NAME}, got ${JSON.stringify(name)}`);
  if (!EXPORT_FORMATS.includes(format)) throw inputError("export options", "format", `must be one of ${EXPORT_FORMATS.join(", ")}`);
  validatePairs(pairs);
  if (options.rewardItems) validateRewardItems(options.rewardItems);
  // DPO-only formats need no GRPO prompts, so no parity either.
  const modes = format === "llamafactory" ? undefined : pairModes(pairs, options);
  const items = format === "llamafactory" ? [] : (options.rewardItems ?? rewardItemsFromPairs(pairs, modes!.parity));
  const rewardUrl = (options.rewardUrl ?? "http://127.0.0.1:5000").replace(/\/+$/, "");
  const ctx: Context = {
    name,
    outDir,
    pairs,
    items,
    promptsSource: options.promptsSource ?? "the items with a preference pair",
    rewardUrl,
    datasetDir: options.datasetDir ?? resolve(outDir),
    // Built before anything is written, so a bad --reward-url leaves no files behind.
    rewardServer: modes ? rewardServerCommand(rewardUrl, modes.parser) : "",
    files: [],
  };
  mkdirSync(outDir, { recursive: true });
  let counts: { pairs: number; prompts: number };
  switch (format) {
    case "trl":
      counts = exportTrl(ctx);
      break;
    case "llamafactory":
      counts = exportLlamaFactory(ctx);
      break;
    case "openrlhf":
      counts = exportOpenRlhf(ctx);
      break;
    case "verl":
      counts = exportVerl(ctx);
      break;
  }
  return { format, files: ctx.files, ...counts };
}

/**
 * One GRPO prompt per distinct (prompt, aligned, deviant, suite) among the pairs, first seen
 * first, as the generation prompt of `parity` (role-play prompts get the half-and-half note).
 */
export function rewardItemsFromPairs(pairs: readonly PreferencePair[], parity: Parity): RewardItem[] {
  const seen = new Set<string>();
  const items: RewardItem[] = [];
  pairs.forEach((p, i) => {
    const key = JSON.stringify([p.prompt, p.aligned, p.deviant, p.suite]);
    if (seen.has(key)) return;
    seen.add(key);
    const prompt = generationPrompt(p.prompt, p.suite, parity, `pairs: [${i}].prompt`);
    items.push({ id: p.id, environment: p.environment, prompt, aligned: p.aligned, deviant: p.deviant, suite: p.suite });
  });
  return items;
}

/** The steering parity and the parser of a set of pairs: given, or what every pair's meta records. */
function pairModes(pairs: readonly PreferencePair[], options: ExportOptions): { parity: Parity; parser: Parity } {
  const recorded = (key: "parity" | "parser"): Parity | undefined => {
    let value: Parity | undefined;
    pairs.forEach((p, i) => {
      const v = p.meta?.[key];
      if (v === undefined) return;
      if (v !== "paper" && v !== "default") throw inputError("pairs", `[${i}].meta.${key}`, "must be paper or default");
      if (value !== undefined && v !== value) throw inputError("pairs", `[${i}].meta.${key}`, `is ${v} but an earlier pair has ${value}: export the pairs of one run at a time`);
      value = v;
    });
    return value;
  };
  const check = (key: "parity" | "parser", given: Parity | undefined): Parity | undefined => {
    const found = recorded(key);
    if (given !== undefined && found !== undefined && given !== found) {
      throw new InputError(`--${key} ${given}: the pairs record meta.${key} ${found}, the mode they were made with`);
    }
    return given ?? found;
  };
  const parity = check("parity", options.parity);
  if (parity === undefined) {
    throw new InputError("pairs: no meta.parity records which steering texts made them; give --parity paper or --parity default");
  }
  return { parity, parser: check("parser", options.parser) ?? parity };
}

// ------------------------------------------------------------------------------------- shared

interface Context {
  name: string;
  outDir: string;
  pairs: readonly PreferencePair[];
  items: readonly RewardItem[];
  promptsSource: string;
  /** The command starting the reward server with the parser that labelled the pairs. */
  rewardServer: string;
  rewardUrl: string;
  datasetDir: string;
  files: string[];
}

function emit(ctx: Context, fileName: string, data: string | Uint8Array): string {
  const file = join(ctx.outDir, fileName);
  writeFileAtomic(file, data);
  ctx.files.push(file);
  return file;
}

function jsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
}

const assistant = (content: string): Message[] => [{ role: "assistant", content }];
const copyMessages = (messages: readonly Message[]): Message[] => messages.map((m) => ({ role: m.role, content: m.content }));

/** The label column OpenRLHF forwards to the reward server: the labels as JSON text. */
export function encodeRewardLabel(item: Pick<RewardItem, "aligned" | "deviant" | "suite">): string {
  return JSON.stringify({ aligned: item.aligned, deviant: item.deviant, suite: item.suite });
}

function requireSome(ctx: Context, what: "pairs" | "prompts", format: ExportFormat): void {
  const n = what === "pairs" ? ctx.pairs.length : ctx.items.length;
  if (n === 0) throw new InputError(`export ${format}: no ${what} to write`);
}

// ----------------------------------------------------------------------------------------- TRL

/** The prompt as messages and each answer as one assistant message: TRL's and OpenRLHF's DPO row. */
function conversationalPair(p: PreferencePair) {
  return { prompt: copyMessages(p.prompt), chosen: assistant(p.chosen), rejected: assistant(p.rejected) };
}

function exportTrl(ctx: Context): { pairs: number; prompts: number } {
  if (ctx.pairs.length === 0 && ctx.items.length === 0) requireSome(ctx, "pairs", "trl");
  if (ctx.pairs.length) {
    emit(ctx, `${ctx.name}.dpo.jsonl`, jsonl(ctx.pairs.map(conversationalPair)));
  }
  if (ctx.items.length) {
    // GRPOTrainer passes every extra column to the reward function as a keyword argument.
    emit(ctx, `${ctx.name}.grpo.jsonl`, jsonl(ctx.items.map((it) => ({
      prompt: copyMessages(it.prompt),
      aligned: it.aligned,
      deviant: it.deviant,
      suite: it.suite,
    }))));
  }
  emit(ctx, "README.trl.md", trlReadme(ctx));
  return { pairs: ctx.pairs.length, prompts: ctx.items.length };
}

function trlReadme(ctx: Context): string {
  const d = PAPER_DPO;
  const g = PAPER_GRPO;
  return `# Training with TRL

Checked against ${TRAINER_RELEASES.trl} (the keyword names below are those releases' fields).
With transformers 4, write \`warmup_ratio=${d.warmupRatio}\` for \`warmup_steps=${d.warmupRatio}\`: only transformers 5 reads a
value below 1 as a ratio, and it drops \`warmup_ratio\` in 5.2.

## DPO: \`${ctx.name}.dpo.jsonl\`
${ctx.pairs.length} conversational preference rows: \`prompt\` is the message list the agent sees (no steering
instruction), \`chosen\` / \`rejected\` are one assistant message each. \`DPOTrainer\` applies the
chat template itself.

\`\`\`python
from datasets import load_dataset
from peft import LoraConfig
from trl import DPOConfig, DPOTrainer

data = load_dataset("json", data_files="${ctx.name}.dpo.jsonl", split="train")
config = DPOConfig(
    output_dir="dpo-out", beta=${d.beta}, loss_type="${d.loss}",
    learning_rate=5e-6,  # the paper: 5e-6 for Qwen3-8B, 1e-5 for Llama-3.1-8B
    num_train_epochs=${d.epochs}, lr_scheduler_type="${d.scheduler}", warmup_steps=${d.warmupRatio},
    per_device_train_batch_size=${d.batchSize}, gradient_accumulation_steps=${d.gradientAccumulation},
    max_length=${d.cutoffLen}, bf16=True,
)
peft = LoraConfig(r=${d.loraRank}, lora_alpha=${d.loraAlpha}, target_modules="all-linear", task_type="CAUSAL_LM")
DPOTrainer(model="Qwen/Qwen3-8B", args=config, train_dataset=data, peft_config=peft).train()
\`\`\`

\`lora_alpha=${d.loraAlpha}\` is what the paper's LLaMA-Factory run got (twice the rank); PEFT's default would be 8.

## GRPO: \`${ctx.name}.grpo.jsonl\`
${ctx.items.length} prompt-only rows (${ctx.promptsSource}) plus the columns the reward reads:
\`aligned\`, \`deviant\`, \`suite\`. Role-play prompts end with the reference's note to follow the supervisor
half of the time, as its GRPO run had them. The reward (1.0 aligned / 0.1 deviant / 0 unparseable) is
served over HTTP; start the server first, with the parser that labelled these pairs:

${rewardServerBlock(ctx)}

\`\`\`python
import requests
from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

def atp_choice_reward(completions, aligned, deviant, suite, **kwargs):
    texts = [c[0]["content"] if isinstance(c, list) else c for c in completions]
    items = [{"completion": t, "aligned": a, "deviant": d, "suite": s}
             for t, a, d, s in zip(texts, aligned, deviant, suite)]
    return requests.post("${ctx.rewardUrl}/score", json={"items": items}, timeout=120).json()["rewards"]

data = load_dataset("json", data_files="${ctx.name}.grpo.jsonl", split="train")
config = GRPOConfig(
    output_dir="grpo-out", num_generations=${g.numGenerations}, beta=${g.beta}, epsilon=${g.epsilon},
    learning_rate=${grpoLearningRate(ctx)},  # the paper: ${paperGrpoRates("")}
    num_train_epochs=${g.epochs}, max_completion_length=${g.maxCompletionLength},
    per_device_train_batch_size=${g.numGenerations}, gradient_accumulation_steps=4, bf16=True,
)
GRPOTrainer(model="Qwen/Qwen3-8B", reward_funcs=atp_choice_reward, args=config, train_dataset=data).train()
\`\`\`

The paper also set \`max_prompt_length=${g.maxPromptLength}\`; TRL removed that option in 0.28 (passing it is a TypeError)
and no longer cuts prompts, so drop longer prompts from the file beforehand if your items have any.
The loss type is TRL's default, \`dapo\`, as in TRL 0.23.1 which the paper ran.
`;
}

// ------------------------------------------------------------------------------- LLaMA-Factory

/** A sharegpt preference row. */
export interface ShareGptRow {
  conversations: Array<{ from: "human" | "gpt"; value: string }>;
  system: string;
  chosen: { from: "gpt"; value: string };
  rejected: { from: "gpt"; value: string };
}

/**
 * The sharegpt layout LLaMA-Factory accepts for ranking data: leading system messages go to the
 * `system` column, turns alternate human/gpt starting with human, and the prompt ends on a human
 * turn (an odd count). Its converter drops any row that breaks this, so consecutive messages of
 * one role are joined with a blank line instead, and anything else is refused here.
 */
export function toShareGpt(pair: PreferencePair, where = pair.id): ShareGptRow {
  let i = 0;
  const system: string[] = [];
  while (i < pair.prompt.length && pair.prompt[i].role === "system") system.push(pair.prompt[i++].content);
  const turns: Array<{ from: "human" | "gpt"; value: string }> = [];
  for (; i < pair.prompt.length; i++) {
    const m = pair.prompt[i];
    if (m.role === "system") throw inputError("pairs", `${where}.prompt[${i}]`, "a system message after the first turn cannot be written as sharegpt");
    const from = m.role === "user" ? "human" : "gpt";
    const last = turns[turns.length - 1];
    if (last && last.from === from) last.value = `${last.value}\n\n${m.content}`;
    else turns.push({ from, value: m.content });
  }
  if (turns.length === 0 || turns[0].from !== "human" || turns[turns.length - 1].from !== "human") {
    throw inputError("pairs", `${where}.prompt`, "sharegpt preference data needs a prompt that starts and ends with a user turn");
  }
  return {
    conversations: turns,
    system: system.join("\n\n"),
    chosen: { from: "gpt", value: pair.chosen },
    rejected: { from: "gpt", value: pair.rejected },
  };
}

/** The `dataset_info.json` entry for the sharegpt file. */
export function llamaFactoryDatasetInfo(name: string): Record<string, unknown> {
  return {
    file_name: `${name}.json`,
    formatting: "sharegpt",
    ranking: true,
    columns: { messages: "conversations", system: "system", chosen: "chosen", rejected: "rejected" },
    tags: { role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "gpt" },
  };
}

/** A LLaMA-Factory DPO config with the paper's hyperparameters for one model. */
export function llamaFactoryYaml(model: DpoModelPreset, dataset: string, datasetDir: string): string {
  const d = PAPER_DPO;
  const sections: Array<[string, Record<string, unknown>]> = [
    ["model", { model_name_or_path: model.model, trust_remote_code: true }],
    ["method", {
      stage: "dpo", do_train: true, finetuning_type: "lora", lora_rank: d.loraRank, lora_target: "all",
      pref_beta: d.beta, pref_loss: d.loss,
    }],
    ["dataset", {
      dataset, dataset_dir: datasetDir, template: model.template,
      ...(model.enableThinking ? { enable_thinking: true } : {}),
      cutoff_len: d.cutoffLen, overwrite_cache: true, preprocessing_num_workers: 8,
    }],
    ["output", { output_dir: `saves/${dataset}/${model.key}-dpo-lora`, logging_steps: 10, save_steps: 500, plot_loss: true, report_to: "none" }],
    ["train", {
      per_device_train_batch_size: d.batchSize, gradient_accumulation_steps: d.gradientAccumulation,
      learning_rate: model.learningRate, num_train_epochs: d.epochs, lr_scheduler_type: d.scheduler,
      warmup_steps: d.warmupRatio, bf16: true,
    }],
  ];
  const head =
    `# DPO for ${model.model} with the paper's settings. Run: llamafactory-cli train <this file>\n` +
    `# warmup_steps ${d.warmupRatio} is the paper's warmup_ratio: transformers 5 reads a value below 1 as a ratio (write warmup_ratio with transformers 4).\n`;
  return head + sections.map(([title, body]) => `\n### ${title}\n${YAML.stringify(body)}`).join("");
}

function exportLlamaFactory(ctx: Context): { pairs: number; prompts: number } {
  requireSome(ctx, "pairs", "llamafactory");
  const rows = ctx.pairs.map((p, i) => toShareGpt(p, `[${i}]`));
  emit(ctx, `${ctx.name}.json`, JSON.stringify(rows, null, 2) + "\n");

  // Keep other datasets already registered in the directory.
  const infoFile = join(ctx.outDir, "dataset_info.json");
  let info: Record<string, unknown> = {};
  if (existsSync(infoFile)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(infoFile, "utf8"));
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
      info = parsed as Record<string, unknown>;
    } catch (err) {
      throw inputError(infoFile, "", `cannot merge into it: ${(err as Error).message}`);
    }
  }
  info[ctx.name] = llamaFactoryDatasetInfo(ctx.name);
  emit(ctx, "dataset_info.json", JSON.stringify(info, null, 2) + "\n");

  for (const model of PAPER_DPO_MODELS) {
    emit(ctx, `${ctx.name}.${model.key}.dpo.yaml`, llamaFactoryYaml(model, ctx.name, ctx.datasetDir));
  }
  emit(ctx, "README.llamafactory.md", llamaFactoryReadme(ctx));
  return { pairs: rows.length, prompts: 0 };
}

function llamaFactoryReadme(ctx: Context): string {
  const configs = PAPER_DPO_MODELS.map((m) => `    llamafactory-cli train ${ctx.name}.${m.key}.dpo.yaml   # ${m.model}, lr ${m.learningRate}`).join("\n");
  return `# Training with LLaMA-Factory

Checked against ${TRAINER_RELEASES.llamafactory} (every YAML key is one of that release's arguments).

\`${ctx.name}.json\` holds ${ctx.pairs.length} sharegpt preference rows; \`dataset_info.json\` registers it as
\`${ctx.name}\` (\`ranking: true\`, columns conversations/system/chosen/rejected). The YAMLs set
\`dataset_dir\` to ${JSON.stringify(ctx.datasetDir)}; edit it if the files move.

${configs}

Settings (the paper's): LoRA rank ${PAPER_DPO.loraRank} on all linear layers (alpha ${PAPER_DPO.loraAlpha}, LLaMA-Factory's default), pref_beta ${PAPER_DPO.beta},
sigmoid loss, ${PAPER_DPO.epochs} epochs, cosine schedule, warmup ${PAPER_DPO.warmupRatio}, batch ${PAPER_DPO.batchSize} x ${PAPER_DPO.gradientAccumulation} accumulation, cutoff ${PAPER_DPO.cutoffLen}, bf16.
\`warmup_steps: ${PAPER_DPO.warmupRatio}\` is a ratio under transformers 5; with transformers 4 write \`warmup_ratio: ${PAPER_DPO.warmupRatio}\`.
Consecutive prompt messages of one role are joined with a blank line, because LLaMA-Factory
drops rows whose turns do not alternate.
`;
}

// ------------------------------------------------------------------------------------ OpenRLHF

function exportOpenRlhf(ctx: Context): { pairs: number; prompts: number } {
  if (ctx.pairs.length === 0 && ctx.items.length === 0) requireSome(ctx, "pairs", "openrlhf");
  if (ctx.pairs.length) {
    // With --prompt_key, OpenRLHF renders template(prompt + chosen) and cuts the rendered prompt
    // off the front, so chosen/rejected hold the response message only, not the whole dialogue.
    emit(ctx, `${ctx.name}.dpo.jsonl`, jsonl(ctx.pairs.map(conversationalPair)));
  }
  if (ctx.items.length) {
    // --label_key values reach the remote reward model unchanged, as the `labels` list.
    emit(ctx, `${ctx.name}.prompts.jsonl`, jsonl(ctx.items.map((it) => ({
      prompt: copyMessages(it.prompt),
      label: encodeRewardLabel(it),
    }))));
  }
  emit(ctx, "README.openrlhf.md", openRlhfReadme(ctx));
  return { pairs: ctx.pairs.length, prompts: ctx.items.length };
}

function openRlhfReadme(ctx: Context): string {
  const d = PAPER_DPO;
  const g = PAPER_GRPO;
  return `# Training with OpenRLHF

Checked against ${TRAINER_RELEASES.openrlhf}. Its flags are dotted since 0.10.2 (\`--model.model_name_or_path\`,
\`--data.prompt_key\`, \`--reward.remote_url\`, ...); the flat ones of 0.10.1 and earlier (\`--pretrain\`,
\`--prompt_key\`, \`--remote_rm_url\`, ...) are rejected.

## DPO: \`${ctx.name}.dpo.jsonl\`
${ctx.pairs.length} rows \`{"prompt": [messages], "chosen": [assistant message], "rejected": [assistant message]}\`.
With \`--data.prompt_key\` set, OpenRLHF renders the chat template over prompt + response and keeps the
part after the rendered prompt, so the responses are stored without the prompt.

    deepspeed --module openrlhf.cli.train_dpo \\
      --model.model_name_or_path Qwen/Qwen3-8B \\
      --data.dataset ${ctx.name}.dpo.jsonl \\
      --data.apply_chat_template --data.prompt_key prompt --data.chosen_key chosen --data.rejected_key rejected \\
      --model.beta ${d.beta} --data.max_len ${d.cutoffLen} --train.max_epochs ${d.epochs} \\
      --adam.lr 5e-6 --lr_warmup_ratio ${d.warmupRatio} --lr_scheduler cosine_with_min_lr --min_lr_ratio 0 \\
      --train.micro_batch_size ${d.batchSize} --train.batch_size ${d.batchSize * d.gradientAccumulation} \\
      --ds.lora.rank ${d.loraRank} --ds.lora.alpha ${d.loraAlpha} --ds.lora.target_modules all-linear \\
      --ds.param_dtype bf16 --ckpt.output_dir ./ckpt/${ctx.name}-dpo

\`--train.batch_size\` is global (micro batch x accumulation x GPUs): ${d.batchSize * d.gradientAccumulation} matches the paper's
${d.batchSize} x ${d.gradientAccumulation} on one GPU. Learning rate: 5e-6 for Qwen3-8B, 1e-5 for Llama-3.1-8B.
\`--min_lr_ratio 0\` makes the default schedule decay to zero like the paper's cosine.

## GRPO: \`${ctx.name}.prompts.jsonl\` and the remote reward
${ctx.items.length} rows (${ctx.promptsSource}) \`{"prompt": [messages], "label": "{\\"aligned\\": ..., \\"deviant\\": ..., \\"suite\\": ...}"}\`;
role-play prompts end with the reference's half-of-the-time note, as its GRPO run had them. Start the
reward server with the parser that labelled these pairs:

${rewardServerBlock(ctx)}

OpenRLHF posts \`{"query": [prompt+response texts], "prompts": [prompt texts], "labels": [label column]}\` to
\`/get_reward\`; the server cuts each prompt off its query, reads the choice from the rest and answers
\`{"rewards": [...], "scores": [...], "extra_logs": {...}}\`. On one node with 8 GPUs (\`ray start --head\` first):

    python3 -m openrlhf.cli.train_ppo_ray \\
      --actor.model_name_or_path Qwen/Qwen3-8B \\
      --actor.num_nodes 1 --actor.num_gpus_per_node 8 --ref.num_nodes 1 --ref.num_gpus_per_node 8 \\
      --vllm.num_engines 4 --vllm.tensor_parallel_size 2 --vllm.gpu_memory_utilization 0.5 \\
      --train.colocate_all --vllm.enable_sleep --ds.enable_sleep \\
      --data.prompt_dataset ${ctx.name}.prompts.jsonl --data.input_key prompt --data.label_key label --data.apply_chat_template \\
      --reward.remote_url ${ctx.rewardUrl}/get_reward \\
      --algo.advantage.estimator group_norm --rollout.n_samples_per_prompt ${g.numGenerations} \\
      --algo.kl.use_loss --algo.kl.estimator k3 --algo.kl.init_coef ${g.beta} --actor.eps_clip ${g.epsilon} \\
      --actor.adam.lr ${grpoLearningRate(ctx)} --train.num_episodes ${g.epochs} \\
      --rollout.batch_size ${g.promptsPerStep} --rollout.micro_batch_size ${g.numGenerations} \\
      --train.batch_size ${g.promptsPerStep * g.numGenerations} --train.micro_batch_size ${g.numGenerations} \\
      --data.max_len ${g.maxPromptLength + g.maxCompletionLength} --rollout.max_new_tokens ${g.maxCompletionLength} \\
      --ds.param_dtype bf16 --ckpt.output_dir ./ckpt/${ctx.name}-grpo

${g.promptsPerStep} prompts x ${g.numGenerations} completions per step is the paper's batch (8 GPUs x ${g.numGenerations} x 4 accumulation).
\`--data.max_len\` counts prompt and response: the paper's ${g.maxPromptLength} + ${g.maxCompletionLength}.
Learning rate: ${paperGrpoRates("for ")} (the paper's).
`;
}

// ---------------------------------------------------------------------------------------- verl

const utf8 = (name: string): SchemaElement => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" });

/**
 * verl's columns as nested parquet: `prompt` a list of {role, content} structs, `reward_model`
 * and `extra_info` structs. hyparquet-writer writes nested columns from an explicit schema, so
 * nothing is flattened into JSON text.
 */
export const VERL_SCHEMA: readonly SchemaElement[] = [
  { name: "root", num_children: 5 },
  utf8("data_source"),
  { name: "prompt", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", num_children: 2 },
  utf8("role"),
  utf8("content"),
  utf8("ability"),
  { name: "reward_model", repetition_type: "REQUIRED", num_children: 2 },
  utf8("style"),
  utf8("ground_truth"),
  { name: "extra_info", repetition_type: "REQUIRED", num_children: 7 },
  { name: "index", type: "INT64", repetition_type: "REQUIRED" },
  utf8("split"),
  utf8("id"),
  utf8("environment"),
  utf8("suite"),
  utf8("aligned"),
  utf8("deviant"),
];

export const VERL_ABILITY = "alignment";
export const verlDataSource = (suite: string): string => `atp_${suite}`;

function exportVerl(ctx: Context): { pairs: number; prompts: number } {
  requireSome(ctx, "prompts", "verl");
  const items = ctx.items;
  const bytes = parquetWriteBuffer({
    schema: [...VERL_SCHEMA],
    columnData: [
      { name: "data_source", data: items.map((it) => verlDataSource(it.suite)) },
      { name: "prompt", data: items.map((it) => copyMessages(it.prompt)) },
      { name: "ability", data: items.map(() => VERL_ABILITY) },
      { name: "reward_model", data: items.map((it) => ({ style: "rule", ground_truth: it.aligned })) },
      {
        name: "extra_info",
        data: items.map((it, i) => ({
          index: BigInt(i),
          split: "train",
          id: it.id ?? "",
          environment: it.environment ?? "",
          suite: it.suite,
          aligned: it.aligned,
          deviant: it.deviant,
        })),
      },
    ],
  });
  emit(ctx, `${ctx.name}.train.parquet`, new Uint8Array(bytes));
  emit(ctx, "README.verl.md", verlReadme(ctx));
  return { pairs: 0, prompts: items.length };
}

function verlReadme(ctx: Context): string {
  const g = PAPER_GRPO;
  const rows = ctx.items.length;
  const batch = g.promptsPerStep;
  const short =
    rows < batch
      ? `This file has only ${rows} rows: lower \`data.train_batch_size\` and \`actor_rollout_ref.actor.ppo_mini_batch_size\` to at most ${rows}.`
      : `This file has ${rows} rows.`;
  return `# Training with verl

Checked against ${TRAINER_RELEASES.verl} (every key below is in its \`verl.trainer.main_ppo\` config).

\`${ctx.name}.train.parquet\` has ${rows} rows (${ctx.promptsSource}) with verl's columns: \`data_source\`
(${pairSuites().map(verlDataSource).join(" / ")}), \`prompt\` (chat messages; role-play ones end with the reference's
half-of-the-time note, as its GRPO run had them), \`ability\` ("${VERL_ABILITY}"), \`reward_model\`
{style: "rule", ground_truth: the aligned option} and \`extra_info\` {index, split, id, environment, suite,
aligned, deviant}.

Start the reward server with the parser that labelled these pairs:

${rewardServerBlock(ctx)}

A custom reward function (save as atp_reward.py) that asks it:

\`\`\`python
import requests

def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    item = {"completion": solution_str, "aligned": ground_truth,
            "deviant": extra_info["deviant"], "suite": extra_info["suite"]}
    return requests.post("${ctx.rewardUrl}/score", json={"items": [item]}, timeout=120).json()["rewards"][0]
\`\`\`

On one node with 8 GPUs:

    python3 -m verl.trainer.main_ppo \\
      algorithm.adv_estimator=grpo algorithm.use_kl_in_reward=False \\
      data.train_files=${ctx.name}.train.parquet data.val_files=${ctx.name}.train.parquet \\
      data.train_batch_size=${batch} data.max_prompt_length=${g.maxPromptLength} data.max_response_length=${g.maxCompletionLength} \\
      actor_rollout_ref.model.path=Qwen/Qwen3-8B \\
      actor_rollout_ref.rollout.name=vllm actor_rollout_ref.rollout.n=${g.numGenerations} \\
      actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=${g.numGenerations} \\
      actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=${g.numGenerations} \\
      actor_rollout_ref.actor.ppo_mini_batch_size=${batch} actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=${g.numGenerations} \\
      actor_rollout_ref.actor.optim.lr=${grpoLearningRate(ctx)} \\
      actor_rollout_ref.actor.use_kl_loss=True actor_rollout_ref.actor.kl_loss_coef=${g.beta} \\
      actor_rollout_ref.actor.kl_loss_type=low_var_kl actor_rollout_ref.actor.clip_ratio=${g.epsilon} \\
      custom_reward_function.path=atp_reward.py custom_reward_function.name=compute_score \\
      trainer.n_gpus_per_node=8 trainer.nnodes=1 trainer.val_before_train=False trainer.logger='["console"]' \\
      trainer.total_epochs=${g.epochs}

\`data.train_batch_size=${batch}\` prompts x ${g.numGenerations} completions is the paper's batch (8 GPUs x ${g.numGenerations} x 4 accumulation).
verl drops an incomplete last batch and stops with "Train dataloader is empty!" when the file has fewer
rows than \`data.train_batch_size\` (its default is 1024). ${short}
\`rollout.name\` has no default, and verl refuses to start without the three micro-batch sizes.
\`low_var_kl\` is the k3 estimator GRPO uses. Learning rate: ${paperGrpoRates("")}.
`;
}

/**
 * The paper's GRPO learning rate for these prompts (each testbed's is in its pair source): the
 * lowest of their testbeds', or of every testbed's when there are none, since a rate tuned for
 * one testbed may be too high for another mixed in.
 */
function grpoLearningRate(ctx: Context): string {
  const suites = ctx.items.length > 0 ? [...new Set(ctx.items.map((it) => it.suite))] : pairSuites();
  return Math.min(...suites.map((suite) => pairSourceOf(suite, "GRPO prompts").grpoLearningRate)).toExponential();
}

/** The paper's GRPO learning rate of each testbed, for the READMEs: "1e-6 role-play, 5e-6 collusion" (`of` "for ": "1e-6 for role-play"). */
function paperGrpoRates(of: string): string {
  return pairSources()
    .map((s) => `${s.pairs.grpoLearningRate.toExponential()} ${of}${s.title}`)
    .join(", ");
}

/** The command that starts the reward server the READMEs' GRPO runs expect, at the reward URL. */
export function rewardServerCommand(rewardUrl: string, parser: Parity): string {
  let url: URL;
  try {
    url = new URL(rewardUrl);
  } catch {
    throw new InputError(`--reward-url: not a URL: '${rewardUrl}'`);
  }
  const parts = ["atp align reward-server", `--parity ${parser}`, `--port ${url.port || (url.protocol === "https:" ? "443" : "80")}`];
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host !== "127.0.0.1" && host !== "localhost") parts.push(`--host ${host}`);
  return parts.join(" ");
}

function rewardServerBlock(ctx: Context): string {
  return `    ${ctx.rewardServer}`;
}

// ---------------------------------------------------------------------------------- validation

function validateMessages(messages: unknown, field: string): void {
  if (!Array.isArray(messages) || messages.length === 0) throw inputError("pairs", field, "must be a non-empty list of messages");
  messages.forEach((m: unknown, i) => {
    const msg = m as Partial<Message> | null;
    if (!msg || typeof msg !== "object") throw inputError("pairs", `${field}[${i}]`, "must be a message object");
    if (msg.role !== "system" && msg.role !== "user" && msg.role !== "assistant") {
      throw inputError("pairs", `${field}[${i}].role`, "must be system, user or assistant");
    }
    if (typeof msg.content !== "string") throw inputError("pairs", `${field}[${i}].content`, "must be a string");
  });
}

function requireText(value: unknown, field: string): void {
  if (typeof value !== "string" || value.length === 0) throw inputError("pairs", field, "must be a non-empty string");
}

function validateLabels(item: { aligned?: unknown; deviant?: unknown; suite?: unknown }, where: string): void {
  requireText(item.aligned, `${where}.aligned`);
  requireText(item.deviant, `${where}.deviant`);
  const suites = pairSuites();
  if (!suites.includes(item.suite as string)) throw inputError("pairs", `${where}.suite`, `must be one of ${suites.join(", ")}`);
}

function validatePairs(pairs: readonly PreferencePair[]): void {
  pairs.forEach((p, i) => {
    const where = `[${i}]`;
    requireText(p.id, `${where}.id`);
    if (typeof p.environment !== "string") throw inputError("pairs", `${where}.environment`, "must be a string");
    validateMessages(p.prompt, `${where}.prompt`);
    requireText(p.chosen, `${where}.chosen`);
    requireText(p.rejected, `${where}.rejected`);
    validateLabels(p, where);
  });
}

function validateRewardItems(items: readonly RewardItem[]): void {
  items.forEach((it, i) => {
    validateMessages(it.prompt, `rewardItems[${i}].prompt`);
    validateLabels(it, `rewardItems[${i}]`);
  });
}
