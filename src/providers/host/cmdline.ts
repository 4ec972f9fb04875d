/**
 * @module providers/host/cmdline
 * What a QEMU command line says about its VM, without running anything: the guest name
 * (`-name NAME`, `-name guest=NAME,…`, with QemuOpts' `,,` escape for a comma), `-uuid`, and
 * its monitors — `-qmp`/`-qmp-pretty ADDR` (`unix:PATH[,…]`, `tcp:HOST:PORT[,…]`), `-monitor`
 * (HMP), and `-mon chardev=ID[,mode=control|readline]` joined with
 * `-chardev socket,id=ID,path=PATH|host=H,port=P|fd=N[,…]` (libvirt passes a listening socket
 * as `fd=N`, whose path the enumeration resolves through /proc). Options may be spelled `-opt`
 * or `--opt`, and `--opt=VALUE`. A pure function of argv; tested by table.
 */

/** Where a monitor listens, as its command line says. */
export type MonitorEndpoint =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "fd"; readonly fd: number }
  | { readonly kind: "other"; readonly text: string };

/** One monitor from the command line. */
export interface MonitorSpec {
  /** `qmp` (mode=control) or `hmp` (readline, not usable for statistics). */
  readonly protocol: "qmp" | "hmp";
  readonly endpoint: MonitorEndpoint;
  /** Whether QEMU listens (server=on) rather than connecting out. */
  readonly server: boolean;
  /** The option it came from, for messages: `-qmp`, `-chardev charmonitor`. */
  readonly via: string;
}

/** What a QEMU command line says. */
export interface QemuCommandLine {
  readonly guest?: string;
  readonly uuid?: string;
  readonly monitors: readonly MonitorSpec[];
  /** `-S`: vCPUs start stopped. */
  readonly stopped: boolean;
}

/**
 * Splits a QemuOpts string (`a=1,b,,c=2,flag`) into ordered key/value pairs; `,,` is a literal
 * comma. A first part without `=` is the value of `implied` (when given); later bare parts are
 * flags (`server` → server=on; `nowait` → wait=off, as QEMU reads them).
 */
