/**
 * @module bench/qmp/run
 * `node dist/bench/qmp/run.js`: this group alone (`npm run bench` runs it with the others once
 * bench/main lists it).
 */
import { cases } from "./index.js";

for (const c of await cases()) console.log(JSON.stringify(c));
