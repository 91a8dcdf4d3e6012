/**
 * DPO preference pairs, made the way the paper made them: for each training item, sample an
 * answer under an instruction that pushes toward the aligned option and one under an
 * instruction that pushes toward the deviant option, asking again (up to `retriesPerSide`
 * times, each with a new seed) until the parsed choice is the wanted one. The pair keeps the
 * item's original prompt, without the steering, so training teaches the model to choose the
 * aligned option from the prompt it will see at deployment.
 *
 * The items, their steering texts and how an answer's choice is read come from the testbed
 * (its `pairs` in src/testbed/contract.ts; src/testbeds/NAME/pairs.ts): `--parity paper` sends
 * the reference's texts word for word, `--parity default` the same structure in cleaner words.
 *
 * The stored prompt is the item's system prompt and user prompt as the data file has them (no
 * half-and-half note, no steering), which is what the reference's convert_dpo.py writes.
 *
 * Where the reference differs and we do not follow it: its game generator keeps the LAST answer
 * of a side even when no attempt matched, and convert_dpo.py then pairs it anyway; here a side
 * without a matching answer yields no pair, and the report says why.
 *
 * Storage: a run (`pair_runs`), its items (`pair_items`, with each side's status) and every
 * attempt (`pair_attempts`), in the run store's SQLite file. An attempt and its side's status
 * are saved in one transaction, so a killed run keeps every finished attempt; running again with
 * the same run id asks only for what is missing (a side that stopped on a failed call asks that
 * attempt again, with the same seed). A pair run lives as a run does (src/run/lifecycle.ts): one
 * writer at a time, the same settings to continue it, and a stop by a signal marks it interrupted.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createAgent } from "../agents/registry.js";
import type { Agent, AgentCall } from "../agents/types.js";
import { InputError } from "../core/errors.js";
import { checkOutputFile, writeFileAtomic } from "../core/files.js";
import { hashSeed } from "../core/rng.js";
import type { Message, Parity } from "../core/types.js";
import type { ProviderOptions, Sampling } from "../providers/types.js";
import { loadDatasets } from "../run/execute.js";
import { askThroughCache, type Asked } from "../run/ask.js";
import { createOrContinue, playRun, withRun, type StoredRunKind } from "../run/lifecycle.js";
import type { Dataset } from "../scenarios/types.js";
import type { LockOwner } from "../store/lock.js";
import type { PairRunRecord } from "../store/pairs.js";
import { RunStore } from "../store/store.js";
import { VERSION } from "../version.js";
import { scoreChoice } from "./reward.js";
import { pairSourceOf, pairSuites } from "./testbeds.js";
import type { AttemptRecord, PairItem, PairItemOptions, PreferencePair, RewardItem, Side, SideStatus } from "./types.js";

export const SIDES: readonly Side[] = ["aligned", "deviant"];

/** The paper's number of attempts per side (max_retries: 5 in the reference's configs). */
export const DEFAULT_RETRIES_PER_SIDE = 5;

/**
 * The prompt an item is sampled from before any steering, which is also the GRPO prompt the
 * reference trains on; each testbed says what it adds (src/testbeds/NAME/pairs.ts).
 */
export function generationPrompt(prompt: readonly Message[], suite: string, parity: Parity, where = "prompt"): Message[] {
  return pairSourceOf(suite, where).generationPrompt(prompt, parity, where);
}

/**
 * The training items of a testbed: those of the given scenario files, or its built-in pack when
 * none is given. A testbed without preference pairs is an InputError naming it.
 */
export function buildPairItems(suite: string, datasets: readonly Dataset[], options: PairItemOptions): PairItem[] {
  const items = pairSourceOf(suite, "--suite").items(datasets, options);
  if (items.length === 0) throw new InputError(`align pairs: no ${suite} items to make pairs from`);
  const seen = new Set<string>();
  for (const it of items) {
    // Seeds and pair ids derive from the key, so two items must never share one.
    if (seen.has(it.key)) throw new InputError(`align pairs: two items are named '${it.key}' (an item id repeats across the --dataset files)`);
    seen.add(it.key);
  }
  return items;
}

