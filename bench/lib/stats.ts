/**
 * Pure arithmetic the benchmarks share: percentiles, rates and how figures are printed.
 */

/** Nearest-rank percentile (p in 0..100) of unsorted values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Requests per engine-hour: `requests` made while `engines` ran for `seconds`. */
export function perEngineHour(requests: number, engines: number, seconds: number): number {
  if (engines <= 0 || seconds <= 0) throw new Error(`perEngineHour needs engines > 0 and seconds > 0 (got ${engines}, ${seconds})`);
  return requests / (engines * (seconds / 3600));
}

/** A number with `digits` significant digits, without exponent notation for everyday sizes. */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

export const MiB = 1024 * 1024;
