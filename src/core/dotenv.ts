/**
 * The `.env` file of the working folder: `NAME=value` lines that fill environment variables not
 * already set (a variable set in the shell always wins). Keys such as OPENAI_API_KEY live here or
 * in the environment, never in run files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "./errors.js";

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/**
 * Parses `.env` text: blank lines and `#` comments are skipped; a value may be bare (a ` #` starts a
 * comment), in single quotes (taken as written) or in double quotes (with \n, \t, \" and \\).
 */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${file}:${i + 1}`;
    const m = LINE.exec(line);
    if (!m) throw new InputError(`${where}: expected NAME=value, got '${line.slice(0, 40)}'`);
    vars[m[1]] = value(m[2], where);
  });
  return vars;
}

function value(v: string, where: string): string {
  const quote = v[0];
  if (quote !== '"' && quote !== "'") return v.replace(/(^|\s+)#.*$/, "").trim();
  const end = quote === "'" ? v.indexOf("'", 1) : closingDoubleQuote(v);
  if (end < 0) throw new InputError(`${where}: the value's ${quote} quote is not closed on this line`);
  const rest = v.slice(end + 1).trim();
  if (rest !== "" && !rest.startsWith("#")) throw new InputError(`${where}: unexpected text after the quoted value: '${rest}'`);
  const inner = v.slice(1, end);
  return quote === "'" ? inner : inner.replace(/\\(.)/g, (all, c: string) => ESCAPES[c] ?? all);
}

function closingDoubleQuote(v: string): number {
  for (let i = 1; i < v.length; i++) {
    if (v[i] === "\\") i++;
    else if (v[i] === '"') return i;
  }
  return -1;
}

/** Reads `dir/.env` if there is one into `env`, leaving variables already set alone; returns the names it set. */
export function loadDotenv(dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = join(dir, ".env");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new InputError(`.env: ${(err as Error).message}`);
  }
  const set: string[] = [];
  for (const [name, v] of Object.entries(parseDotenv(text, ".env"))) {
    if (env[name] !== undefined) continue;
    env[name] = v;
    set.push(name);
  }
  return set;
}
