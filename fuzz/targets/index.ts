/**
 * @module fuzz/targets
 * Every fuzz target by name (the names fixtures start with).
 */
import { bundle } from "./bundle.js";
import { codec } from "./codec.js";
import { qmpJson } from "./qmp-json.js";
import { qmpReply } from "./qmp-reply.js";
import type { FuzzTarget } from "./target.js";

export const TARGETS = { codec, bundle, "qmp-json": qmpJson, "qmp-reply": qmpReply } satisfies Record<string, FuzzTarget>;
