/**
 * @module check/check
 * The conformance checker: every rule of the kernel selftest and api.rst, applied to the bytes
 * of a binary stats file. Unlike the codec, it keeps going after a violation where it can, so
 * one run lists every problem. Sources that are not binary files are checked through their
 * encoding (the translated schema).
 */
import { DESC_FIXED_SIZE, descBlockSize, HEADER_SIZE, MAX_DATA_SIZE, MAX_DESCRIPTORS, MAX_NAME_SIZE, MAX_VALUES } from "../codec/layout.js";
import { bytesPread, type Pread } from "../codec/pread.js";
import { cText, parseDescriptor, parseHeader, reaches } from "../codec/reader.js";
import type { StatDescriptor } from "../model/descriptor.js";
import { StatType } from "../model/flags.js";
import { quote } from "../model/text.js";
import { DESCRIPTOR_RULES } from "./rules.js";

/**
 * One broken rule. `stat` names the statistic when the rule is per-descriptor. `extension`
 * marks a statsfs extension found (not a violation) when the check is not strict.
 */
export interface Violation {
  readonly rule: string;
  readonly stat?: string;
  readonly message: string;
  readonly extension?: true;
}

/** Rule ids of the file-level checks, with their text (for --help and docs). */
export const FILE_RULES: Readonly<Record<string, string>> = {
  "header-read": "the 24-byte header reads in full (selftest)",
  "header-flags": "header flags are 0 (api.rst)",
  "name-size": `name_size is 1..${MAX_NAME_SIZE}`,
  "block-aligned": "id, descriptor and data blocks start at multiples of 8 (api.rst)",
  "id-read": "the id reads in full (selftest)",
  "id-nul": "the id is NUL-terminated within name_size (selftest)",
  "id-kvm": 'a KVM file\'s id starts with "kvm" (selftest)',
  "id-printable": "the id is printable ASCII",
  "num-desc": `num_desc is at most ${MAX_DESCRIPTORS} (statsfs limit)`,
  "desc-read": "the descriptor block reads in full (selftest)",
  "name-nul": "each name is NUL-terminated within name_size (selftest)",
  "name-unique": "stat names are unique within a file",
  "blocks-overlap": "header, id, descriptor and data blocks do not overlap (selftest, api.rst)",
  "data-size": "the data block holds at least 8 bytes per descriptor (selftest)",
  "values-read": "every stat's values read in full (selftest)",
  "data-limit": `every stat ends within ${MAX_DATA_SIZE} bytes of the data block (statsfs limit)`,
  "values-overlap": "no two stats share a value in the data block (api.rst: each stat has its own values)",
  "bounds-read": "a bounds histogram's bounds read in full, finite and ascending (statsfs extension)",
  "values-limit": `the stats describe at most one value per data word and at most ${MAX_VALUES} values (statsfs limit)`,
};

/** Overlaps reported one by one before the rest are summed up in one line. */
const MAX_OVERLAP_REPORTS = 16;

/** Each stat whose values overlap an earlier one's (by offset), with the one it overlaps. O(n log n). */
function overlaps(stats: readonly { d: StatDescriptor; label: string }[]): { label: string; other: string; message: string }[] {
  const sorted = stats.filter((s) => s.d.size > 0).sort((a, b) => a.d.offset - b.d.offset);
  const out: { label: string; other: string; message: string }[] = [];
  let reach: { end: number; label: string; start: number } | undefined;
  for (const { d, label } of sorted) {
    const end = d.offset + d.size * 8;
    if (reach && d.offset < reach.end) {
      out.push({
        label,
        other: reach.label,
        message: `values [${d.offset}, ${end}) overlap those of ${quote(reach.label)} [${reach.start}, ${reach.end})`,
      });
    }
    if (!reach || end > reach.end) reach = { end, label, start: d.offset };
  }
  return out;
}

/** What the checker needs beyond the bytes. */
export interface CheckOptions {
  /** Apply the KVM-only rule that the id starts with "kvm". */
  readonly kvm: boolean;
  /** Report statsfs extensions (encodings, bounds histograms) as violations of the kernel ABI. */
  readonly strictKernel?: boolean;
}

function tryRead(src: Pread, pos: number, len: number): Uint8Array | undefined {
  const buf = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const n = src.pread(buf.subarray(got), pos + got);
    if (n <= 0) return undefined;
    got += n;
  }
  return buf;
}

