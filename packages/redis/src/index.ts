export type { RedisStoreEvents } from './events.ts'
export type { FleetCircuit, FleetInstance } from './fleet.ts'
export { breakerId } from './keys.ts'
export { StoreTimeoutError, StoreUnavailableError } from './link.ts'
export type { NodeRedisClient, NodeRedisCluster, NodeRedisEvalOptions } from './node-redis-seam.ts'
export type {
  RedisClient,
  RedisStoreOptions,
  ResolvedStoreOptions,
  StoreUnavailablePolicy,
} from './options.ts'
export { RedisStore } from './redis-store.ts'
export { MalformedReplyError } from './replies.ts'
