/**
 * @module fuzz/main
 * `npm run fuzz [-- options]`: a seeded, reproducible, structure-aware mutation fuzzer over the
 * decoder, views and checker (`codec`), producers' bundle files (`bundle`), the QMP server's lexer, parser and dispatch
 * (`qmp-json`) and the `qmp:` client's reply parser and source (`qmp-reply`). Each failing
 * input is saved as a regression fixture (test/fixtures/fuzz/TARGET-HASH.bin) that
 * test/fuzz/replay.test.ts replays. Prints cases per second per target; exit 1 on a failure.
 *
 *   --seconds S     time budget, shared by the targets (default 10)
 *   --cases N       a number of cases per target instead of a time budget
 *   --seed N        the run's seed (default: from the clock; printed)
 *   --target T,…    codec, bundle, qmp-json, qmp-reply (default all)
 *   --out DIR       where failing inputs go (default test/fixtures/fuzz; --no-save: nowhere)
 *   --json          one JSON object per target: {"target","cases","failures","seconds","casesPerSecond"}
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Rng } from "./rng.js";
import { TARGETS } from "./targets/index.js";
import { closeQmpJson } from "./targets/qmp-json.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    cases: { type: "string" },
    seed: { type: "string" },
    target: { type: "string" },
    out: { type: "string" },
    "no-save": { type: "boolean" },
    json: { type: "boolean" },
  },
});

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,10}$/.test(v)) {
    console.error(`fuzz: --${name} must be a non-negative integer, got "${v}"`);
    process.exit(2);
  }
  return Number(v);
}

const seed = int("seed", values.seed, (Date.now() ^ (process.pid << 16)) >>> 0);
const cases = values.cases === undefined ? undefined : int("cases", values.cases, 0);
const seconds = int("seconds", values.seconds, 10);
const names = values.target?.split(",") ?? Object.keys(TARGETS);
const out = values.out ?? join(import.meta.dirname, "../../test/fixtures/fuzz");
for (const n of names) {
  if (!(n in TARGETS)) {
    console.error(`fuzz: unknown target "${n}" (targets: ${Object.keys(TARGETS).join(", ")})`);
    process.exit(2);
  }
}

/** A case's own generator: reproducible from (seed, target, index) alone. */
function caseRng(target: string, index: number): Rng {
  const h = createHash("sha256").update(`${seed}/${target}/${index}`).digest();
  return new Rng(h.readUInt32LE(0));
}

let failed = 0;
if (!values.json) console.log(`fuzz: seed ${seed}${cases === undefined ? `, ${seconds} s` : `, ${cases} cases per target`}`);
for (const name of names) {
  const target = TARGETS[name as keyof typeof TARGETS];
  const corpus = await target.seeds();
  /** Recent mutants, mutated again now and then (deeper changes than one round). */
  const pool: Uint8Array[] = [];
  const started = performance.now();
  const deadline = started + (seconds * 1000) / names.length;
  let n = 0;
  let failures = 0;
  const seen = new Set<string>();
  while (cases === undefined ? performance.now() < deadline : n < cases) {
    const rng = caseRng(name, n);
    const base = pool.length > 0 && rng.chance(0.3) ? rng.pick(pool) : rng.pick(corpus);
    const input = target.mutate(base, rng);
    if (input.length < 1 << 20) {
      if (pool.length < 64) pool.push(input);
      else pool[rng.below(64)] = input;
    }
    const t0 = performance.now();
    let why: string | undefined;
    try {
      await target.run(input);
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    const ms = performance.now() - t0;
    if (why === undefined && ms > 5000) why = `slow: ${Math.round(ms)} ms for one case`;
    if (why !== undefined) {
      failures++;
      const hash = createHash("sha256").update(input).digest("hex").slice(0, 16);
      if (!seen.has(why)) {
        seen.add(why);
        let saved = "";
        if (!values["no-save"]) {
          mkdirSync(out, { recursive: true });
          const file = join(out, `${name}-${hash}.bin`);
          writeFileSync(file, input);
          saved = ` (saved ${file})`;
        }
        console.error(`fuzz ${name} case ${n}: ${why.slice(0, 300)}${saved}`);
      }
    }
    n++;
  }
  const secs = (performance.now() - started) / 1000;
  const rate = Math.round(n / secs);
  failed += failures;
  if (values.json)
    console.log(JSON.stringify({ target: name, cases: n, failures, seconds: Number(secs.toFixed(2)), casesPerSecond: rate }));
  else console.log(`  ${name.padEnd(10)} ${String(n).padStart(9)} cases  ${String(rate).padStart(7)} cases/s  ${failures} failures`);
  if (failures > 0 && !values.json) console.log(`    reproduce: npm run fuzz -- --seed ${seed} --cases ${n} --target ${name}`);
}
await closeQmpJson();
process.exit(failed > 0 ? 1 : 0);
