/**
 * The viewer's panels of the built-in testbeds, by id: the browser's counterpart of the
 * registry (src/testbeds/registry.ts), which the browser cannot load. A testbed not listed here
 * (one registered at run time) is shown by its measures.
 */
import type { Panel } from "../view/client/panel.js";
import { collusionPanel } from "./collusion/panel.js";
import { roleplayPanel } from "./roleplay/panel.js";
import { toolUsePanel } from "./tooluse/panel.js";

/** In the order the run page shows them. */
export const PANELS: Readonly<Record<string, Panel>> = { roleplay: roleplayPanel, collusion: collusionPanel, tooluse: toolUsePanel };
