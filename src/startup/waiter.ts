import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { checkInteger } from '../common/checks';
import { ConfigurationError } from '../common/errors';

/** The ConfigMap data key, and file name, of the waiter script. */
export const WAITER_SCRIPT_KEY = 'wait-for-upstream.sh';
/** Where the waiter ConfigMap is mounted in the container that runs it. */
export const WAITER_MOUNT_PATH = '/opt/cdk8s-h2ogpt';
/** Full path of the script inside the container. */
export const WAITER_SCRIPT_PATH = `${WAITER_MOUNT_PATH}/${WAITER_SCRIPT_KEY}`;

/**
 * The script, read from the file beside this module so that the bytes a test runs are the bytes
 * synthesis writes. `npm run build` copies it next to the compiled JavaScript.
 */
export const WAITER_SCRIPT: string = readFileSync(join(__dirname, WAITER_SCRIPT_KEY), 'utf8');

/** A short digest of the script, written on the pod template so a changed script rolls the pods. */
export const WAITER_SCRIPT_SHA256: string = createHash('sha256').update(WAITER_SCRIPT).digest('hex');

/** How the waiter polls vLLM. Every value is whole seconds, as the script reads them. */
export interface WaiterSettings {
  /**
   * Give up (exit non-zero) after this long.
   * @default the vLLM startup-probe budget plus 300 s
   */
  readonly deadlineSeconds?: number;
  /**
   * Shortest pause between attempts. With 2 s a waiter never sends more than one request per
   * second to vLLM, even in its first seconds (bench/README.md).
   * @default 2
   */
  readonly initialDelaySeconds?: number;
  /**
   * Longest pause between attempts.
   * @default 3
   */
  readonly maxDelaySeconds?: number;
  /**
   * Time limit of one attempt.
   * @default 5
   */
  readonly attemptTimeoutSeconds?: number;
}

/** The defaults the script itself also applies when a variable is unset. */
export const DEFAULT_WAITER_SETTINGS = {
  initialDelaySeconds: 2,
  maxDelaySeconds: 3,
  attemptTimeoutSeconds: 5,
} as const;

/** Extra time past vLLM's startup budget before the waiter gives up. */
export const WAITER_DEADLINE_MARGIN_SECONDS = 300;

/** Resolved waiter settings. */
export interface ResolvedWaiterSettings {
  readonly deadlineSeconds: number;
  readonly initialDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly attemptTimeoutSeconds: number;
}

/** Fills in defaults and checks each value; `field` prefixes the names in errors. */
export function resolveWaiterSettings(field: string, settings: WaiterSettings, upstreamStartupBudgetSeconds: number): ResolvedWaiterSettings {
  const max = 9_999_999; // the script accepts at most seven digits
  const resolved = {
    deadlineSeconds: checkInteger(`${field}.deadlineSeconds`,
      settings.deadlineSeconds ?? upstreamStartupBudgetSeconds + WAITER_DEADLINE_MARGIN_SECONDS, 1, max, 'seconds'),
    initialDelaySeconds: checkInteger(`${field}.initialDelaySeconds`,
      settings.initialDelaySeconds ?? DEFAULT_WAITER_SETTINGS.initialDelaySeconds, 1, max, 'seconds'),
    maxDelaySeconds: checkInteger(`${field}.maxDelaySeconds`,
      settings.maxDelaySeconds ?? DEFAULT_WAITER_SETTINGS.maxDelaySeconds, 1, max, 'seconds'),
    attemptTimeoutSeconds: checkInteger(`${field}.attemptTimeoutSeconds`,
      settings.attemptTimeoutSeconds ?? DEFAULT_WAITER_SETTINGS.attemptTimeoutSeconds, 1, max, 'seconds'),
  };
  if (resolved.maxDelaySeconds < resolved.initialDelaySeconds) {
    throw new ConfigurationError(`${field}.maxDelaySeconds`, resolved.maxDelaySeconds,
      `It must be at least ${field}.initialDelaySeconds (${resolved.initialDelaySeconds}).`);
  }
  return resolved;
}

/**
 * The waiter's variables (waiterEnv's names, in its order), each with the setting that sets it:
 * the waiter reads them in whichever container waits.
 */
export const WAITER_VARIABLES: { readonly [name: string]: string } = {
  WAIT_URL: 'vllm (the server it waits for)',
  WAIT_DEADLINE_SECONDS: 'waiter.deadlineSeconds',
  WAIT_INITIAL_DELAY_SECONDS: 'waiter.initialDelaySeconds',
  WAIT_MAX_DELAY_SECONDS: 'waiter.maxDelaySeconds',
  WAIT_ATTEMPT_TIMEOUT_SECONDS: 'waiter.attemptTimeoutSeconds',
};

/** The container environment that configures the script. */
export function waiterEnv(url: string, settings: ResolvedWaiterSettings): Array<{ name: string; value: string }> {
  return [
    { name: 'WAIT_URL', value: url },
    { name: 'WAIT_DEADLINE_SECONDS', value: String(settings.deadlineSeconds) },
    { name: 'WAIT_INITIAL_DELAY_SECONDS', value: String(settings.initialDelaySeconds) },
    { name: 'WAIT_MAX_DELAY_SECONDS', value: String(settings.maxDelaySeconds) },
    { name: 'WAIT_ATTEMPT_TIMEOUT_SECONDS', value: String(settings.attemptTimeoutSeconds) },
  ];
}
