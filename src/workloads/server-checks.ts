import { ModelCache, ModelCacheAccessMode } from './model-cache';

// The checks on vLLM servers that both a server (or h2oGPT's list of servers) and the stack make:
// one home, so their rule cannot drift apart. Each caller names its own field in the error.

/** Whether the cache is a ReadWriteOnce claim the server creates: pods on several nodes cannot all mount it. Internal. */
export function cacheHoldsOneNode(cache: ModelCache): boolean {
  return cache.createsClaim && cache.accessMode === ModelCacheAccessMode.READ_WRITE_ONCE;
}

/**
 * The cache a server of `nodes` nodes uses: the one given, or a claim of its own; a new claim
 * without an access mode is ReadWriteMany for a group of pods on several nodes, so they all
 * mount it and the weights are downloaded once. Internal.
 */
export function serverModelCache(given: ModelCache | undefined, nodes: number): ModelCache {
  return (given ?? ModelCache.newClaim())._forNodes(nodes);
}

/** The caches pods on several nodes can share, for messages. Internal. */
export const SHARED_CACHE_CHOICES = 'ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY }), an existing RWX claim';

/**
 * The first server that serves a name an earlier one serves, as [its index, the earlier's index];
 * h2oGPT tells models apart by served name. Internal.
 */
export function repeatedServedModel(servers: ReadonlyArray<{ readonly servedModelName: string }>): [number, number] | undefined {
  for (let i = 1; i < servers.length; i++) {
    const earlier = servers.slice(0, i).findIndex((s) => s.servedModelName === servers[i].servedModelName);
    if (earlier >= 0) return [i, earlier];
  }
  return undefined;
}
