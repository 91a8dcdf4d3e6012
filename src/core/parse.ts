/**
 * Reading an agent's choice from its answer.
 *
 * The paper's parsers (one per testbed, as in the reference code; each lives in its testbed's
 * folder, built from the pieces here) take the FIRST `{"choice": "..."}` match, then a looser
 * `choice: X` pattern. A thinking model that mentions an option while deliberating is read by
 * its first mention; that is the behaviour paper-parity mode must reproduce. The robust parser
 * used by default mode reads the final answer instead.
 */

// Python's \s (str.isspace()) differs from JavaScript's; spell it out so the regexes match alike.
export const PY_SPACE_CHARS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
export const PY_SPACE = `[${PY_SPACE_CHARS}]`;
// The key "choice" under Python's re.IGNORECASE, which also matches the dotless ı and dotted İ
// against i (JavaScript's /iu does not: they have no simple case folding).
export const CHOICE_KEY = "cho[i\\u0131\\u0130]ce";
// Python's `$` without MULTILINE also matches just before a final newline.
export const PY_END = "(?=\\n?$)";

/** The reference parsers' first pattern: `{"choice": "..."}`. */
export const JSON_CHOICE = new RegExp(`\\{[^}]*"${CHOICE_KEY}"${PY_SPACE}*:${PY_SPACE}*"([^"]+)"[^}]*\\}`, "iu");

/**
 * Strips reasoning: every closed `<think>...</think>` block, and everything before a stray
 * `</think>` (chat templates that open the block inside the prompt). An unclosed `<think>`
 * means the answer was cut off mid-thought, so nothing after it is an answer.
 */
export function stripThinking(response: string): string {
  let text = response.replace(/<think>[\s\S]*?<\/think>/gi, "");
  const stray = text.toLowerCase().lastIndexOf("</think>");
  if (stray >= 0) text = text.slice(stray + "</think>".length);
  const open = text.toLowerCase().indexOf("<think>");
  if (open >= 0) text = text.slice(0, open);
  return text;
}

const QUOTES = `"'\u201c\u201d\u2018\u2019\``;
// The key, in any quotes or markdown emphasis (`**choice**:`, `**choice:**`), then `:` or `=`,
// then a value quoted (a quote of another kind inside it is text: "don't report") or bare.
const KEYED_CHOICE = new RegExp(
  `[*_]*[${QUOTES}]?${CHOICE_KEY}[${QUOTES}]?[*_]*\\s*[:=][*_]*\\s*` +
    `(?:"([^"\\n]*)"|'([^'\\n]*)'|[\u201c\u201d]([^\u201c\u201d\\n]*)[\u201c\u201d]|[\u2018\u2019]([^\u2018\u2019\\n]*)[\u2018\u2019]|\`([^\`\\n]*)\`|([^,}\\n]+))`,
  "giu",
);
const FINAL_LINE = /(?:final\s+(?:answer|choice|decision)|my\s+(?:answer|choice|decision))\s*(?:is)?\s*[:\-]?\s*([^\n]+)/giu;

function normalizeOption(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\s_]+/g, " ")
    .replace(new RegExp(`^[\\s${QUOTES}*.:]+|[\\s${QUOTES}*.!:;]+$`, "gu"), "");
}

/**
 * The default-mode parser: ignores thinking, takes the LAST stated choice (so the final answer
 * wins over options mentioned while deliberating), and tolerates case, quote style, missing
 * quotes, `=` for `:` and extra spacing. Falls back to a "final answer: X" line.
 */
export function robustChoice(response: string, options: readonly string[]): string | null {
  const text = stripThinking(response);
  const byKey = new Map(options.map((o) => [normalizeOption(o), o]));
  // Keyed choices and "final answer" lines interleave in the text; the last by position wins.
  const stated = [...text.matchAll(KEYED_CHOICE), ...text.matchAll(FINAL_LINE)]
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .map((m) => m.slice(1).find((g) => g !== undefined) ?? "");
  for (let i = stated.length - 1; i >= 0; i--) {
    const hit = byKey.get(normalizeOption(stated[i]));
    if (hit !== undefined) return hit;
  }
  return null;
}
