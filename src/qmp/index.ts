/**
 * @module qmp
 * QEMU's QMP wire protocol for statistics: QEMU's JSON lexer and parser, addresses, errors and
 * a client for QEMU (≥ 7.1) and for `statsfs serve`. The `qmp:` source (providers/qmp) builds
 * on the client; the server is a view (views/qmp).
 */
export { DEFAULT_TCP_HOST, formatQmpAddress, parseQmpAddress, type QmpAddress } from "./address.js";
export { QmpClient, type QmpClientOptions, type QmpGreeting, type QmpReply } from "./client/client.js";
export { QmpCommandError, QmpConnectError, QmpListenError, QmpProtocolError } from "./errors.js";
