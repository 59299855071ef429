/**
 * Cache keys for graphs: the builder and every option it was given, so two builders that differ in any option
 * never share an entry. Used by the in-process sample cache (graph/featurize.ts).
 */

/** Stable key for a builder and its options: `radius{"cutoff":5,"inclusive":true}` (keys sorted). */
export function graphKey(kind: string, options: Record<string, number | string | boolean>): string {
  const sorted = Object.keys(options)
    .sort()
    .map((k) => [k, options[k]]);
  return `${kind}${JSON.stringify(Object.fromEntries(sorted))}`;
}
