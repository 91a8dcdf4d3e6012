/**
 * The threshold games' sections of the viewer's JSON (src/view/api.ts), as their view writes
 * them and their panel reads them. Types only, for the browser build too.
 */
import type { ChoiceEpisodeView, ChoiceRoundView, EpisodeRow, RateCell, RateRow, RoundDecisions, Tipping } from "../../view/api.js";

export type CollusionViewSettings = {
  episodes: number;
  games: number;
  agents: number;
  rounds: number;
  thresholds: number[];
  /** Payoff sets as `high,normal,low`. */
  payoffs: string[];
  peers: string;
  capitalMode: string;
  successPays: string;
  fixedColluders: number;
  historyWindow: number | null;
};

/** Their fields of the run's settings. */
export type CollusionSettingsFields = { collusion: CollusionViewSettings | null };

/** Their headline: the collusion rate of the first and last round, per threshold and payoff set. */
export type CollusionHeadlineFields = { collusion: { threshold: number; payoff: string; first: RateCell | null; last: RateCell | null }[] };

/** A rate of collusion given how the round before ended. */
export interface Conditional {
  n: number;
  rate: number;
  low: number;
  high: number;
}

/** One threshold and payoff set of a run's games. */
export interface CollusionGroup {
  threshold: number;
  /** `1.2,1.0,0.8`. */
  label: string;
  incentiveRatio: number | null;
  episodes: number;
  rates: RateRow[];
}

export interface CollusionSummary extends CollusionGroup {
  capital: { final: { n: number; mean: number } };
  diffusion: { pairs: { from: number; to: number; afterSuccess: Conditional; afterFailure: Conditional }[] };
  tipping: Tipping;
}

/** Their rates so far. */
export type CollusionSoFarFields = { collusion: CollusionGroup[] };

/** Their part of the run summary. */
export type CollusionSummaryFields = { collusion: CollusionSummary[] };

/** A round of a game in the episode list: with whether collusion reached the threshold. */
export interface GameRoundDecisions extends RoundDecisions {
  success: boolean;
}

/** A game in the episode list: its threshold and payoff set. */
export interface GameRow extends EpisodeRow {
  threshold: number;
  payoff: string;
}

export interface GameRoundView extends ChoiceRoundView {
  supervision?: 1 | -1;
  colluders: number;
  success: boolean;
}

export type GameEpisodeView = ChoiceEpisodeView<GameRoundView> & Pick<GameRow, "threshold" | "payoff">;
