import { ModelCache, ModelCacheAccessMode } from './model-cache';
import type { IVllmEndpoint } from './vllm-endpoint';

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

/** A name in h2oGPT's model list: a server's model, or one of its LoRA adapters (`adapter`, its index). Internal. */
export interface ListedModel {
  readonly server: number;
  readonly adapter?: number;
  readonly name: string;
}

/**
 * The first name h2oGPT would list twice, in its order (each server's model, then its adapters),
 * as [the repeat, the earlier]; h2oGPT tells models apart by name. Internal.
 */
export function repeatedModelName(servers: ReadonlyArray<Pick<IVllmEndpoint, 'servedModelName' | 'loraAdapters'>>): [ListedModel, ListedModel] | undefined {
  const listed: ListedModel[] = servers.flatMap((s, server) => [
    { server, name: s.servedModelName },
    ...(s.loraAdapters?.names ?? []).map((name, adapter) => ({ server, adapter, name })),
  ]);
  for (let i = 1; i < listed.length; i++) {
    const earlier = listed.slice(0, i).find((m) => m.name === listed[i].name);
    if (earlier) return [listed[i], earlier];
  }
  return undefined;
}
