/**
 * @module qmp
 * QEMU's QMP for statistics: a server that serves any stats source the way QEMU 7.2
 * answers query-stats and query-stats-schemas, and a client for QEMU (≥ 7.1) and for that
 * server. The `qmp:` source (providers/qmp) builds on the client; `statsfs serve` and
 * `statsfs qmp` on both.
 */
export { DEFAULT_TCP_HOST, formatQmpAddress, parseQmpAddress, type QmpAddress } from "./address.js";
export { QmpClient, type QmpClientOptions, type QmpGreeting, type QmpReply } from "./client/client.js";
export { QmpCommandError, QmpConnectError, QmpListenError, QmpProtocolError } from "./errors.js";
export { EMULATED_QEMU, STATSFS_PACKAGE } from "./server/commands.js";
export { DEFAULT_MAX_MESSAGE, QmpServer, type QmpServerOptions } from "./server/server.js";
