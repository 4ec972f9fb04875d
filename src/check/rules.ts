/**
 * @module check/rules
 * Per-descriptor rules of the KVM binary stats ABI: those the kernel selftest
 * (kvm_binary_stats_test.c) enforces and those api.rst documents. Each has a stable id.
 */

import type { StatDescriptor } from "../model/descriptor.js";
import { BASE_MAX, ENCODING_MAX, encodingName, StatType, StatUnit, TYPE_MAX, UNIT_MAX, unpackFlags } from "../model/flags.js";

/**
 * A descriptor rule: `broken` returns a message when `d` breaks it. An `extension` rule finds a
 * statsfs extension (model/flags): reported as such, and as a violation in strict kernel mode.
 */
export interface DescriptorRule {
  readonly id: string;
  readonly text: string;
  readonly broken: (d: StatDescriptor) => string | undefined;
  readonly extension?: true;
}

const fail = (cond: boolean, msg: string) => (cond ? msg : undefined);

/** The descriptor rules, in the order they are reported. */
export const DESCRIPTOR_RULES: readonly DescriptorRule[] = [
  {
    id: "name-printable",
    text: "names are printable ASCII without spaces (as the kernel's are)",
    broken: (d) => fail(!/^[\x21-\x7e]*$/.test(d.name), `name ${JSON.stringify(d.name)} has characters outside printable ASCII`),
  },
  {
    id: "type-max",
    text: "type is one the ABI defines (selftest)",
    broken: (d) => fail(d.type > TYPE_MAX && d.type !== StatType.BoundsHistogram, `type ${d.type} is above the maximum ${TYPE_MAX}`),
  },
  {
    id: "ext-bounds",
    text: "statsfs extension: type 5, a histogram with explicit bounds (a violation with --strict-kernel)",
    broken: (d) => fail(d.type === StatType.BoundsHistogram, `bounds histogram (type 5) of ${d.size} buckets`),
    extension: true,
  },
  {
    id: "ext-encoding",
    text: "statsfs extension: flag bits 12-15 give the value's encoding, s64 or f64 (a violation with --strict-kernel)",
    broken: (d) => {
      const { encoding } = unpackFlags(d.flags);
      if (encoding === 0) return undefined;
      return encoding <= ENCODING_MAX ? `encoding ${encodingName(encoding)} (flag bits 12-15 = ${encoding})` : undefined;
    },
    extension: true,
  },
  {
    id: "encoding-max",
    text: `the encoding (flag bits 12-15) is one statsfs defines (0..${ENCODING_MAX})`,
    broken: (d) => {
      const { encoding } = unpackFlags(d.flags);
      return fail(encoding > ENCODING_MAX, `encoding ${encoding} is above the maximum ${ENCODING_MAX}`);
    },
  },
  {
    id: "unit-max",
    text: "unit is one the ABI defines (selftest)",
    broken: (d) => fail(d.unit > UNIT_MAX, `unit ${d.unit} is above the maximum ${UNIT_MAX}`),
  },
  {
    id: "base-max",
    text: "base is one the ABI defines (selftest)",
    broken: (d) => fail(d.base > BASE_MAX, `base ${d.base} is above the maximum ${BASE_MAX}`),
  },
  {
    id: "flags-reserved",
    text: "flag bits 16-31 are 0 (api.rst: 12-31; bits 12-15 are statsfs's encoding extension)",
    broken: (d) => {
      const rest = unpackFlags(d.flags).rest;
      return fail(rest !== 0, `reserved flag bits set: 0x${(d.flags >>> 0).toString(16)}`);
    },
  },
  {
    id: "exponent-sign",
    text: "exponent >= 0 for none/bytes/cycles, <= 0 for seconds (selftest)",
    broken: (d) => {
      const nonNeg = d.unit === StatUnit.None || d.unit === StatUnit.Bytes || d.unit === StatUnit.Cycles;
      if (nonNeg && d.exponent < 0) return `exponent ${d.exponent} is negative for a unit that counts up`;
      if (d.unit === StatUnit.Seconds && d.exponent > 0) return `exponent ${d.exponent} is positive for unit seconds`;
      return undefined;
    },
  },
  {
    id: "boolean-exponent",
    text: "boolean stats have exponent 0 (selftest)",
    broken: (d) => fail(d.unit === StatUnit.Boolean && d.exponent !== 0, `boolean stat has exponent ${d.exponent}`),
  },
  {
    id: "boolean-log2",
    text: "boolean stats are never log2 histograms (api.rst)",
    broken: (d) => fail(d.unit === StatUnit.Boolean && d.type === StatType.Log2Histogram, "boolean stat is a log2 histogram"),
  },
  {
    id: "size-nonzero",
    text: "size is not 0 (selftest)",
    broken: (d) => fail(d.size === 0, "size is 0"),
  },
  {
    id: "size-scalar",
    text: "cumulative, instant and peak stats have size 1 (api.rst)",
    broken: (d) => fail(d.type <= StatType.Peak && d.size > 1, `size ${d.size} for a scalar stat`),
  },
  {
    id: "bucket-size",
    text: "bucket_size is non-zero exactly for linear histograms (selftest)",
    broken: (d) => {
      if (d.type === StatType.LinearHistogram && d.bucketSize === 0) return "linear histogram with bucket_size 0";
      if (d.type === StatType.BoundsHistogram) return undefined; // its bounds' offset (extension)
      if (d.type !== StatType.LinearHistogram && d.bucketSize !== 0)
        return `bucket_size ${d.bucketSize} on a stat that is not a linear histogram`;
      return undefined;
    },
  },
  {
    id: "offset-aligned",
    text: "data offsets are multiples of 8 (api.rst)",
    broken: (d) => fail(d.offset % 8 !== 0, `offset ${d.offset} is not a multiple of 8`),
  },
];