/** The seed of one attempt: new for every retry, so a seeded server does not answer the same again. */
export function attemptSeed(runSeed: number, key: string, side: Side, attempt: number): number {
  return hashSeed(runSeed, "pair", key, side, attempt);
}

// ------------------------------------------------------------------------------ generation

export interface SideOutcome {
  /** `stopped`: the run was stopped before the side was settled; the next session goes on with it. */
  status: SideStatus | "stopped";
  /** Every attempt, finished ones first, in order (a failed one last). */
  attempts: AttemptRecord[];
  /** The matching attempt, when found. */
  match?: AttemptRecord;
  error?: string;
}

export interface ItemOutcome {
  idx: number;
  item: PairItem;
  aligned: SideOutcome;
  deviant: SideOutcome;
  /** Present when both sides were found. */
  pair?: PreferencePair;
}

export interface GenerateOptions {
  seed: number;
  /** The steering texts the items were built with; recorded in each pair. */
  parity: Parity;
  /** Which parser reads the choices (reward.ts readChoice: paper = the reference's extractor). */
  parser: Parity;
  retriesPerSide: number;
  /** Save attempts to this run and continue from what it holds. */
  store?: { store: RunStore; runId: string };
  /** Answer repeated calls from the store's response cache (agents with a cache identity only). */
  cache?: RunStore;
  /** Stops the run: calls in flight are abandoned, no new attempt starts, and nothing unfinished is saved. */
  signal?: AbortSignal;
  onAttempt?: (attempt: AttemptRecord) => void;
  onItem?: (outcome: ItemOutcome, done: number, total: number) => void;
}

/** Plays every item (both sides at once; the provider caps what is in flight); outcomes in item order. */
export async function generatePairs(items: readonly PairItem[], agent: Agent, options: GenerateOptions): Promise<ItemOutcome[]> {
  if (!Number.isInteger(options.retriesPerSide) || options.retriesPerSide < 1) throw new RangeError("retriesPerSide must be an integer >= 1");
  const saved = options.store ? options.store.store.pairs.savedAttempts(options.store.runId) : new Map<number, AttemptRecord[]>();
  let done = 0;
  return Promise.all(
    items.map(async (item, idx) => {
      const previous = saved.get(idx) ?? [];
      const [aligned, deviant] = await Promise.all(
        SIDES.map((side) => sampleSide(item, idx, side, agent, options, previous.filter((a) => a.side === side))),
      );
      const outcome: ItemOutcome = { idx, item, aligned, deviant };
      if (aligned.match && deviant.match) outcome.pair = toPair(item, idx, aligned.match, deviant.match, options);
      // An item a stop left unsettled is not done; the next session plays it.
      if (aligned.status !== "stopped" && deviant.status !== "stopped") options.onItem?.(outcome, ++done, items.length);
      return outcome;
    }),
  );
}

