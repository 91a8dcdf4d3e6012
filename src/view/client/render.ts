/**
 * The page's generic renderers: tables from column lists, charts from our server's SVG, and
 * conversations (messages, answers with their reasoning folded, long texts opened on demand).
 * Panels and pages compose these; nothing here knows a testbed.
 */
import type { EpisodeCounts, Message, Proportion, RateCell } from "../api.js";
import { ApiError, add, ci, h, pct, plural, state, type Child, type Props } from "./dom.js";

// Repeated prompt texts longer than this are folded away after their first showing.
export const FOLD_CHARS = 200;
// Texts longer than this show a preview and open whole on demand: a page of 300 KB answers stays fast.
const LONG_CHARS = 4000;
const PREVIEW_CHARS = 1500;

// ------------------------------------------------------------ tables

/** One column of a table: its header and the cell it shows for a row. */
export interface Column<Row> {
  head: string;
  num?: boolean;
  cell(row: Row): HTMLTableCellElement;
}

/** A table of rows by columns; a null column is left out (a column only some runs have). */
export function table<Row>(columns: (Column<Row> | null)[], rows: Row[], props: Props = {}, rowProps?: (row: Row) => Props): HTMLElement {
  const cols = columns.filter((c): c is Column<Row> => c !== null);
  return h("div", { class: "table-wrap" }, h("table", props,
    h("thead", null, h("tr", null, cols.map((c) => h("th", c.num ? { class: "num" } : null, c.head)))),
    h("tbody", null, rows.map((row) => h("tr", rowProps ? rowProps(row) : null, cols.map((c) => c.cell(row)))))));
}

export const td = (text: Child, props: Props = {}) => h("td", props, text);
export const numTd = (text: Child, props: Props = {}) => h("td", { ...props, class: `num${props.class ? ` ${props.class}` : ""}` }, text);
export const dash = () => h("td", { class: "num muted" }, "—");

/** A rate with its interval, or a dash without decisions. */
export function rateCell(c: RateCell | null | undefined): HTMLTableCellElement {
  if (!c || !c.total) return dash();
  return h("td", { class: "num", "data-rate": String(c.rate) }, pct(c.rate), h("span", { class: "ci" }, ci(c.low, c.high)));
}

/** A proportion with its interval, or a dash without data. */
export function proportionCell(p: Proportion | null | undefined): HTMLTableCellElement {
  if (!p || !p.n) return dash();
  return h("td", { class: "num", "data-rate": String(p.rate), title: `${p.successes} of ${p.n}` }, pct(p.rate), h("span", { class: "ci" }, ci(p.low, p.high)));
}

// ------------------------------------------------------------ charts

/** Chart SVG comes from our own server; it is still parsed as XML and cleaned before use. */
function svgNode(text: string): Node {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) throw new Error("the chart is not an SVG");
  for (const n of root.querySelectorAll("script, foreignObject, iframe, object, embed")) n.remove();
  for (const el of [root, ...root.querySelectorAll("*")]) {
    for (const a of [...el.attributes]) {
      if (/^on/i.test(a.name) || (/href$/i.test(a.name) && a.value.charAt(0) !== "#")) el.removeAttribute(a.name);
    }
  }
  return document.importNode(root, true);
}

/** A figure that fills with the chart; `pending` holds the promise so a refresh can wait for it. */
export function chart(url: string, name: string, pending?: Promise<unknown>[]): HTMLElement {
  const fig = h("figure", { class: "chart", "data-chart": name }, h("div", { class: "chart-loading" }, "Loading chart…"));
  const p = fetch(url, { cache: "no-store" })
    .then(async (res) => {
      if (!res.ok) {
        const b = (await res.json().catch(() => ({}))) as { error?: string };
        throw new Error(b.error || res.statusText);
      }
      return res.text();
    })
    .then((text) => fig.replaceChildren(svgNode(text)))
    .catch((err: Error) => fig.replaceChildren(h("div", { class: "chart-error" }, `Chart unavailable: ${err.message}`)));
  pending?.push(p);
  return fig;
}

// ------------------------------------------------------------ small pieces

export const badge = (status: string) => h("span", { class: `badge ${status}`, "data-status": status }, status);
export const chip = (kind: string, text: Child) => h("span", { class: `chip ${kind}` }, text);

export function progress(e: EpisodeCounts): HTMLElement {
  const done = e.total ? (e.done / e.total) * 100 : 0;
  const failed = e.total ? (e.failed / e.total) * 100 : 0;
  return h("div", { class: "progress", title: `${e.done} done, ${e.failed} failed, ${e.running} running, ${e.pending} pending` },
    h("div", { class: "bar" }, h("span", { style: `width:${done.toFixed(2)}%` }), h("span", { class: "failed", style: `left:${done.toFixed(2)}%;width:${failed.toFixed(2)}%` })),
    h("span", { class: "small", "data-field": "episodes" }, `${e.done}/${e.total}`));
}

export type MetaItem = [string, Child] | null;

