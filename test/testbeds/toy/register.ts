/**
 * Registers the lever testbed when loaded: `node --import ./register.js atp ...` runs the real
 * `atp` executable with it, as a user adds a testbed of their own without changing the tool.
 */
import { registerTestbed } from "../../../src/index.js";
import { lever } from "./lever.js";

registerTestbed(lever);
