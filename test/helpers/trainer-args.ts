/**
 * A checker of trainer argument names: the command lines and Python snippets of a README, and
 * the keys of a LLaMA-Factory YAML, against the names a trainer release accepts. The names are
 * kept in test/fixtures/trainer-args/<trainer>.json, each with the source and release it was
 * read from, so a flag renamed upstream fails these tests instead of a user's training job.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { repoRoot } from "./paper.js";

interface FixtureHead {
  trainer: string;
  version: string;
  source: string[];
}

export interface TrlFixture extends FixtureHead {
  /** Keyword arguments each class accepts. */
  keywords: Record<string, string[]>;
}

export interface OpenRlhfFixture extends FixtureHead {
  /** Options of each `python -m` module: a switch takes no value, a value option takes one or more. */
  commands: Record<string, Record<string, { takes: "switch" | "value"; nargs?: string | number; choices?: string[] }>>;
}

export interface VerlFixture extends FixtureHead {
  /** Every dotted key of the trainer config. */
  keys: string[];
  /** Keys that have no default and must be given. */
  required: string[];
}

export interface LlamaFactoryFixture extends FixtureHead {
  keys: string[];
}

export function loadFixture<T extends FixtureHead>(name: "trl" | "openrlhf" | "verl" | "llamafactory"): T {
  return JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "trainer-args", `${name}.json`), "utf8")) as T;
}

// ------------------------------------------------------------------------------ markdown

export interface CodeBlock {
  /** The fence's language, "" for an unlabelled fence or an indented block. */
  lang: string;
  text: string;
}

/** Fenced blocks and 4-space indented blocks (outside fences) of a markdown text. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      blocks.push({ lang: fence[1], text: body.join("\n") });
    } else if (lines[i].startsWith("    ") && (i === 0 || lines[i - 1].trim() === "")) {
      const body: string[] = [];
      for (; i < lines.length && (lines[i].startsWith("    ") || lines[i].trim() === ""); i++) body.push(lines[i].slice(4));
      i--;
      blocks.push({ lang: "", text: body.join("\n").trimEnd() });
    }
  }
  return blocks;
}

/** Shell command lines of a block: continuations joined, comments dropped, split into words. */
export function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  for (const line of text.replace(/\\\n/g, " ").split("\n")) {
    const words = shellWords(line);
    if (words.length) commands.push(words);
  }
  return commands;
}

function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "#" && !inWord) {
      break;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

// ------------------------------------------------------------------------------ checks

/** What a check looked at, and what it found wrong. */
export interface CheckResult {
  checked: string[];
  problems: string[];
}

const merge = (results: CheckResult[]): CheckResult => ({
  checked: results.flatMap((r) => r.checked),
  problems: results.flatMap((r) => r.problems),
});

/** OpenRLHF command lines (`-m` / `--module` openrlhf.cli.X) against the release's options. */
export function checkOpenRlhf(commands: string[][], fixture: OpenRlhfFixture): CheckResult {
  const out: CheckResult = { checked: [], problems: [] };
  for (const words of commands) {
    const at = words.findIndex((w) => w.startsWith("openrlhf.cli."));
    if (at < 0) continue;
    const module = words[at];
    const options = fixture.commands[module];
    out.checked.push(module);
    if (!options) {
      out.problems.push(`${module}: no such command in OpenRLHF ${fixture.version}`);
      continue;
    }
    const rest = words.slice(at + 1);
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i];
      if (!flag.startsWith("--")) {
        out.problems.push(`${module}: '${flag}' follows no option`);
        continue;
      }
      out.checked.push(flag);
      const option = options[flag];
      if (!option) {
        out.problems.push(`${module}: unknown option ${flag} in OpenRLHF ${fixture.version}`);
        while (i + 1 < rest.length && !rest[i + 1].startsWith("--")) i++;
        continue;
      }
      let values = 0;
      while (i + 1 < rest.length && !rest[i + 1].startsWith("--")) {
        values++;
        i++;
        if (option.choices && !option.choices.includes(rest[i])) out.problems.push(`${module}: ${flag} ${rest[i]}: not one of ${option.choices.join(", ")}`);
      }
      if (option.takes === "switch" && values > 0) out.problems.push(`${module}: ${flag} is a switch and takes no value`);
      if (option.takes === "value" && values === 0 && option.nargs !== "*" && option.nargs !== "?") out.problems.push(`${module}: ${flag} needs a value`);
    }
  }
  return out;
}

