import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to a misspelt `value`, when one is close enough to be what was meant:
 * at most a third of its length away (and at least two edits allowed), case aside.
 */
export function closest(value: string, candidates: readonly string[]): string | undefined {
  const wanted = value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(wanted, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance > 0 && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** ` Did you mean "<closest>"?`, or nothing when no candidate is close. */
export function didYouMean(value: string, candidates: readonly string[], render: (candidate: string) => string = (c) => `"${c}"`): string {
  const match = closest(value, candidates);
  return match === undefined ? '' : ` Did you mean ${render(match)}?`;
}
