/**
 * @module cli/commands
 * Every `statsfs` command, in the order `statsfs --help` lists them. A new command is a folder
 * here exporting `command`, plus one line below.
 */
import type { Command } from "../command.js";
import { command as check } from "./check/index.js";
import { command as log } from "./log/index.js";
import { command as mount } from "./mount/index.js";
import { command as prune } from "./prune/index.js";
import { command as ps } from "./ps/index.js";
import { QMP_COMMANDS } from "./qmp/index.js";
import { command as read } from "./read/index.js";
import { command as schema } from "./schema/index.js";
import { command as snapshot } from "./snapshot/index.js";
import { command as top } from "./top/index.js";
import { command as web } from "./web/index.js";

export const COMMANDS: readonly Command[] = [top, log, read, schema, snapshot, check, ...QMP_COMMANDS, web, ps, mount, prune];
