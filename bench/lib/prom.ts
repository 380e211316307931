/**
 * Pure reading of Prometheus text exposition (the apiserver's /metrics and the worker's),
 * enough to sum a counter over the series whose labels match.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseProm(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key as string] = (value as string).replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of `name` over the series whose labels include every pair of `where`, grouped by label `by`. */
export function sumBy(samples: readonly Sample[], name: string, where: Record<string, string>, by: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const key = s.labels[by] ?? '';
    sums[key] = (sums[key] ?? 0) + s.value;
  }
  return sums;
}

/** after - before, key by key (a key missing before counts from 0). */
export function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
  const out: Record<string, number> = {};
  for (const key of keys) {
    const d = (after[key] ?? 0) - (before[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

export function total(counts: Record<string, number>, keys?: readonly string[]): number {
  return Object.entries(counts)
    .filter(([key]) => keys === undefined || keys.includes(key))
    .reduce((sum, [, value]) => sum + value, 0);
}

/**
 * Requests on pods within namespaces (scope "namespace": lists and watches; "resource":
 * one named pod), by verb, as the apiserver counted them. The scheduler and kwok list and
 * watch cluster-wide (scope "cluster") and write status and bindings as subresources, so
 * namespaced reads come from our worker and this harness only. A WATCH is counted when it
 * ends; the ones still open are added from the long-running gauge as WATCH_OPEN.
 */
export function namespacedPodRequests(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = { WATCH_OPEN: 0 };
  for (const scope of ['namespace', 'resource']) {
    const where = { resource: 'pods', scope, subresource: '' };
    for (const [verb, n] of Object.entries(sumBy(samples, 'apiserver_request_total', where, 'verb'))) counts[verb] = (counts[verb] ?? 0) + n;
    counts.WATCH_OPEN = (counts.WATCH_OPEN ?? 0) + (sumBy(samples, 'apiserver_longrunning_requests', where, 'verb').WATCH ?? 0);
  }
  return counts;
}

export const READ_VERBS = ['GET', 'LIST', 'WATCH'] as const;
