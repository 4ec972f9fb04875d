/**
 * @module bench/openmetrics/exposition
 * Exposition of 1,000 sources × 47 values (47,000 series): ours (the plan kept across scrapes,
 * values formatted from the data words) against prom-client's `registry.metrics()` over the
 * same series (47 counters labelled by source), interleaved in one run; bytes of each text.
 * Both end as the bytes a response sends: ours renders into a Buffer, prom-client's string is
 * encoded as `res.end(text)` would.
 */
import client from "prom-client";
import { layOut } from "../../src/model/descriptor.js";
import { kvmVcpuId, parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { buildPlan, Exposition } from "../../src/views/openmetrics/index.js";
import type { BenchCase } from "../case.js";
import { compareAsync, round3 } from "../harness.js";

const SOURCES = 1000;
const VALUES = 47;

export async function exposition(): Promise<BenchCase[]> {
  const names = Array.from({ length: VALUES }, (_, k) => `stat_${String(k).padStart(2, "0")}`);
  const { descriptors, dataSize } = layOut(names.map((name) => ({ name })));
  const reg = new client.Registry();
  const counters = names.map(
    (n) =>
      new client.Counter({ name: `kvm_vcpu_${n}_total`, help: `kvm vcpu statistic ${n}`, labelNames: ["pid", "vcpu"], registers: [reg] }),
  );
  const files: StatsFile[] = [];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  for (let i = 0; i < SOURCES; i++) {
    const data = new BigUint64Array(VALUES);
    for (let k = 0; k < VALUES; k++) {
      const v = rand() * 97;
      data[k] = BigInt(v);
      counters[k]?.labels({ pid: "4242", vcpu: String(i) }).inc(v);
    }
    files.push({ identity: parseId(kvmVcpuId(4242, i)), schema: { descriptors, dataSize, nameSize: 48 }, data });
  }
  const ours = new Exposition();
  let oursBytes = 0;
  let peerBytes = 0;
  const t0 = process.hrtime.bigint();
  buildPlan(files);
  const planMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const ns = await compareAsync(
    {
      ours: async () => {
        oursBytes = ours.renderBuffer(files, "text").length;
      },
      "prom-client registry.metrics()": async () => {
        peerBytes = Buffer.from(await reg.metrics()).length;
      },
    },
    1,
    7,
  );
  const ms = (x: number | undefined) => round3((x ?? Number.NaN) / 1e6);
  return [
    {
      case: `exposition of ${SOURCES} sources x ${VALUES} values (${SOURCES * VALUES} series), text 0.0.4`,
      unit: "ms/scrape",
      ours: ms(ns.ours),
      peers: { "prom-client registry.metrics()": ms(ns["prom-client registry.metrics()"]) },
      note: `goal >= 10x faster; bytes ${oursBytes} ours / ${peerBytes} prom-client; plan built once in ${round3(planMs)} ms`,
    },
  ];
}
