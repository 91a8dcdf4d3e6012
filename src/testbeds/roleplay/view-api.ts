/**
 * Role-play's sections of the viewer's JSON (src/view/api.ts), as its view writes them and its
 * panel reads them. Types only, for the browser build too.
 */
import type { ChoiceEpisodeView, ChoiceRoundView, RateRow, RateCell, Tipping } from "../../view/api.js";

export type RoleplayViewSettings = { episodes: number; rounds: number; historyWindow: number | null; supervision: string };

/** Its fields of the run's settings. */
export type RoleplaySettingsFields = { roleplay: RoleplayViewSettings | null };

/** Its headline: the violation rate of the last round played. */
export type RoleplayHeadlineFields = { violation: RateCell | null };

/** Its rates so far. */
export type RoleplaySoFarFields = { roleplay: RateRow[] | null };

/** Its part of the run summary. */
export type RoleplaySummaryFields = { roleplay: { overall: RateRow[]; byScenario: { environment: string; episodes: number; rates: RateRow[] }[]; tipping: Tipping } | null };

export interface RoleplayRoundView extends ChoiceRoundView {
  supervision?: 1 | -1;
}

export type RoleplayEpisodeView = ChoiceEpisodeView<RoleplayRoundView>;