export function metaList(items: MetaItem[]): HTMLElement {
  return h("dl", { class: "meta" }, items.filter((it): it is [string, Child] => it !== null).map(([dt, dd]) => h("div", null, h("dt", null, dt), h("dd", null, dd))));
}

export function crumbs(list: { href?: string; text: string }[]): HTMLElement {
  return h("div", { class: "crumbs" }, list.map((c) => (c.href ? h("a", { href: c.href }, c.text) : h("span", null, c.text))));
}

export function failure(err: unknown): HTMLElement {
  const msg = err instanceof ApiError || err instanceof Error ? err.message : String(err);
  return h("div", { class: "card" }, h("div", { class: "error" }, msg), h("p", null, h("a", { href: "#/" }, "Back to the runs")));
}

export function setLive(on: boolean): void {
  document.getElementById("live")!.hidden = !on;
}

/** A fold that stays open or closed across refreshes. */
export function foldable(id: string, summary: string, body: Child): HTMLDetailsElement {
  const d = h("details", { class: "fold" }, h("summary", null, summary), body);
  d.open = Boolean(state.open[id]);
  d.addEventListener("toggle", () => {
    state.open[id] = d.open;
  });
  return d;
}

/** A fold whose content is built the first time it opens: closed folds of long prompts cost nothing. */
export function lazyFold(summary: string, build: () => Child): HTMLDetailsElement {
  const d = h("details", { class: "fold" }, h("summary", null, summary));
  d.addEventListener("toggle", () => {
    if (d.open && d.childNodes.length === 1) add(d, build());
  });
  return d;
}

// ------------------------------------------------------------ conversations

/** A text box; a long text shows its beginning and a button that puts the whole text in its place. */
export function longText(text: string): HTMLElement {
  const box = h("div", { class: "text" });
  if (text.length <= LONG_CHARS) {
    box.textContent = text;
    return box;
  }
  const more = h("button", { type: "button", class: "show-all", "data-action": "show-all" }, `Show the whole text (${plural(text.length, "character")})`);
  more.addEventListener("click", () => {
    box.textContent = text;
  });
  box.append(`${text.slice(0, PREVIEW_CHARS)} …`, h("br"), more);
  return box;
}

function think(text: string): HTMLElement {
  const words = text.trim() ? text.trim().split(/\s+/).length : 0;
  return h("details", { class: "think" }, h("summary", null, `Reasoning · ${plural(words, "word")}`), longText(text.trim()));
}

/** An answer as text, with reasoning blocks (in the text, or sent apart by the server) folded away. */
export function answer(text: string, call?: { finishReason?: string | null; reasoning?: string }): HTMLElement {
  const box = h("div", { class: "answer" });
  let rest = text;
  if (call?.finishReason === "length") box.append(h("span", { class: "badge", "data-field": "truncated" }, "cut off at the token limit"));
  // Kept in the history (--history-reasoning keep), the reasoning is in the text already.
  if (call?.reasoning && !text.includes("<think>")) box.append(think(call.reasoning));
  // Some chat templates open the reasoning block in the prompt, so only its end is in the answer.
  if (!rest.includes("<think>") && rest.includes("</think>")) {
    const cut = rest.indexOf("</think>");
    box.append(think(rest.slice(0, cut)));
    rest = rest.slice(cut + 8);
  }
  const re = /<think>([\s\S]*?)(?:<\/think>|$)/g;
  let last = 0;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    const before = rest.slice(last, m.index);
    if (before.trim()) box.append(longText(before.trim()));
    box.append(think(m[1]));
    last = re.lastIndex;
  }
  const tail = rest.slice(last);
  if (tail.trim()) box.append(longText(tail.trim()));
  if (!text.trim()) box.append(h("div", { class: "text muted" }, "(empty answer)"));
  return box;
}

/** One message of a conversation; `kind` styles it (system, user, feedback, assistant). */
export function message(m: Message, kind?: string, label?: string): HTMLElement {
  return h("div", { class: `msg ${kind || m.role}` }, h("div", { class: "who" }, label || m.role), longText(m.content));
}

/**
 * Texts already shown earlier in a conversation, by content: the first showing's place. A long
 * text seen again is folded with a pointer to where it was first.
 */
export class Seen {
  private readonly first = new Map<string, number>();

  /** The message, folded when shown before at another place; `where` names the place in the fold's summary. */
  show(m: Message, kind: string, label: string, place: number, where: (first: number) => string, fold = true): HTMLElement {
    const first = this.first.get(m.content);
    if (first === undefined) this.first.set(m.content, place);
    if (fold && first !== undefined && first !== place && m.content.length > FOLD_CHARS) {
      return h("details", { class: "fold" }, h("summary", null, `${label}: same text as in ${where(first)}`), message(m, kind, label));
    }
    return message(m, kind, label);
  }
}

/** Every message a call sent, built when opened. */
export function allMessages(call: { messages: Message[] }): HTMLElement {
  return lazyFold(`Exact prompt: all ${plural(call.messages.length, "message")} sent`, () =>
    call.messages.map((m, i) => message(m, m.role === "assistant" ? "assistant" : m.role, `${m.role} · ${i + 1}`)),
  );
}
