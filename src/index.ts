/**
 * @module statsfs
 * Statistics as self-describing binary stats files. The entry points:
 *
 * - {@link openSource}: any origin (`file:`, `fd:`, `kvm:demo`, `sim:`, `shm:`, …) as stats files;
 * - the model (`statsfs/model`) and the binary codec (`statsfs/codec`);
 * - the producer library (`statsfs/producer`): sources for a Node service's own statistics;
 * - views: QEMU's query-stats shapes; `qmp`: a QMP server for any source and a client for QEMU.
 *
 * Only what is named here is public: the error classes and their table of codes (README
 * "Errors"; not the escaping helpers of errors.ts), and the source schemes as a list
 * ({@link sourceSchemes}), never the registry's table itself.
 */

export { BinaryStatsReader, bytesPread, encodeStatsFile, type Pread, readSchema } from "./codec/index.js";
export {
  DecodeError,
  DefinitionError,
  EncodeError,
  ERROR_CODES,
  type ErrorCode,
  KvmError,
  LimitError,
  NothingToShowError,
  SourceError,
  StatsfsError,
  SystemError,
  TimeoutError,
  UsageError,
  ValueError,
} from "./errors.js";
export * from "./model/index.js";
export * as producer from "./producer/index.js";
export { enumerateVms, HostSource, hostHasVms, type VmSummary } from "./providers/host/index.js";
export { type Opener, openSource, openSources, sourceSchemes } from "./providers/registry.js";
export { isSyncSource, resetStat, type SourceCapabilities, type StatsSource, type SyncStatsSource } from "./providers/source.js";
export * as qmp from "./qmp/index.js";
export { queryStats, queryStatsSchemas, type StatsFilter, toJson } from "./views/qapi/index.js";
export { DEFAULT_MAX_MESSAGE, QmpServer, type QmpServerOptions } from "./views/qmp/server.js";