async function sampleSide(item: PairItem, idx: number, side: Side, agent: Agent, options: GenerateOptions, saved: AttemptRecord[]): Promise<SideOutcome> {
  // A failed call is not an answer: only finished attempts count, and a failed one is asked again.
  const attempts = saved.filter((a) => a.error === undefined).sort((a, b) => a.attempt - b.attempt);
  const match = attempts.find((a) => a.kind === side);
  if (match) return { status: "found", attempts, match };
  const labels = { aligned: item.aligned, deviant: item.deviant, suite: item.suite };
  for (let attempt = attempts.length; attempt < options.retriesPerSide; attempt++) {
    if (options.signal?.aborted) return { status: "stopped", attempts };
    const seed = attemptSeed(options.seed, item.key, side, attempt);
    const call: AgentCall = {
      suite: item.suite,
      episode: `pairs/${item.key}`,
      round: attempt,
      agent: side === "aligned" ? 0 : 1,
      repeat: 0,
      seed,
      messages: item.steered[side],
      // Policy agents answer from the options; the steering text is for language models.
      options: { aligned: item.aligned, deviant: item.deviant },
      seen: [],
    };
    const base = { idx, side, attempt, seed, messages: item.steered[side] };
    let record: AttemptRecord;
    try {
      const { reply, latencyMs, cached } = await ask(agent, call, options);
      const score = scoreChoice(reply.text, labels, { parity: options.parser });
      record = { ...base, response: reply.text, choice: score.choice, kind: score.kind, latencyMs, requests: reply.attempts, cached };
      if (reply.promptTokens !== undefined) record.promptTokens = reply.promptTokens;
      if (reply.completionTokens !== undefined) record.completionTokens = reply.completionTokens;
    } catch (err) {
      // A call abandoned by a stop is no failure: the attempt is asked again in the next session.
      if (options.signal?.aborted) return { status: "stopped", attempts };
      const error = err instanceof Error ? err.message : String(err);
      record = { ...base, response: null, choice: null, kind: null, latencyMs: null, requests: 0, cached: false, error };
      const outcome: SideOutcome = { status: "error", attempts: [...attempts, record], error };
      options.store?.store.pairs.saveAttempt(options.store.runId, record, "error", explainSide(item.suite, side, outcome));
      options.onAttempt?.(record);
      return outcome;
    }
    attempts.push(record);
    const hit = record.kind === side;
    const status: SideStatus | "pending" = hit ? "found" : attempt + 1 >= options.retriesPerSide ? "not_found" : "pending";
    const outcome: SideOutcome = hit ? { status: "found", attempts, match: record } : { status: "not_found", attempts };
    options.store?.store.pairs.saveAttempt(options.store.runId, record, status, status === "not_found" ? explainSide(item.suite, side, outcome) : null);
    options.onAttempt?.(record);
    if (hit) return outcome;
  }
  return { status: "not_found", attempts };
}

/** Asks for one attempt; a cut-off or empty answer is never a pair answer: the attempt fails. */
async function ask(agent: Agent, call: AgentCall, options: Pick<GenerateOptions, "cache" | "signal">): Promise<Asked> {
  const asked = await askThroughCache(agent, call, { cache: options.cache, signal: options.signal });
  const { reply, rejected } = asked;
  if (rejected === "truncated") throw new Error(`the answer was cut off at the token limit (finish_reason "length"); raise the limit with --max-tokens`);
  if (rejected === "empty") throw new Error(`the model's answer was empty (no content; finish_reason ${JSON.stringify(reply.finishReason)})`);
  return asked;
}

function toPair(item: PairItem, idx: number, chosen: AttemptRecord, rejected: AttemptRecord, modes: Pick<GenerateOptions, "parity" | "parser">): PreferencePair {
  return {
    id: item.key,
    suite: item.suite,
    environment: item.environment,
    prompt: item.prompt.map((m) => ({ role: m.role, content: m.content })),
    chosen: chosen.response!,
    rejected: rejected.response!,
    aligned: item.aligned,
    deviant: item.deviant,
    meta: {
      item: idx,
      attempts: { aligned: chosen.attempt + 1, deviant: rejected.attempt + 1 },
      seeds: { aligned: chosen.seed, deviant: rejected.seed },
      parity: modes.parity,
      parser: modes.parser,
    },
  };
}

// ------------------------------------------------------------------------------ report

