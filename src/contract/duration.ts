/**
 * Durations as people and Kyuubi write them, in milliseconds. Workflow-safe (no IO, no
 * clock), because workflows format deadlines with it.
 */

const MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Long enough for any engine; a larger value is almost surely a unit mistake. */
export const MAX_DURATION_MS = 10 * 365.25 * MS.d;

const ACCEPTED = 'use 30s, 5m, 1h30m or ISO-8601 like PT5M';

export class DurationError extends Error {
  constructor(
    readonly input: string,
    detail?: string,
  ) {
    super(`${JSON.stringify(input)} is not a duration: ${detail ? `${detail}; ` : ''}${ACCEPTED}`);
    this.name = 'DurationError';
  }
}

// Go's syntax (any order, repeats allowed) plus `d`; Go's ns/us are left out because
// nothing here has sub-millisecond resolution.
const GO_SEGMENT = /(\d+\.?\d*|\.\d+)(ms|s|m|h|d)/g;
const GO_WHOLE = /^(?:(?:\d+\.?\d*|\.\d+)(?:ms|s|m|h|d))+$/;
const NUM = String.raw`(\d+(?:[.,]\d+)?)`;
const ISO = new RegExp(`^P(?:${NUM}W)?(?:${NUM}D)?(?:T(?=\\d)(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`);

export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '') throw new DurationError(text, 'it is empty');
  if (/\s/.test(input)) {
    throw new DurationError(text, isDuration(input.replace(/\s+/g, '')) ? 'remove the spaces' : undefined);
  }
  if (input.startsWith('-') || /^P.*-/i.test(input)) {
    throw new DurationError(text, 'durations cannot be negative');
  }
  if (input === '0') return 0;
  if (/^(\d+\.?\d*|\.\d+)$/.test(input)) {
    throw new DurationError(text, 'a bare number is ambiguous, add a unit such as s or ms');
  }
  const ms = /^p/i.test(input) ? parseIso(text, input.toUpperCase()) : parseGo(text, input);
  if (!Number.isFinite(ms)) throw new DurationError(text, 'the value is not finite');
  if (ms > MAX_DURATION_MS) throw new DurationError(text, 'it is longer than 10 years');
  return Math.round(ms);
}

function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

function parseGo(original: string, input: string): number {
  if (!GO_WHOLE.test(input)) throw new DurationError(original);
  let total = 0;
  for (const [, value, unit] of input.matchAll(GO_SEGMENT)) {
    total += Number(value) * MS[unit as keyof typeof MS];
  }
  return total;
}

function parseIso(original: string, input: string): number {
  const match = ISO.exec(input);
  if (!match) {
    // Y and M before the T: calendar units whose length depends on the start date.
    if (/^P[^T]*[YM]/.test(input)) {
      throw new DurationError(original, 'years and months have no fixed length, use days or weeks');
    }
    throw new DurationError(original);
  }
  if (input === 'P') throw new DurationError(original);
  const [, w, d, h, m, s] = match;
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v.replace(',', '.')));
  return n(w) * MS.w + n(d) * MS.d + n(h) * MS.h + n(m) * MS.m + n(s) * MS.s;
}

/** Go-like short form with days; inverse of parseDuration for whole milliseconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`cannot format ${ms} as a duration: expected a finite number >= 0`);
  }
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  if (rest < MS.s) return `${rest}ms`;
  let out = '';
  for (const unit of ['d', 'h', 'm'] as const) {
    const count = Math.floor(rest / MS[unit]);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * MS[unit];
  }
  const seconds = Math.floor(rest / MS.s);
  const millis = rest - seconds * MS.s;
  if (seconds > 0) {
    const fraction = millis > 0 ? `.${String(millis).padStart(3, '0').replace(/0+$/, '')}` : '';
    out += `${seconds}${fraction}s`;
  } else if (millis > 0) {
    out += `${millis}ms`;
  }
  return out;
}
