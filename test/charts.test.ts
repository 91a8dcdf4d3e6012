/**
 * Charts: each spec is rendered for real (vega-lite -> vega -> SVG -> resvg PNG) and the SVG is
 * read back through what vega writes into it: <text> elements for titles and axes, and the
 * `aria-label` / `aria-roledescription` attributes it puts on every data mark (one per point,
 * bar or cell). Positions are checked where they encode a value: a point's y translation and a
 * bar's height against the 320-pixel plot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import {
  collusionChart,
  conditionalChart,
  gameTraceChart,
  tippingChart,
  violationChart,
  type ConditionalRow,
  type RatePoint,
} from "../src/report/charts.js";
import { renderPng, renderSvg, writeChart } from "../src/report/render.js";

// ---------------------------------------------------------------- reading vega's SVG back

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
}

interface Mark {
  label: string;
  attrs: Record<string, string>;
}

/** Data marks vega labelled for assistive technology, by their role description ("point", "bar", ...). */
function marks(svg: string, roledescription: string): Mark[] {
  const out: Mark[] = [];
  for (const tag of svg.match(/<[a-z]+ [^>]*>/g) ?? []) {
    const attrs: Record<string, string> = {};
    for (const m of tag.matchAll(/([a-zA-Z-]+)="([^"]*)"/g)) attrs[m[1]] = decodeEntities(m[2]);
    if (attrs.role === "graphics-symbol" && attrs["aria-roledescription"] === roledescription) out.push({ label: attrs["aria-label"] ?? "", attrs });
  }
  return out;
}

/** Contents of every <text> element: titles, axis titles, tick labels, legend labels, headers. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeEntities(m[1]));
}

function translateY(mark: Mark): number {
  const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(mark.attrs.transform ?? "");
  assert.ok(m, `no translate in ${mark.attrs.transform}`);
  return Number(m[2]);
}

/** Height of a bar path as vega writes it: "M x,y h w v <height> h -w Z". */
function barHeight(mark: Mark): number {
  const m = /v([-\d.e]+)/.exec(mark.attrs.d ?? "");
  assert.ok(m, `no height in ${mark.attrs.d}`);
  return Number(m[1]);
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(m, "svg has no width/height");
  return { width: Number(m[1]), height: Number(m[2]) };
}

const near = (a: number, b: number, tol = 0.01) => assert.ok(Math.abs(a - b) <= tol, `${a} is not ${b}`);

// ---------------------------------------------------------------- reading the PNG back

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Minimal decoder for 8-bit RGBA, non-interlaced PNGs (what resvg writes): enough to look at pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, "bit depth");
      assert.equal(data[9], 6, "colour type RGBA");
      assert.equal(data[12], 0, "not interlaced");
    } else if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= 4 ? rgba[y * stride + x - 4] : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      rgba[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, rgba };
}

/** Near-black opaque pixels in a rectangle: the chart title is the only black ink at the top left. */
function darkPixels(img: { width: number; rgba: Buffer }, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 4;
      if (img.rgba[i] < 80 && img.rgba[i + 1] < 80 && img.rgba[i + 2] < 80 && img.rgba[i + 3] > 200) n++;
    }
  }
  return n;
}

// ---------------------------------------------------------------- data

const points = (rates: number[], halfWidth = 0.2): RatePoint[] =>
  rates.map((rate, i) => ({ round: i + 1, rate, low: Math.max(0, rate - halfWidth), high: Math.min(1, rate + halfWidth) }));

const violationSeries = [
  { label: "Llama-3.1-8B + DPO", points: points([0.25, 0.5, 0.75]) },
  { label: "Qwen3-8B + GRPO", points: points([0, 0.125, 1]) },
];

// ---------------------------------------------------------------- violationChart

