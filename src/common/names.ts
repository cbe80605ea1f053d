/**
 * The names the library derives from a user's name, and the room each leaves: Services and
 * claims are DNS-1035 or DNS-1123 labels, 63 characters at most, so a base name may be only as
 * long as its longest derived name allows. One place for both, so that a name derived in one
 * file is never checked with another's arithmetic.
 */

/** The most characters a Service, claim or ConfigMap name derived here may have. */
export const MAX_NAME_LENGTH = 63;

/** The suffixes the constructs add. */
export const NAME_SUFFIXES = {
  /** VllmServer's model-cache claim: `<server>-model-cache`. */
  modelCache: '-model-cache',
  /** H2oGpt's waiter ConfigMap: `<h2ogpt>-startup-waiter`. */
  startupWaiter: '-startup-waiter',
  /** H2oGptStack's first vLLM server: `<stack>-vllm`. */
  stackVllm: '-vllm',
} as const;

/** How long a base name may be for `<base><suffixes...>` to fit in MAX_NAME_LENGTH. */
export function roomFor(...suffixes: string[]): number {
  return MAX_NAME_LENGTH - suffixes.join('').length;
}

/** VllmServer's model-cache claim. */
export const modelCacheClaimName = (server: string) => `${server}${NAME_SUFFIXES.modelCache}`;
/** H2oGpt's waiter ConfigMap. */
export const startupWaiterName = (h2ogpt: string) => `${h2ogpt}${NAME_SUFFIXES.startupWaiter}`;
/** The stack's vLLM server: `<stack>-vllm`, and `<stack>-vllm-<id>` for each further model. */
export const stackVllmName = (stack: string, id?: string) => `${stack}${NAME_SUFFIXES.stackVllm}${id === undefined ? '' : `-${id}`}`;
