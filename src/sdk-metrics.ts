/**
 * The Temporal SDK's own metrics (Core's worker, poller, request and latency metrics), kept
 * from the runtime's metrics buffer and rendered in the Prometheus text format, so they
 * are served on our one /metrics endpoint. prom-client cannot hold them: its metrics have
 * a fixed label set, and Core reports one metric with different label sets (for example
 * `temporal_request` with and without `namespace`).
 */

export type SdkMetricKind = 'counter' | 'histogram' | 'gauge' | 'up-down-counter';

/** One buffered update, the shape of @temporalio/worker's BufferedMetricUpdate. */
export interface SdkMetricUpdate {
  metric: { name: string; kind: SdkMetricKind; unit?: string; description?: string };
  /** A delta for counters and up-down counters; the value itself for gauges and histograms. */
  value: number;
  attributes: Record<string, string | number | boolean>;
}

/** Seconds: from a fast gRPC call to a long poll (up to 70 s) and a long activity. */
export const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const COUNT_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

interface Series {
  labels: [string, string][];
  value: number;
  buckets?: number[];
  sum?: number;
  count?: number;
}

interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  bounds: number[];
  series: Map<string, Series>;
}

/** Prometheus metric and label names allow [a-zA-Z0-9_] (and no leading digit). */
function sanitizeName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelText(labels: [string, string][], extra?: [string, string]): string {
  const all = extra ? [...labels, extra] : labels;
  if (all.length === 0) return '';
  return `{${all.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(',')}}`;
}

function familyType(kind: SdkMetricKind): Family['type'] {
  if (kind === 'counter') return 'counter';
  if (kind === 'histogram') return 'histogram';
  return 'gauge';
}

/** Durations are buffered in seconds (the runtime is installed with useSecondsForDurations). */
function bucketsFor(unit: string | undefined): number[] {
  return unit === 's' ? SECONDS_BUCKETS : unit === 'ms' ? SECONDS_BUCKETS.map((b) => b * 1000) : COUNT_BUCKETS;
}

export class SdkMetricStore {
  private readonly families = new Map<string, Family>();

  apply(updates: Iterable<SdkMetricUpdate>): void {
    for (const update of updates) this.applyOne(update);
  }

  render(): string {
    const blocks: string[] = [];
    for (const family of [...this.families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
      for (const series of family.series.values()) {
        if (family.type !== 'histogram') {
          lines.push(`${family.name}${labelText(series.labels)} ${formatNumber(series.value)}`);
          continue;
        }
        let cumulative = 0;
        family.bounds.forEach((bound, i) => {
          cumulative += series.buckets?.[i] ?? 0;
          lines.push(`${family.name}_bucket${labelText(series.labels, ['le', formatNumber(bound)])} ${cumulative}`);
        });
        lines.push(`${family.name}_bucket${labelText(series.labels, ['le', '+Inf'])} ${series.count ?? 0}`);
        lines.push(`${family.name}_sum${labelText(series.labels)} ${formatNumber(series.sum ?? 0)}`);
        lines.push(`${family.name}_count${labelText(series.labels)} ${series.count ?? 0}`);
      }
      blocks.push(lines.join('\n'));
    }
    return blocks.length ? `${blocks.join('\n')}\n` : '';
  }

  private applyOne({ metric, value, attributes }: SdkMetricUpdate): void {
    const name = sanitizeName(metric.name);
    let family = this.families.get(name);
    if (!family) {
      family = {
        name,
        type: familyType(metric.kind),
        help: metric.description || `Temporal SDK metric ${metric.name}`,
        bounds: bucketsFor(metric.unit),
        series: new Map(),
      };
      this.families.set(name, family);
    }
    const labels = Object.entries(attributes)
      .map(([key, v]): [string, string] => [sanitizeName(key), String(v)])
      .sort(([a], [b]) => a.localeCompare(b));
    const key = JSON.stringify(labels);
    let series = family.series.get(key);
    if (!series) {
      series = family.type === 'histogram' ? { labels, value: 0, buckets: family.bounds.map(() => 0), sum: 0, count: 0 } : { labels, value: 0 };
      family.series.set(key, series);
    }
    if (metric.kind === 'gauge') series.value = value;
    else if (family.type !== 'histogram') series.value += value;
    else {
      const index = family.bounds.findIndex((bound) => value <= bound);
      if (index >= 0 && series.buckets) series.buckets[index] = (series.buckets[index] ?? 0) + 1;
      series.sum = (series.sum ?? 0) + value;
      series.count = (series.count ?? 0) + 1;
    }
  }
}