test("violationChart: titles, percent axis, one labelled point per round and series, at the right height", async () => {
  const svg = await renderSvg(violationChart(violationSeries));
  const t = texts(svg);
  for (const s of ["Role-play: violation rate by round", "Round", "Violation rate (% of answers)", "0%", "100%", "1", "2", "3", "Llama-3.1-8B + DPO", "Qwen3-8B + GRPO"]) {
    assert.ok(t.includes(s), `missing text "${s}"`);
  }
  const pts = marks(svg, "point");
  assert.equal(pts.length, 6);
  const half = pts.find((p) => p.label === "Llama-3.1-8B + DPO, round 2: violation rate 50.0% (95% CI 30.0% to 70.0%)");
  assert.ok(half, pts.map((p) => p.label).join("\n"));
  // y is measured down from the top of the 320-pixel plot: 50% sits halfway, 0% at the bottom, 100% at the top.
  near(translateY(half), 160);
  near(translateY(pts.find((p) => p.label.startsWith("Qwen3-8B + GRPO, round 1:"))!), 320);
  near(translateY(pts.find((p) => p.label.startsWith("Qwen3-8B + GRPO, round 3:"))!), 0);
  assert.ok(pts.some((p) => p.label === "Qwen3-8B + GRPO, round 2: violation rate 12.5% (95% CI 0.0% to 32.5%)"));
  // Bands and lines are present but unlabelled, so the count above is points only.
  assert.ok(svg.includes('class="mark-area'));
  assert.ok(svg.includes('class="mark-line'));
});

test("violationChart: options override title, subtitle and size; bad rates are refused", async () => {
  const spec = violationChart(violationSeries.slice(0, 1), { title: "Overall", subtitle: "64 items", width: 400, height: 200 });
  const svg = await renderSvg(spec);
  assert.ok(texts(svg).includes("Overall"));
  assert.ok(texts(svg).includes("64 items"));
  near(translateY(marks(svg, "point").find((p) => p.label.includes("round 2:"))!), 100);
  assert.throws(() => violationChart([{ label: "x", points: [{ round: 1, rate: 50, low: 40, high: 60 }] }]), RangeError);
  assert.throws(() => violationChart([{ label: "x", points: [{ round: 1, rate: 0.5, low: 0.6, high: 0.7 }] }]), RangeError);
  assert.throws(() => violationChart([{ label: "x", points: [{ round: 0, rate: 0.5, low: 0.4, high: 0.6 }] }]), RangeError);
});

// ---------------------------------------------------------------- collusionChart

test("collusionChart: one line per threshold, payoff set in the subtitle when there is one", async () => {
  const groups = [2, 4, 6, 8].map((threshold, i) => ({ threshold, payoff: "(1.2, 1.0, 0.8)", points: points([0.5, 0.5 - i * 0.1, 0.5 + i * 0.1], 0.05) }));
  const svg = await renderSvg(collusionChart(groups));
  const t = texts(svg);
  for (const s of ["Collusion game: collusion rate by round", "Collusion rate (% of decisions)", "Round", "Threshold", "t = 2", "t = 4", "t = 6", "t = 8"]) {
    assert.ok(t.includes(s), `missing text "${s}"`);
  }
  assert.ok(t.some((s) => s.includes("(1.2, 1.0, 0.8)")), "payoff set named in the subtitle");
  const pts = marks(svg, "point");
  assert.equal(pts.length, 12);
  const p = pts.find((m) => m.label === "t = 6, payoffs (1.2, 1.0, 0.8), round 2: collusion rate 30.0% (95% CI 25.0% to 35.0%)");
  assert.ok(p, pts.map((m) => m.label).join("\n"));
  near(translateY(p), 320 * 0.7);
});

test("collusionChart: several payoff sets make one panel each, every point still drawn", async () => {
  const payoffs = ["(1.2, 1.0, 0.8)", "(1.2, 1.0, 0.2)", "(1.8, 1.0, 0.8)"];
  const groups = payoffs.flatMap((payoff) => [2, 8].map((threshold) => ({ threshold, payoff, points: points([0.5, 0.6, 0.7], 0.1) })));
  const svg = await renderSvg(collusionChart(groups));
  const t = texts(svg);
  for (const p of payoffs) assert.ok(t.includes(p), `missing panel header ${p}`);
  assert.ok(t.includes("Payoffs (high, normal, low)"));
  assert.equal(marks(svg, "point").length, payoffs.length * 2 * 3);
  assert.equal(marks(svg, "point").filter((m) => m.label.startsWith("t = 8, payoffs (1.8, 1.0, 0.8), round 3: collusion rate 70.0%")).length, 1);
});

// ---------------------------------------------------------------- conditionalChart