/** verl command lines (verl.trainer.main_ppo key=value overrides) against the release's config. */
export function checkVerl(commands: string[][], fixture: VerlFixture): CheckResult {
  const out: CheckResult = { checked: [], problems: [] };
  const keys = new Set(fixture.keys);
  for (const words of commands) {
    const at = words.indexOf("verl.trainer.main_ppo");
    if (at < 0) continue;
    out.checked.push("verl.trainer.main_ppo");
    const set = new Set<string>();
    for (const word of words.slice(at + 1)) {
      const eq = word.indexOf("=");
      if (eq <= 0) {
        out.problems.push(`verl: '${word}' is not a key=value override`);
        continue;
      }
      const key = word.slice(0, eq);
      out.checked.push(key);
      set.add(key);
      // Hydra refuses an override of a key the config lacks (a "+" would add one on purpose).
      if (!keys.has(key)) out.problems.push(`verl: unknown config key ${key} in verl ${fixture.version}`);
    }
    for (const key of fixture.required) if (!set.has(key)) out.problems.push(`verl: ${key} has no default and is not set`);
  }
  return out;
}

/** Keyword arguments of the calls to each fixture class in Python code. */
export function checkPythonKeywords(code: string, fixture: TrlFixture): CheckResult {
  const out: CheckResult = { checked: [], problems: [] };
  const text = code.replace(/#[^\n"']*$/gm, "");
  for (const [cls, accepted] of Object.entries(fixture.keywords)) {
    const call = new RegExp(`\\b${cls}\\(`, "g");
    for (let m = call.exec(text); m; m = call.exec(text)) {
      out.checked.push(cls);
      for (const arg of topLevelArgs(text, m.index + m[0].length)) {
        const kw = /^\s*([A-Za-z_]\w*)\s*=(?!=)/.exec(arg);
        if (!kw) continue;
        out.checked.push(`${cls}(${kw[1]})`);
        if (!accepted.includes(kw[1])) out.problems.push(`${cls}: unknown keyword ${kw[1]} at ${fixture.trainer} ${fixture.version}`);
      }
    }
  }
  return out;
}

/** The comma-separated arguments of a call whose text starts at `start` (after the open paren). */
function topLevelArgs(text: string, start: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = "";
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote && text[i - 1] !== "\\") quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if ("([{".includes(ch)) {
      depth++;
    } else if (")]}".includes(ch)) {
      if (depth === 0) {
        if (current.trim()) args.push(current);
        return args;
      }
      depth--;
    } else if (ch === "," && depth === 0) {
      args.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  throw new Error(`unclosed call at ${start}`);
}

/** A LLaMA-Factory training YAML (flat keys) against the release's arguments. */
export function checkLlamaFactoryYaml(yamlText: string, fixture: LlamaFactoryFixture): CheckResult {
  const out: CheckResult = { checked: [], problems: [] };
  const keys = new Set(fixture.keys);
  for (const key of Object.keys(YAML.parse(yamlText) as Record<string, unknown>)) {
    out.checked.push(key);
    if (!keys.has(key)) out.problems.push(`LLaMA-Factory: unknown argument ${key} in LLaMA-Factory ${fixture.version}`);
  }
  return out;
}

/** Every command line and Python snippet of a markdown text, checked against the four trainers. */
export function checkMarkdown(markdown: string): CheckResult {
  const trl = loadFixture<TrlFixture>("trl");
  const openrlhf = loadFixture<OpenRlhfFixture>("openrlhf");
  const verl = loadFixture<VerlFixture>("verl");
  const results: CheckResult[] = [];
  for (const block of codeBlocks(markdown)) {
    if (block.lang === "python") {
      results.push(checkPythonKeywords(block.text, trl));
    } else {
      const commands = shellCommands(block.text);
      results.push(checkOpenRlhf(commands, openrlhf), checkVerl(commands, verl));
    }
  }
  return merge(results);
}
