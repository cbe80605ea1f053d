/**
 * The kubelet's restart back-off for a crashing container: 10 s, doubling, capped at 300 s
 * (docs/mesh-facts.md §6). Used to warn about the NONE strategy and by the startup benchmark. This is a
 * model of the kubelet, not a measurement.
 */
export const KUBELET_BACKOFF_INITIAL_SECONDS = 10;
export const KUBELET_BACKOFF_CAP_SECONDS = 300;

/**
 * The modelled delay between the upstream turning ready at `readySeconds` and the next start of a
 * container that crashes `crashAfterSeconds` after each start while the upstream is not ready.
 */
export function restartBackoffAddedDelay(readySeconds: number, crashAfterSeconds = 0): number {
  let start = 0;
  let backoff = KUBELET_BACKOFF_INITIAL_SECONDS;
  // A start at or after readiness succeeds; earlier starts crash and wait out the back-off.
  while (start < readySeconds) {
    start += crashAfterSeconds + backoff;
    backoff = Math.min(backoff * 2, KUBELET_BACKOFF_CAP_SECONDS);
  }
  return start - readySeconds;
}

/** The container start times the model produces up to `horizonSeconds`. */
export function restartBackoffStarts(horizonSeconds: number, crashAfterSeconds = 0): number[] {
  const starts = [0];
  let backoff = KUBELET_BACKOFF_INITIAL_SECONDS;
  for (let t = 0; t + crashAfterSeconds + backoff <= horizonSeconds;) {
    t += crashAfterSeconds + backoff;
    starts.push(t);
    backoff = Math.min(backoff * 2, KUBELET_BACKOFF_CAP_SECONDS);
  }
  return starts;
}

/**
 * The longest modelled delay for any ready time up to `horizonSeconds`: the widest gap between
 * two starts that straddles a ready time in range.
 */
export function restartBackoffWorstCaseDelay(horizonSeconds: number, crashAfterSeconds = 0): number {
  const starts = restartBackoffStarts(horizonSeconds + KUBELET_BACKOFF_CAP_SECONDS + crashAfterSeconds, crashAfterSeconds);
  let worst = 0;
  for (let i = 1; i < starts.length && starts[i - 1] < horizonSeconds; i++) {
    worst = Math.max(worst, starts[i] - starts[i - 1]);
  }
  return worst;
}