test("conditionalChart: a bar per (threshold, outcome) with n > 0, heights as probabilities, n labels", async () => {
  const rows: ConditionalRow[] = [
    { threshold: 2, fromRound: 1, given: "succeeded", rate: 0.875, low: 0.7, high: 0.95, n: 40 },
    { threshold: 2, fromRound: 1, given: "failed", rate: 0, low: 0, high: 0, n: 0 },
    { threshold: 4, fromRound: 1, given: "succeeded", rate: 0.5, low: 0.3, high: 0.7, n: 24 },
    { threshold: 4, fromRound: 1, given: "failed", rate: 0.25, low: 0.1, high: 0.45, n: 16 },
    { threshold: 8, fromRound: 1, given: "failed", rate: 0.125, low: 0.05, high: 0.3, n: 56 },
  ];
  const svg = await renderSvg(conditionalChart(rows));
  const t = texts(svg);
  for (const s of ["P(collude next round) (%)", "Collusion threshold", "t = 2", "t = 4", "t = 8", "succeeded", "failed", "n=40", "n=24", "n=16", "n=56"]) {
    assert.ok(t.includes(s), `missing text "${s}"`);
  }
  assert.ok(!t.includes("n=0"), "the n = 0 row is not drawn");
  assert.ok(t.some((s) => s.startsWith("Collusion next round")));
  const bars = marks(svg, "bar");
  assert.equal(bars.length, 4);
  assert.ok(!bars.some((b) => b.label.startsWith("t = 2, round 1 to 2, given collusion failed")));
  const b = bars.find((m) => m.label === "t = 4, round 1 to 2, given collusion failed: 25.0% (95% CI 10.0% to 45.0%, n=16)");
  assert.ok(b, bars.map((m) => m.label).join("\n"));
  near(barHeight(b), 80);
  near(barHeight(bars.find((m) => m.label.startsWith("t = 2, round 1 to 2, given collusion succeeded: 87.5%"))!), 280);
  assert.throws(() => conditionalChart([{ ...rows[0], n: -1 }]), RangeError);
});

test("conditionalChart: several starting rounds make one panel per transition", async () => {
  const rows: ConditionalRow[] = [1, 2].flatMap((fromRound) => [
    { threshold: 4, fromRound, given: "succeeded" as const, rate: 0.5, low: 0.3, high: 0.7, n: 10 },
    { threshold: 4, fromRound, given: "failed" as const, rate: 0.2, low: 0.1, high: 0.4, n: 10 },
  ]);
  const svg = await renderSvg(conditionalChart(rows));
  assert.ok(texts(svg).includes("Round 1 → 2"));
  assert.ok(texts(svg).includes("Round 2 → 3"));
  assert.equal(marks(svg, "bar").length, 4);
});

// ---------------------------------------------------------------- gameTraceChart

test("gameTraceChart: one coloured cell per agent and round, the outcome above each round", async () => {
  const C = "collusive" as const;
  const I = "independent" as const;
  const trace = {
    title: "PublicFund, t = 4",
    agents: 4,
    rounds: [
      { round: 1, choices: [C, I, I, C], success: false },
      { round: 2, choices: [C, C, "unparseable" as const, C], success: false },
      { round: 3, choices: [C, C, C, C], success: true },
    ],
  };
  const svg = await renderSvg(gameTraceChart(trace));
  const t = texts(svg);
  for (const s of ["PublicFund, t = 4", "Agent 0", "Agent 3", "Round 1", "Round 3", "Outcome", "Choice", "collusive (C)", "independent (I)", "unparseable (?)"]) {
    assert.ok(t.includes(s), `missing text "${s}"`);
  }
  assert.equal(t.filter((s) => s === "✗ failed").length, 2);
  assert.equal(t.filter((s) => s === "✓ succeeded").length, 1);
  assert.ok(t.some((s) => s.includes("colluders per round: 2, 3, 4")));
  const cells = marks(svg, "rect mark");
  assert.equal(cells.length, 12);
  const fills = new Map(cells.map((c) => [c.label, c.attrs.fill]));
  assert.equal(fills.get("Agent 1, round 1: independent"), "#4e79a7");
  assert.equal(fills.get("Agent 1, round 2: collusive"), "#f28e2b");
  assert.equal(fills.get("Agent 2, round 2: unparseable"), "#bab0ac");
  // Letters in the cells, so the grid reads without colour.
  assert.equal(t.filter((s) => s === "C").length, 9);
  assert.equal(t.filter((s) => s === "I").length, 2);
  assert.equal(t.filter((s) => s === "?").length, 1);
  assert.throws(() => gameTraceChart({ ...trace, agents: 2 }), RangeError);
});

// ---------------------------------------------------------------- tippingChart

