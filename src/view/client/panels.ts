/**
 * The panels the pages show: a testbed's own, by its id (src/testbeds/panels.ts), or the one of
 * its measures. Pages iterate the panels and name no testbed.
 */
import type { EpisodeRow, EpisodeView, RunSettings } from "../api.js";
import { PANELS } from "../../testbeds/panels.js";
import { measuredPanel, type Panel } from "./panel.js";

/** The testbeds with a panel of their own, with it, in the order the run page shows them. */
export const ownPanels = (): Panel[] => Object.values(PANELS);

/** The testbeds with a panel of their own, by id, in that order. */
export const ownPanelsById = (): [string, Panel][] => Object.entries(PANELS);

/** The panels of the testbeds a run plays: those with one of their own, then those shown by their measures. */
export function panelsOf(s: RunSettings): Panel[] {
  return [...ownPanels().filter((p) => p.settings(s) !== null), ...(s.measured ?? []).map(measuredPanel)];
}

/**
 * The panel of an episode's testbed; one without its own is named by its id. Each panel reads
 * only its own testbed's views, and the page hands a panel only its testbed's episodes.
 */
export const panelFor = (e: EpisodeView | EpisodeRow): Panel => (Object.hasOwn(PANELS, e.suite) ? PANELS[e.suite] : measuredPanel({ id: e.suite, title: e.suite }));
