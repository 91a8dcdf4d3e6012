/**
 * Renders Vega-Lite specs to SVG (vega, no DOM or canvas needed) and SVG to PNG (resvg), and
 * writes both files for a chart.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type Config, type TopLevelSpec } from "vega-lite";
import { CHART_FONT } from "./charts.js";

/** The family resvg uses for text; installed with fontconfig on most Linux systems. */
export const PNG_FONT_FAMILY = "DejaVu Sans";

/**
 * Applied under every spec's own config: a spec written elsewhere (with vega's default
 * "sans-serif") still names a font the PNG renderer can find.
 */
const BASE_CONFIG: Config = { font: CHART_FONT };

/** Compiles a Vega-Lite spec and renders it headlessly to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vgSpec } = compile(spec, { config: BASE_CONFIG });
  const view = new View(parse(vgSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixels per SVG unit. Default 2, so the image stays sharp when shrunk into a page or slide. */
  scale?: number;
  /** Extra font files (.ttf/.otf) for machines without DejaVu Sans; system fonts are loaded as well. */
  fontFiles?: string[];
}

/** Rasterizes an SVG to PNG bytes; the image is the SVG's width and height times `scale`. */
export function renderPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`renderPng: scale must be a positive number, got ${scale}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      loadSystemFonts: true,
      fontFiles: options.fontFiles ?? [],
      defaultFontFamily: PNG_FONT_FAMILY,
      sansSerifFamily: PNG_FONT_FAMILY,
    },
    logLevel: "off",
  });
  return resvg.render().asPng();
}

/** Writes to a temporary file beside the target, then renames it, so readers never see half a file. */
async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Renders a spec and writes `<dir>/<name>.svg` and `<dir>/<name>.png` (creating `dir`).
 * Both are rendered before either is written, so a rendering error leaves no files behind.
 * Returns the two paths.
 */
export async function writeChart(spec: TopLevelSpec, dir: string, name: string, options: PngOptions = {}): Promise<{ svg: string; png: string }> {
  if (!name || /[\\/]/.test(name) || name === "." || name === "..") throw new Error(`writeChart: name must be a plain file name without extension, got "${name}"`);
  const svgText = await renderSvg(spec);
  const pngBytes = renderPng(svgText, options);
  await mkdir(dir, { recursive: true });
  const paths = { svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  await writeAtomic(paths.svg, svgText);
  await writeAtomic(paths.png, pngBytes);
  return paths;
}