test("tippingChart: step lines with a labelled point per round", async () => {
  const svg = await renderSvg(
    tippingChart([
      { label: "DPO", points: [0.25, 0.5, 0.5, 0.75].map((share, i) => ({ round: i + 1, share })) },
      { label: "GRPO", points: [0, 0.125, 0.25, 0.25].map((share, i) => ({ round: i + 1, share })) },
    ]),
  );
  const t = texts(svg);
  for (const s of ["Alignment tipping: share of episodes tipped by each round", "Episodes tipped (%)", "Round", "DPO", "GRPO", "4", "100%"]) {
    assert.ok(t.includes(s), `missing text "${s}"`);
  }
  const pts = marks(svg, "point");
  assert.equal(pts.length, 8);
  const p = pts.find((m) => m.label === "DPO, round 2: 50.0% tipped");
  assert.ok(p, pts.map((m) => m.label).join("\n"));
  near(translateY(p), 160);
  // Step lines: a line path made of horizontal and vertical runs only ("H"/"V" or axis-aligned "L" pairs).
  const line = /<path[^>]* d="(M[^"]+)"[^>]*stroke="#4e79a7"/.exec(svg.slice(svg.indexOf('class="mark-line')));
  assert.ok(line, "no line path");
  const coords = [...line[1].matchAll(/[-\d.]+,[-\d.]+/g)].map((m) => m[0].split(",").map(Number));
  assert.ok(coords.length >= 7, `a 4-point step line has 7 corners, got ${coords.length}`);
  for (let i = 1; i < coords.length; i++) {
    const [x0, y0] = coords[i - 1];
    const [x1, y1] = coords[i];
    assert.ok(Math.abs(x0 - x1) < 1e-6 || Math.abs(y0 - y1) < 1e-6, "every segment is horizontal or vertical");
  }
  assert.throws(() => tippingChart([{ label: "x", points: [{ round: 1, share: 1.5 }] }]), RangeError);
});

// ---------------------------------------------------------------- rendering

test("every chart renders, also with no data", async () => {
  const specs = [violationChart([]), collusionChart([]), conditionalChart([]), gameTraceChart({ title: "empty", agents: 3, rounds: [] }), tippingChart([])];
  for (const spec of specs) {
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg/);
    assert.ok(renderPng(svg, { scale: 1 }).subarray(0, 8).equals(PNG_SIGNATURE));
  }
});

test("renderSvg names a font the PNG renderer has; renderPng scales the SVG size and draws the text", async () => {
  const svg = await renderSvg(violationChart(violationSeries));
  assert.match(svg, /font-family="DejaVu Sans/);
  const { width, height } = svgSize(svg);
  const one = decodePng(renderPng(svg, { scale: 1 }));
  assert.equal(one.width, width);
  assert.equal(one.height, height);
  const two = decodePng(renderPng(svg));
  assert.equal(two.width, width * 2, "default scale is 2");
  assert.equal(two.height, height * 2);
  // The black title at the top left (padding 12, 16px bold) must be drawn: with no usable font
  // resvg silently leaves text out.
  assert.ok(darkPixels(one, 0, 8, 320, 32) > 150, "title text is drawn in the PNG");
  assert.throws(() => renderPng(svg, { scale: 0 }), RangeError);
});

test("writeChart writes the SVG and PNG side by side, creating the directory, with no temp files left", async () => {
  const root = mkdtempSync(join(tmpdir(), "atp-charts-"));
  try {
    const dir = join(root, "nested", "charts");
    const paths = await writeChart(tippingChart([{ label: "all", points: [{ round: 1, share: 0.5 }] }]), dir, "tipping");
    assert.deepEqual(paths, { svg: join(dir, "tipping.svg"), png: join(dir, "tipping.png") });
    assert.match(readFileSync(paths.svg, "utf8"), /^<svg/);
    assert.ok(readFileSync(paths.png).subarray(0, 8).equals(PNG_SIGNATURE));
    assert.deepEqual(readdirSync(dir).sort(), ["tipping.png", "tipping.svg"]);
    // Writing again replaces both files in place.
    await writeChart(tippingChart([{ label: "all", points: [{ round: 1, share: 0.25 }] }]), dir, "tipping", { scale: 1 });
    assert.ok(readFileSync(paths.svg, "utf8").includes("25.0% tipped"));
    assert.deepEqual(readdirSync(dir).sort(), ["tipping.png", "tipping.svg"]);
    await assert.rejects(writeChart(tippingChart([]), dir, "../escape"));
    assert.ok(!existsSync(join(root, "nested", "escape.svg")));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
