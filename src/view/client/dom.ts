/**
 * DOM building (text only, never markup), number formatting and the API fetch of the viewer's
 * page. Model output is untrusted: every node is built with createElement and textContent.
 */
import type { ApiErrorBody } from "../api.js";

export type Child = Node | string | number | null | undefined | false | Child[];
type Prop = string | number | boolean | null | undefined | ((ev: Event) => void);
export type Props = Record<string, Prop>;

/** An element with attributes (`class`, `text`, `on…` listeners, the rest as attributes) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  add(el, children);
  return el;
}

export function add(el: Element, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) add(el, c);
    return;
  }
  el.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

export const enc = (s: string | number) => encodeURIComponent(String(s));

// ------------------------------------------------------------ formatting

export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
export const ci = (low: number, high: number) => `95% CI ${(low * 100).toFixed(1)}–${(high * 100).toFixed(1)}%`;

export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return "—";
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toFixed(4)));
}

export const signed = (x: number) => (x > 0 ? "+" : "") + num(x);

export function when(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" })} ${d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

// ------------------------------------------------------------ data

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GETs one of the viewer's JSON endpoints; a non-2xx answer throws its error message. */
export async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: "no-store" });
  const body = (await res.json().catch(() => ({}))) as T | Partial<ApiErrorBody>;
  if (!res.ok) throw new ApiError(res.status, (body as Partial<ApiErrorBody>).error || res.statusText);
  return body as T;
}

/** The page's state across views: what is selected to compare, which folds are open, the refresh. */
export const state = {
  /** Bumped by each navigation: a view whose token is old stops drawing. */
  token: 0,
  poll: null as (() => Promise<unknown>) | null,
  polling: false,
  selected: [] as string[],
  open: {} as Record<string, boolean>,
};

/** Whether the view that asked is still the one shown. */
export type Current = () => boolean;
