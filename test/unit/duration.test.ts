import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/contract/duration';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration accepts', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['0s', 0],
    ['0ms', 0],
    ['500ms', 500],
    ['1ms', 1],
    ['30s', 30 * S],
    ['2.5s', 2_500],
    ['.5s', 500],
    ['1.s', S],
    ['5m', 5 * M],
    ['1h', H],
    ['1h30m', H + 30 * M],
    ['1.5h', H + 30 * M],
    ['1h30m15s500ms', H + 30 * M + 15 * S + 500],
    ['30m1h', H + 30 * M],
    ['2d', 2 * D],
    ['1d12h', D + 12 * H],
    ['90m', 90 * M],
    ['  5m  ', 5 * M],
    ['1.0004s', 1_000],
    ['1.0006s', 1_001],
    ['PT5M', 5 * M],
    ['PT30S', 30 * S],
    ['PT0.5S', 500],
    ['PT0,5S', 500],
    ['PT0S', 0],
    ['PT1H30M', H + 30 * M],
    ['PT48H', 48 * H],
    ['P1D', D],
    ['P1DT2H', D + 2 * H],
    ['P1DT2H3M4.005S', D + 2 * H + 3 * M + 4 * S + 5],
    ['P2W', 14 * D],
    ['P1.5D', D + 12 * H],
    ['pt5m', 5 * M],
    ['p1dt2h', D + 2 * H],
    ['3652d', 3652 * D],
  ])('%j → %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});

describe('parseDuration rejects', () => {
  it.each<[string, RegExp]>([
    ['', /is empty/],
    ['   ', /is empty/],
    ['-5m', /negative/],
    ['-0s', /negative/],
    ['PT-5M', /negative/],
    ['-PT5M', /negative/],
    ['5', /bare number is ambiguous/],
    ['1.5', /bare number is ambiguous/],
    ['10 parsecs', /: use 30s/],
    ['5 m', /remove the spaces/],
    ['1h 30m', /remove the spaces/],
    ['1h\t30m', /remove the spaces/],
    ['P T5M', /remove the spaces/],
    ['5 parsecs', /: use 30s/],
    ['10parsecs', /use 30s, 5m, 1h30m or ISO-8601 like PT5M$/],
    ['5x', /use 30s/],
    ['5M', /use 30s/],
    ['5S', /use 30s/],
    ['5ns', /use 30s/],
    ['5us', /use 30s/],
    ['1y', /use 30s/],
    ['m', /use 30s/],
    ['5m3', /use 30s/],
    ['+5m', /use 30s/],
    ['1e3s', /use 30s/],
    ['Infinity', /use 30s/],
    ['NaN', /use 30s/],
    ['P1Y', /years and months have no fixed length/],
    ['P1M', /years and months have no fixed length/],
    ['P1Y2M3D', /years and months have no fixed length/],
    ['p3m', /years and months have no fixed length/],
    ['P', /use 30s/],
    ['PT', /use 30s/],
    ['P1DT', /use 30s/],
    ['PT1D', /use 30s/],
    ['PT5S5M', /use 30s/],
    ['P5', /use 30s/],
    ['PT1Y', /use 30s/],
    ['3653d', /longer than 10 years/],
    ['P522W', /longer than 10 years/],
    ['87661h', /longer than 10 years/],
    [`${'9'.repeat(400)}s`, /not finite/],
  ])('%j (%s)', (text, why) => {
    let caught: unknown;
    try {
      parseDuration(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DurationError);
    const error = caught as DurationError;
    expect(error.name).toBe('DurationError');
    expect(error.input).toBe(text);
    expect(error.message.startsWith(`${JSON.stringify(text)} is not a duration: `)).toBe(true);
    expect(error.message).toMatch(why);
    expect(error.message).toContain('use 30s, 5m, 1h30m or ISO-8601 like PT5M');
  });

  it('quotes the input exactly as the brief shows', () => {
    expect(() => parseDuration('10 parsecs')).toThrow(
      '"10 parsecs" is not a duration: use 30s, 5m, 1h30m or ISO-8601 like PT5M',
    );
  });

  it('caps at 10 years of 365.25 days', () => {
    expect(MAX_DURATION_MS).toBe(3652.5 * D);
    expect(parseDuration('3652d12h')).toBe(MAX_DURATION_MS);
    expect(() => parseDuration('3652d12h1ms')).toThrow(DurationError);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [0.4, '0s'],
    [1, '1ms'],
    [500, '500ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_001, '1.001s'],
    [1_010, '1.01s'],
    [2_500, '2.5s'],
    [30 * S, '30s'],
    [5 * M, '5m'],
    [5 * M + 500, '5m500ms'],
    [5 * M + 1_500, '5m1.5s'],
    [H + 30 * M, '1h30m'],
    [H + 1, '1h1ms'],
    [2 * D, '2d'],
    [D + 2 * H + 3 * M + 4 * S + 5, '1d2h3m4.005s'],
    [1_499.6, '1.5s'],
  ])('%d ms → %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });

  it.each([
    0, 1, 7, 10, 100, 999, 1_000, 1_001, 59_999, 60_000, 61_001, 3_599_999, 3_600_000, 86_399_999,
    86_400_000, 90_061_001, 123_456_789, MAX_DURATION_MS,
  ])('round-trips %d ms through parseDuration', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