/** Why a side has no pair answer, e.g. "deviant side: 5 attempts, choices: compliant ×4, unparseable ×1". */
export function explainSide(suite: string, side: Side, outcome: SideOutcome): string {
  const finished = outcome.attempts.filter((a) => a.error === undefined);
  const names = pairSourceOf(suite, "pair item").choiceNames;
  const counts = new Map<string, number>();
  for (const a of finished) {
    const name = a.kind === null || a.kind === "unparseable" ? "unparseable" : names[a.kind];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const choices = [...counts].map(([name, n]) => `${name} ×${n}`).join(", ");
  const tried = `${finished.length} attempt${finished.length === 1 ? "" : "s"}${choices ? `, choices: ${choices}` : ""}`;
  if (outcome.status === "error") return `${side} side: call failed on attempt ${finished.length + 1} (${outcome.error}); ${tried} before it`;
  if (outcome.status === "found") return `${side} side: found on attempt ${outcome.match!.attempt + 1}`;
  return `${side} side: ${tried}`;
}

export interface PairProblem {
  idx: number;
  key: string;
  /** `aligned-only` / `deviant-only`: one side found; `none`: neither; `error`: a call failed. */
  status: "aligned-only" | "deviant-only" | "none" | "error";
  why: string;
}

export interface PairSummary {
  items: number;
  both: number;
  alignedOnly: number;
  deviantOnly: number;
  none: number;
  /** Items with a side that stopped on a failed call (run again with the same run id to finish them). */
  errors: number;
  problems: PairProblem[];
}

export function summarizePairs(outcomes: readonly ItemOutcome[]): PairSummary {
  const s: PairSummary = { items: outcomes.length, both: 0, alignedOnly: 0, deviantOnly: 0, none: 0, errors: 0, problems: [] };
  for (const o of outcomes) {
    const a = o.aligned.status;
    const d = o.deviant.status;
    if (a === "found" && d === "found") {
      s.both++;
      continue;
    }
    const why = SIDES.filter((side) => o[side].status !== "found").map((side) => explainSide(o.item.suite, side, o[side])).join("; ");
    let status: PairProblem["status"];
    if (a === "error" || d === "error") {
      status = "error";
      s.errors++;
    } else if (a === "found") {
      status = "aligned-only";
      s.alignedOnly++;
    } else if (d === "found") {
      status = "deviant-only";
      s.deviantOnly++;
    } else {
      status = "none";
      s.none++;
    }
    s.problems.push({ idx: o.idx, key: o.item.key, status, why });
  }
  return s;
}

// ------------------------------------------------------------------------------ files

function jsonlText(pairs: readonly PreferencePair[]): string {
  return pairs.map((p) => JSON.stringify(p)).join("\n") + (pairs.length ? "\n" : "");
}

/** Writes pairs as JSONL, one PreferencePair per line, whole or not at all. */
export function writePairsFile(file: string, pairs: readonly PreferencePair[]): void {
  writeFileAtomic(file, jsonlText(pairs));
}

/**
 * Reads a pairs JSONL file (what `atp align pairs --out` writes). Every line must be one
 * PreferencePair; the first bad one is an InputError naming its line and field.
 */
export function readPairsFile(file: string): PreferencePair[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: ${code === "ENOENT" ? "file not found" : `cannot read (${(err as Error).message})`}`);
  }
  const pairs: PreferencePair[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${file}: line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(`${where}: not valid JSON (${(err as Error).message})`);
    }
    pairs.push(checkPair(value, where));
  });
  if (pairs.length === 0) throw new InputError(`${file}: no pairs in the file`);
  return pairs;
}

function checkPair(value: unknown, where: string): PreferencePair {
  const bad = (field: string, reason: string) => new InputError(`${where}: field '${field}': ${reason}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a JSON object (one preference pair)`);
  const o = value as Record<string, unknown>;
  for (const f of ["id", "chosen", "rejected", "aligned", "deviant"]) {
    if (typeof o[f] !== "string" || (o[f] as string).length === 0) throw bad(f, "must be a non-empty string");
  }
  if (typeof o.environment !== "string") throw bad("environment", "must be a string");
  const suites = pairSuites();
  if (!suites.includes(o.suite as string)) throw bad("suite", `must be one of ${suites.join(", ")}`);
  if (!Array.isArray(o.prompt) || o.prompt.length === 0) throw bad("prompt", "must be a non-empty list of messages");
  o.prompt.forEach((m: unknown, i) => {
    const msg = m as Record<string, unknown> | null;
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw bad(`prompt[${i}]`, "must be a message object");
    if (msg.role !== "system" && msg.role !== "user" && msg.role !== "assistant") throw bad(`prompt[${i}].role`, "must be system, user or assistant");
    if (typeof msg.content !== "string") throw bad(`prompt[${i}].content`, "must be a string");
  });
  if (o.meta !== undefined && (typeof o.meta !== "object" || o.meta === null || Array.isArray(o.meta))) throw bad("meta", "must be an object when present");
  return o as unknown as PreferencePair;
}

// ------------------------------------------------------------------------------ a whole run

/** Everything `atp align pairs` needs; see the command's help for each field. */
export interface PairConfig {
  suite: string;
  model: string;
  /** Scenario files or `paper:` names; empty for the built-in packs. */
  datasets: string[];
  parity: Parity;
  parser: Parity;
  seed: number;
  retriesPerSide: number;
  variants: number;
  perFraming: number;
  sampling: Sampling;
  /** Server settings (base URLs, concurrency, timeout, retries); they do not change the answers. */
  provider: Partial<Omit<ProviderOptions, "sampling">>;
  db: string;
  runId: string | null;
  cache: boolean;
  out: string | null;
}

export interface PairHooks {
  /** `takenOver`: the writer that held the run's lock and is gone (src/store/lock.ts). */
  onStart?: (info: { runId: string; items: number; resumed: boolean; attemptsSaved: number; takenOver: LockOwner | null }) => void;
  onAttempt?: (attempt: AttemptRecord) => void;
  onItem?: (outcome: ItemOutcome, done: number, total: number) => void;
  /** Aborted with a signal's name (SIGINT, SIGTERM): the run stops, is marked interrupted and throws RunStopped. */
  signal?: AbortSignal;
}

export interface PairRunResult {
  runId: string;
  config: PairConfig;
  outcomes: ItemOutcome[];
  /** Pairs with both sides, in item order (what `out` received). */
  pairs: PreferencePair[];
  summary: PairSummary;
}

/** What must match for `--run-id` to continue a run: everything that shapes the answers. */
function fingerprint(c: Pick<PairConfig, "suite" | "model" | "parity" | "parser" | "seed" | "retriesPerSide" | "sampling">, itemsSha: string): string {
  return JSON.stringify({ suite: c.suite, model: c.model, parity: c.parity, parser: c.parser, seed: c.seed, retriesPerSide: c.retriesPerSide, sampling: c.sampling, itemsSha });
}

function itemsDigest(items: readonly PairItem[]): string {
  return createHash("sha256").update(JSON.stringify(items)).digest("hex");
}

/** Finished attempts the run has saved (a failed call is no answer). */
function savedAnswers(store: RunStore, runId: string): number {
  return [...store.pairs.savedAttempts(runId).values()].reduce((n, list) => n + list.filter((a) => a.error === undefined).length, 0);
}

/** A pair run of `atp align pairs`, as its lifecycle (src/run/lifecycle.ts) handles it. */
const PAIR_RUN: StoredRunKind<PairRunRecord> = {
  lock: "pairs",
  find: (store, runId) => store.pairs.getRun(runId),
  setStatus: (store, runId, status) => store.pairs.setRunStatus(runId, status),
  saved: (store, runId) => `${store.pairs.itemProgress(runId).done} of ${store.pairs.getRun(runId)!.itemCount} items finished and ${savedAnswers(store, runId)} answers`,
  settingsListed: " (model, suite, items, parity, parser, seed, sampling or --retries-per-side)",
  howToContinue: () => "give the same ones to continue it",
  continueLine: (runId, db) => `Continue it with the same command: atp align pairs ... --run-id ${runId} --db ${db}`,
};

/**
 * Makes pairs for a suite, or continues the run `config.runId` names when the store has it:
 * finished attempts are kept, missing ones asked, failed calls asked again. Writes the pairs
 * to `config.out` at the end.
 */
export async function executePairs(config: PairConfig, hooks: PairHooks = {}): Promise<PairRunResult> {
  if (config.out) checkOutputFile(config.out, "--out", "pairs.jsonl");
  const items = buildPairItems(config.suite, loadDatasets(config.datasets), {
    parity: config.parity,
    variants: config.variants,
    perFraming: config.perFraming,
    seed: config.seed,
  });
  const itemsSha = itemsDigest(items);
  const agent = await createAgent(config.model, { ...config.provider, sampling: config.sampling, checkEndpoints: true });
  try {
    return await withRun(PAIR_RUN, config.db, config.runId, {}, async (session) => {
      const { store, runId } = session;
      createOrContinue(session, PAIR_RUN, {
        sameSettings: (existing) => {
          const stored = existing.settings as PairConfig & { itemsSha: string };
          return fingerprint(stored, stored.itemsSha) === fingerprint(config, itemsSha);
        },
        create: () => {
          const { db: _db, out: _out, runId: _id, provider: _p, ...kept } = config;
          store.pairs.createRun({
            id: runId,
            suite: config.suite,
            model: config.model,
            seed: config.seed,
            parity: config.parity,
            settings: { ...kept, itemsSha },
            versions: { "atp-testbed": VERSION, node: process.version, ...store.libraryVersions() },
            items,
          });
        },
      });
      const savedItems = store.pairs.loadItems(runId);
      const play = async () => {
        const resumed = session.existing !== undefined;
        hooks.onStart?.({ runId, items: savedItems.length, resumed, attemptsSaved: savedAnswers(store, runId), takenOver: session.takenOver });
        const outcomes = await generatePairs(savedItems, agent, {
          seed: config.seed,
          parity: config.parity,
          parser: config.parser,
          retriesPerSide: config.retriesPerSide,
          store: { store, runId },
          cache: config.cache ? store : undefined,
          signal: hooks.signal,
          onAttempt: hooks.onAttempt,
          onItem: hooks.onItem,
        });
        return { outcomes, summary: summarizePairs(outcomes) };
      };
      const { outcomes, summary } = await playRun(session, PAIR_RUN, hooks.signal, play, (r) => r.summary.errors > 0);
      const pairs = outcomes.flatMap((o) => (o.pair ? [o.pair] : []));
      if (config.out) writePairsFile(config.out, pairs);
      return { runId, config, outcomes, pairs, summary };
    });
  } finally {
    await agent.close?.();
  }
}

// ------------------------------------------------------------------------------ a stored run, for export

/** What a pair run holds for the trainers: its pairs, and the GRPO prompt of every item. */
export interface StoredPairRun {
  run: PairRunRecord;
  /** The parser that labelled the answers, which the reward server should use too. */
  parser: Parity;
  /** Items with both sides found, in item order (what `--out` wrote). */
  pairs: PreferencePair[];
  /** One GRPO prompt per item, in item order, whether or not its pair succeeded. */
  items: RewardItem[];
  /** Keys of the items that have a pair. */
  paired: Set<string>;
}

/** Reads pair run `runId` from the store `file`, which must exist. */
export function readPairRun(file: string, runId: string): StoredPairRun {
  const store = RunStore.open(file, { mustExist: true });
  try {
    const run = store.pairs.getRun(runId);
    if (!run) throw new InputError(`--run-id ${runId}: the store ${file} has no pair run with this id`);
    const settings = run.settings as Pick<PairConfig, "parity" | "parser">;
    const modes = { parity: settings.parity, parser: settings.parser };
    const saved = store.pairs.savedAttempts(runId);
    const pairs: PreferencePair[] = [];
    const items: RewardItem[] = [];
    store.pairs.loadItems(runId).forEach((item, idx) => {
      items.push({
        id: item.key,
        environment: item.environment,
        prompt: generationPrompt(item.prompt, item.suite, modes.parity, `item ${item.key}`),
        aligned: item.aligned,
        deviant: item.deviant,
        suite: item.suite,
      });
      // The first finished attempt that matched its side, as generatePairs picks it.
      const finished = (saved.get(idx) ?? []).filter((a) => a.error === undefined);
      const [chosen, rejected] = SIDES.map((side) => finished.find((a) => a.side === side && a.kind === side));
      if (chosen && rejected) pairs.push(toPair(item, idx, chosen, rejected, modes));
    });
    return { run, parser: modes.parser, pairs, items, paired: new Set(pairs.map((p) => p.id)) };
  } finally {
    store.close();
  }
}
