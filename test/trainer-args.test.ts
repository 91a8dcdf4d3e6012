/**
 * The export READMEs, the LLaMA-Factory configs and README.md's alignment section, checked
 * against the argument names of the trainer releases the READMEs name (test/fixtures/trainer-args,
 * read from each trainer's source at that release). A flag or keyword renamed upstream fails here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportPairs, TRAINER_RELEASES, type ExportFormat } from "../src/align/export.js";
import type { PreferencePair } from "../src/align/types.js";
import {
  checkLlamaFactoryYaml,
  checkMarkdown,
  checkOpenRlhf,
  checkPythonKeywords,
  checkVerl,
  codeBlocks,
  loadFixture,
  shellCommands,
  type LlamaFactoryFixture,
  type OpenRlhfFixture,
  type TrlFixture,
  type VerlFixture,
} from "./helpers/trainer-args.js";
import { repoRoot } from "./helpers/paper.js";

const trl = loadFixture<TrlFixture>("trl");
const openrlhf = loadFixture<OpenRlhfFixture>("openrlhf");
const verl = loadFixture<VerlFixture>("verl");
const llamafactory = loadFixture<LlamaFactoryFixture>("llamafactory");

const pairs: PreferencePair[] = [
  {
    id: "rp-1", suite: "roleplay", environment: "delivery worker",
    prompt: [{ role: "system", content: "You deliver parcels." }, { role: "user", content: 'Route A or B? {"choice": "Route A"}' }],
    chosen: '{"choice": "Route A"}', rejected: '{"choice": "Route B"}', aligned: "Route A", deviant: "Route B",
    meta: { parity: "paper", parser: "paper" },
  },
];

function exported(format: ExportFormat): { dir: string; readme: string } {
  const dir = mkdtempSync(join(tmpdir(), "atp-trainer-args-"));
  exportPairs(pairs, format, dir);
  return { dir, readme: readFileSync(join(dir, `README.${format}.md`), "utf8") };
}

test("fixtures name their source, release and commit", () => {
  for (const f of [trl, openrlhf, verl, llamafactory]) {
    assert.match(f.version, /^\d+\.\d+\.\d+$/);
    assert.ok(f.source.length > 0 && f.source.every((s) => s.length > 20), f.trainer);
    assert.match(f.source[0], /tag v\d+\.\d+\.\d+ \(commit [0-9a-f]{40}\)/, `${f.trainer}: source with its tag and commit`);
  }
});

test("each export README states the release its commands were checked against", () => {
  const fixtures: Record<ExportFormat, { trainer: string; version: string }> = { trl, openrlhf, verl, llamafactory };
  for (const format of ["trl", "openrlhf", "verl", "llamafactory"] as const) {
    const { dir, readme } = exported(format);
    try {
      const { trainer, version } = fixtures[format];
      assert.ok(TRAINER_RELEASES[format].startsWith(`${trainer} ${version}`), `${format}: ${TRAINER_RELEASES[format]} is the fixture's ${trainer} ${version}`);
      assert.ok(readme.includes(`Checked against ${TRAINER_RELEASES[format]}`), format);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("TRL README: every keyword of DPOConfig, GRPOConfig, LoraConfig and the trainers exists at the stated release", () => {
  const { dir, readme } = exported("trl");
  try {
    const result = checkMarkdown(readme);
    assert.deepEqual(result.problems, []);
    for (const cls of ["DPOConfig", "GRPOConfig", "LoraConfig", "DPOTrainer", "GRPOTrainer"]) assert.ok(result.checked.includes(cls), `${cls} was checked`);
    assert.ok(result.checked.includes("LoraConfig(lora_alpha)"));
    assert.ok(result.checked.filter((c) => c.startsWith("GRPOConfig(")).length >= 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("OpenRLHF README: every flag of train_dpo and train_ppo_ray exists at the stated release, switches take no value", () => {
  const { dir, readme } = exported("openrlhf");
  try {
    const result = checkMarkdown(readme);
    assert.deepEqual(result.problems, []);
    assert.ok(result.checked.includes("openrlhf.cli.train_dpo") && result.checked.includes("openrlhf.cli.train_ppo_ray"));
    for (const flag of ["--model.model_name_or_path", "--data.prompt_key", "--reward.remote_url", "--actor.model_name_or_path"]) {
      assert.ok(result.checked.includes(flag), `${flag} was checked`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("verl README: every override is a key of the stated release's config, and the required rollout name is set", () => {
  const { dir, readme } = exported("verl");
  try {
    const result = checkMarkdown(readme);
    assert.deepEqual(result.problems, []);
    for (const key of ["data.train_batch_size", "actor_rollout_ref.rollout.name", "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu",
      "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu", "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu"]) {
      assert.ok(result.checked.includes(key), `${key} is set`);
    }
    // This export has one row, fewer than one batch: the README says how to lower it.
    assert.match(readme, /This file has only 1 rows: lower `data\.train_batch_size`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("LLaMA-Factory configs: every key is an argument of the stated release", () => {
  const { dir, readme } = exported("llamafactory");
  try {
    const yamls = readdirSync(dir).filter((f) => f.endsWith(".dpo.yaml"));
    assert.equal(yamls.length, 2);
    for (const f of yamls) {
      const result = checkLlamaFactoryYaml(readFileSync(join(dir, f), "utf8"), llamafactory);
      assert.deepEqual(result.problems, [], f);
      assert.ok(result.checked.includes("pref_beta") && result.checked.includes("warmup_steps"));
    }
    assert.deepEqual(checkMarkdown(readme).problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("README.md's alignment section: its TRL snippet and commands pass the same checker", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("\n## Aligning a model");
  assert.ok(start >= 0, "README.md has the alignment section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const result = checkMarkdown(section);
  assert.deepEqual(result.problems, []);
  for (const cls of ["DPOConfig", "LoraConfig", "DPOTrainer"]) assert.ok(result.checked.includes(cls), `${cls} was checked`);
  assert.ok(section.includes(`Checked against ${TRAINER_RELEASES.trl}`) || section.includes(`TRL ${trl.version}`), "the section names the TRL release");
});

test("the checker catches what changed upstream: removed keywords, flat OpenRLHF flags, bad verl overrides", () => {
  const python = codeBlocks("```python\nconfig = GRPOConfig(\n    output_dir=\"o\",  # a comment, with = sign\n    max_prompt_length=1024, warmup_ratio=0.1,\n    num_generations=4,\n)\nLoraConfig(r=8, alpha=16)\n```")[0].text;
  assert.deepEqual(checkPythonKeywords(python, trl).problems, [
    "GRPOConfig: unknown keyword max_prompt_length at TRL 1.9.0",
    "GRPOConfig: unknown keyword warmup_ratio at TRL 1.9.0",
    "LoraConfig: unknown keyword alpha at TRL 1.9.0",
  ]);

  // The flags our README had before OpenRLHF 0.10.2.
  const old = shellCommands("deepspeed --module openrlhf.cli.train_dpo \\\n  --pretrain Qwen/Qwen3-8B --apply_chat_template --data.apply_chat_template yes --data.max_len\n");
  assert.deepEqual(checkOpenRlhf(old, openrlhf).problems, [
    "openrlhf.cli.train_dpo: unknown option --pretrain in OpenRLHF 0.11.0",
    "openrlhf.cli.train_dpo: unknown option --apply_chat_template in OpenRLHF 0.11.0",
    "openrlhf.cli.train_dpo: --data.apply_chat_template is a switch and takes no value",
    "openrlhf.cli.train_dpo: --data.max_len needs a value",
  ]);
  const ppo = shellCommands("python3 -m openrlhf.cli.train_ppo_ray --algo.advantage.estimator grpo --remote_rm_url http://x/get_reward");
  assert.deepEqual(checkOpenRlhf(ppo, openrlhf).problems, [
    "openrlhf.cli.train_ppo_ray: --algo.advantage.estimator grpo: not one of gae, reinforce, rloo, reinforce_baseline, group_norm, dr_grpo",
    "openrlhf.cli.train_ppo_ray: unknown option --remote_rm_url in OpenRLHF 0.11.0",
  ]);

  // Our verl command before: no rollout name, and a misspelt key.
  const v = shellCommands("python3 -m verl.trainer.main_ppo algorithm.adv_estimator=grpo data.train_batch=32 trainer.logger='[\"console\"]'");
  assert.deepEqual(checkVerl(v, verl).problems, [
    "verl: unknown config key data.train_batch in verl 0.7.0",
    "verl: actor_rollout_ref.rollout.name has no default and is not set",
  ]);
  assert.deepEqual(checkLlamaFactoryYaml("stage: dpo\nlora_rank: 8\nlora_rnak: 8\n", llamafactory).problems, [
    "LLaMA-Factory: unknown argument lora_rnak in LLaMA-Factory 0.9.5",
  ]);
});