/** How many of the `len` bytes at `pos` read (pread until the first short read). */
function readableLength(src: Pread, pos: number, len: number): number {
  if (len <= 0) return 0;
  if (!reaches(src, pos + 1)) return 0;
  const buf = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const n = src.pread(buf.subarray(got), pos + got);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

/** Only the findings that are violations (not extensions reported as such). */
export function violationsOf(found: readonly Violation[]): Violation[] {
  return found.filter((x) => x.extension !== true);
}

/**
 * Checks a binary stats file; [] when it conforms to the kernel ABI and has no statsfs
 * extension. Extensions found are listed marked `extension` (not violations: see
 * {@link violationsOf}), or unmarked — violations — with `strictKernel`.
 */
export function checkBinary(src: Pread, o: CheckOptions): Violation[] {
  const out: Violation[] = [];
  const v = (rule: string, message: string, stat?: string, extension?: boolean) => {
    const x = stat === undefined ? { rule, message } : { rule, stat, message };
    out.push(extension && o.strictKernel !== true ? { ...x, extension: true } : x);
  };

  const head = tryRead(src, 0, HEADER_SIZE);
  if (!head) return [{ rule: "header-read", message: `file is shorter than the ${HEADER_SIZE}-byte header` }];
  const l = parseHeader(head);
  if (l.flags !== 0) v("header-flags", `header flags are 0x${l.flags.toString(16)}`);
  if (l.nameSize === 0 || l.nameSize > MAX_NAME_SIZE) {
    v("name-size", `name_size ${l.nameSize} is out of range`);
    return out;
  }
  for (const [name, off] of [
    ["id_offset", l.idOffset],
    ["desc_offset", l.descOffset],
    ["data_offset", l.dataOffset],
  ] as const) {
    if (off % 8 !== 0) v("block-aligned", `${name} ${off} is not a multiple of 8`);
  }

  const idBytes = reaches(src, l.idOffset + l.nameSize) ? tryRead(src, l.idOffset, l.nameSize) : undefined;
  if (!idBytes) v("id-read", `id at ${l.idOffset} (${l.nameSize} bytes) lies past the end of the file`);
  else {
    const id = cText(idBytes);
    if (!id.terminated) v("id-nul", `id is not NUL-terminated within ${l.nameSize} bytes`);
    if (o.kvm && !id.text.startsWith("kvm")) v("id-kvm", `id ${quote(id.text)} does not start with "kvm"`);
    if (!/^[\x20-\x7e]*$/.test(id.text)) v("id-printable", `id ${quote(id.text)} has characters outside printable ASCII`);
  }

  if (l.numDesc > MAX_DESCRIPTORS) {
    v("num-desc", `num_desc ${l.numDesc} is above the limit of ${MAX_DESCRIPTORS}`);
    return out;
  }
  const descSize = descBlockSize(l);
  const descs = reaches(src, l.descOffset + descSize) ? tryRead(src, l.descOffset, descSize) : undefined;
  if (!descs) {
    v("desc-read", `${l.numDesc} descriptors (${descSize} bytes at ${l.descOffset}) lie past the end of the file`);
    return out;
  }
  const stride = DESC_FIXED_SIZE + l.nameSize;
  const names = new Set<string>();
  let dataSize = 0;
  const stats = [];
  for (let i = 0; i < l.numDesc; i++) {
    const { descriptor: d, terminated } = parseDescriptor(descs, i * stride, l.nameSize);
    const label = d.name || `#${i}`;
    if (!terminated) v("name-nul", `name is not NUL-terminated within ${l.nameSize} bytes`, label);
    if (names.has(d.name)) v("name-unique", "name appears more than once", label);
    names.add(d.name);
    for (const r of DESCRIPTOR_RULES) {
      const msg = r.broken(d);
      if (msg !== undefined) v(r.id, msg, label, r.extension === true);
    }
    if (d.type === StatType.BoundsHistogram && d.size > 1) {
      const at = d.bucketSize;
      const n = d.size - 1;
      const bytes = at % 8 === 0 && reaches(src, at + n * 8) ? tryRead(src, at, n * 8) : undefined;
      if (!bytes) v("bounds-read", `${n} bounds at file offset ${at} are not aligned or do not read in full`, label);
      else {
        const view = new DataView(bytes.buffer);
        for (let k = 0; k < n; k++) {
          const x = view.getFloat64(8 * k, true);
          if (!Number.isFinite(x) || (k > 0 && !(x > view.getFloat64(8 * (k - 1), true)))) {
            v("bounds-read", `bound ${k} (${x}) is not finite and above the one before`, label);
            break;
          }
        }
      }
    }
    const end = d.offset + d.size * 8;
    if (end > MAX_DATA_SIZE) v("data-limit", `values end at data byte ${end}, above the limit of ${MAX_DATA_SIZE}`, label);
    dataSize = Math.max(dataSize, end);
    stats.push({ d, label });
  }

  const blocks = [
    ["header", 0, HEADER_SIZE],
    ["id", l.idOffset, l.idOffset + l.nameSize],
    ["descriptor block", l.descOffset, l.descOffset + descSize],
    ["data block", l.dataOffset, l.dataOffset + dataSize],
  ] as const;
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const [an, as, ae] = blocks[i] as (typeof blocks)[number];
      const [bn, bs, be] = blocks[j] as (typeof blocks)[number];
      if (as < ae && bs < be && as < be && bs < ae) v("blocks-overlap", `${an} [${as}, ${ae}) overlaps ${bn} [${bs}, ${be})`);
    }
  }
  if (dataSize < 8 * l.numDesc) v("data-size", `data block is ${dataSize} bytes, less than 8 x ${l.numDesc} descriptors`);
  const found = overlaps(stats);
  for (const o of found.slice(0, MAX_OVERLAP_REPORTS)) v("values-overlap", o.message, o.label);
  if (found.length > MAX_OVERLAP_REPORTS) v("values-overlap", `and ${found.length - MAX_OVERLAP_REPORTS} more stats overlap others`);
  const values = stats.reduce((n, s) => n + s.d.size, 0);
  if (values > dataSize / 8 || values > MAX_VALUES) {
    v("values-limit", `the stats describe ${values} values for a data block of ${dataSize / 8} words (limit ${MAX_VALUES})`);
  }
  // The data block is read once (at most the data limit); a stat reads in full when it ends
  // within what was read. Reading each stat separately would read overlapping values again.
  const readable = readableLength(src, l.dataOffset, Math.min(dataSize, MAX_DATA_SIZE));
  for (const { d, label } of stats) {
    if (d.size === 0) continue;
    if (d.offset + d.size * 8 > readable) {
      v("values-read", `${d.size} value(s) at file offset ${l.dataOffset + d.offset} do not read in full`, label);
    }
  }
  return out;
}

/** Checks bytes in memory. */
export function checkBytes(bytes: Uint8Array, o: CheckOptions): Violation[] {
  return checkBinary(bytesPread(bytes), o);
}