export function parseQemuOpts(text: string, implied?: string): [string, string][] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ",") {
      if (text[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  const out: [string, string][] = [];
  parts.forEach((p, i) => {
    const eq = p.indexOf("=");
    if (eq >= 0) out.push([p.slice(0, eq), p.slice(eq + 1)]);
    else if (i === 0 && implied !== undefined) out.push([implied, p]);
    else if (p.startsWith("no") && p.length > 2) out.push([p.slice(2), "off"]);
    else if (p !== "") out.push([p, "on"]);
  });
  return out;
}

function get(opts: readonly [string, string][], key: string): string | undefined {
  let v: string | undefined;
  for (const [k, x] of opts) if (k === key) v = x; // the last one wins, as in QEMU
  return v;
}

function isOn(v: string | undefined): boolean {
  return v === "on" || v === "yes" || v === "true" || v === "y";
}

/** A `-qmp`/`-monitor`/`-serial`-style compat chardev (`unix:PATH,…`, `tcp:H:P,…`). */
function compatEndpoint(text: string): { endpoint: MonitorEndpoint; server: boolean } {
  if (text.startsWith("unix:")) {
    const opts = parseQemuOpts(text.slice(5), "path");
    return { endpoint: { kind: "unix", path: get(opts, "path") ?? "" }, server: isOn(get(opts, "server")) };
  }
  if (text.startsWith("tcp:")) {
    const opts = parseQemuOpts(text.slice(4), "host");
    const hp = get(opts, "host") ?? "";
    const colon = hp.lastIndexOf(":");
    const host = (colon < 0 ? "" : hp.slice(0, colon)).replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
    const port = Number(colon < 0 ? hp : hp.slice(colon + 1));
    if (Number.isInteger(port) && port >= 0 && port <= 65535)
      return { endpoint: { kind: "tcp", host, port }, server: isOn(get(opts, "server")) };
  }
  return { endpoint: { kind: "other", text }, server: false };
}

/** A `-chardev socket,…` endpoint. */
function chardevEndpoint(opts: readonly [string, string][]): { endpoint: MonitorEndpoint; server: boolean } {
  const server = isOn(get(opts, "server"));
  const path = get(opts, "path");
  if (path !== undefined) return { endpoint: { kind: "unix", path }, server };
  const fd = get(opts, "fd");
  if (fd !== undefined && /^\d+$/.test(fd)) return { endpoint: { kind: "fd", fd: Number(fd) }, server };
  const host = get(opts, "host");
  const port = Number(get(opts, "port"));
  if (host !== undefined && Number.isInteger(port) && port >= 0 && port <= 65535)
    return { endpoint: { kind: "tcp", host: host || "127.0.0.1", port }, server };
  return { endpoint: { kind: "other", text: opts.map(([k, v]) => `${k}=${v}`).join(",") }, server };
}

/** Reads a QEMU argv (argv[0] included or not: the first word not starting with `-` is skipped). */
export function parseQemuCommandLine(argv: readonly string[]): QemuCommandLine {
  let guest: string | undefined;
  let uuid: string | undefined;
  let stopped = false;
  const monitors: MonitorSpec[] = [];
  const chardevs = new Map<string, { endpoint: MonitorEndpoint; server: boolean; socket: boolean }>();
  const mons: { chardev: string; mode: string }[] = [];
  const direct: MonitorSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (!word.startsWith("-") || word === "-" || word === "--") continue;
    let opt = word.replace(/^--?/, "");
    let value: string | undefined;
    const eq = opt.indexOf("=");
    if (word.startsWith("--") && eq >= 0) {
      value = opt.slice(eq + 1);
      opt = opt.slice(0, eq);
    }
    const takesValue =
      opt === "name" || opt === "uuid" || opt === "qmp" || opt === "qmp-pretty" || opt === "monitor" || opt === "chardev" || opt === "mon";
    if (opt === "S") stopped = true;
    if (!takesValue) continue;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) break;
      i++;
    }
    switch (opt) {
      case "name": {
        const g = get(parseQemuOpts(value, "guest"), "guest");
        if (g !== undefined) guest = g;
        break;
      }
      case "uuid":
        uuid = value;
        break;
      case "qmp":
      case "qmp-pretty":
      case "monitor": {
        const { endpoint, server } = compatEndpoint(value);
        direct.push({ protocol: opt === "monitor" ? "hmp" : "qmp", endpoint, server, via: `-${opt}` });
        break;
      }
      case "chardev": {
        const opts = parseQemuOpts(value, "backend");
        const id = get(opts, "id");
        if (id === undefined) break;
        const backend = get(opts, "backend");
        chardevs.set(id, { ...chardevEndpoint(opts), socket: backend === "socket" });
        break;
      }
      case "mon": {
        const opts = parseQemuOpts(value, "chardev");
        const chardev = get(opts, "chardev");
        if (chardev !== undefined) mons.push({ chardev, mode: get(opts, "mode") ?? "readline" });
        break;
      }
    }
  }
  for (const m of mons) {
    const c = chardevs.get(m.chardev);
    const endpoint: MonitorEndpoint = c?.socket ? c.endpoint : { kind: "other", text: `chardev ${m.chardev}` };
    monitors.push({ protocol: m.mode === "control" ? "qmp" : "hmp", endpoint, server: c?.server ?? false, via: `-chardev ${m.chardev}` });
  }
  monitors.push(...direct);
  const out: { guest?: string; uuid?: string; monitors: MonitorSpec[]; stopped: boolean } = { monitors, stopped };
  if (guest !== undefined) out.guest = guest;
  if (uuid !== undefined) out.uuid = uuid;
  return out;
}
