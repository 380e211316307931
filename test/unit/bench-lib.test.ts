/**
 * The benchmarks' pure arithmetic (bench/lib): percentiles, rates, Prometheus text, the
 * RESULTS.md sections and the size settings. The benchmarks themselves are `npm run bench`.
 */
import { diff, namespacedPodRequests, parseProm, sumBy, total } from '../../bench/lib/prom';
import { formatFacts, replaceSection, underLoad, type MachineFacts } from '../../bench/lib/results';
import { benchSettings } from '../../bench/lib/settings';
import { fmt, mean, percentile, perEngineHour } from '../../bench/lib/stats';

describe('percentile (nearest rank)', () => {
  test.each([
    [[], 50, undefined],
    [[7], 99, 7],
    [[3, 1, 2], 50, 2],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 100, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
    [[5, 1], 0, 1],
  ])('%j p%d = %j', (values, p, expected) => expect(percentile(values, p)).toBe(expected));
});

describe('rates and formatting', () => {
  test('mean', () => {
    expect(mean([])).toBeUndefined();
    expect(mean([1, 2, 6])).toBe(3);
  });
  test.each([
    // 500 engines for 2 minutes are 16.67 engine-hours
    [2, 500, 120, 0.12],
    // a GET every 5 s is 720 per hour
    [24, 1, 120, 720],
  ])('%d requests, %d engines, %d s → %d per engine-hour', (requests, engines, seconds, expected) =>
    expect(perEngineHour(requests, engines, seconds)).toBeCloseTo(expected, 6),
  );
  test('perEngineHour names what it needs', () => expect(() => perEngineHour(1, 0, 10)).toThrow(/engines > 0/));
  test.each([
    [undefined, 'n/a'],
    [0, '0'],
    [0.123456, '0.123'],
    [1234.5, '1,235'],
    [Infinity, '∞'],
  ])('fmt(%j) = %s', (value, text) => expect(fmt(value)).toBe(text));
});

describe('Prometheus text', () => {
  const text = [
    '# HELP apiserver_request_total Counter',
    'apiserver_request_total{code="200",resource="pods",scope="namespace",subresource="",verb="LIST"} 3',
    'apiserver_request_total{code="200",resource="pods",scope="resource",subresource="",verb="GET"} 10',
    'apiserver_request_total{code="404",resource="pods",scope="resource",subresource="",verb="GET"} 2',
    'apiserver_request_total{code="200",resource="pods",scope="cluster",subresource="",verb="LIST"} 7',
    'apiserver_request_total{code="200",resource="pods",scope="resource",subresource="status",verb="PATCH"} 9',
    'apiserver_longrunning_requests{resource="pods",scope="namespace",subresource="",verb="WATCH"} 1',
    'kpl_kubernetes_requests_total{verb="list",code="200"} 4',
  ].join('\n');
  const samples = parseProm(text);

  test('parses names, labels and values, skipping comments', () => {
    expect(samples).toHaveLength(7);
    expect(samples[6]).toEqual({ name: 'kpl_kubernetes_requests_total', labels: { verb: 'list', code: '200' }, value: 4 });
  });
  test('sums over matching series, grouped by a label', () => {
    expect(sumBy(samples, 'apiserver_request_total', { scope: 'resource', subresource: '' }, 'verb')).toEqual({ GET: 12 });
  });
  test('namespaced pod requests leave out cluster-wide reads and subresource writes, and add open watches', () => {
    expect(namespacedPodRequests(samples)).toEqual({ LIST: 3, GET: 12, WATCH_OPEN: 1 });
  });
  test('diff and total', () => {
    expect(diff({ GET: 5, LIST: 1 }, { GET: 2, WATCH: 1 })).toEqual({ GET: 3, LIST: 1, WATCH: -1 });
    expect(total({ GET: 3, LIST: 1, POST: 9 }, ['GET', 'LIST'])).toBe(4);
  });
});

describe('RESULTS.md sections', () => {
  test('appends a missing section and replaces an existing one in place', () => {
    const once = replaceSection('# Results\n', 'watch', 'first');
    expect(once).toBe('# Results\n\n<!-- bench:watch -->\nfirst\n<!-- /bench:watch -->\n');
    const twice = replaceSection(`${once}\ntail\n`, 'watch', 'second');
    expect(twice).toBe('# Results\n\n<!-- bench:watch -->\nsecond\n<!-- /bench:watch -->\n\ntail\n');
    expect(replaceSection(twice, 'memory', 'm')).toContain('<!-- bench:watch -->\nsecond');
  });
  const facts: MachineFacts = {
    date: '2026-01-01T00:00:00.000Z', cpus: 2, cpuModel: 'cpu', memGiB: 8, node: 'v20', os: 'Linux', loadavg: [3, 2, 1],
  };
  test('says when a run was measured under load', () => {
    expect(underLoad(facts)).toBe(true);
    expect(formatFacts(facts)).toMatch(/measured under load/);
    expect(formatFacts({ ...facts, loadavg: [0.2, 0.1, 0.1] })).not.toMatch(/under load/);
  });
});

describe('bench settings', () => {
  test('defaults are the issue sizes', () => {
    expect(benchSettings({})).toMatchObject({ KPL_BENCH_WATCH_ENGINES: 500, KPL_BENCH_RECOVERY_PODS: 10_000, KPL_BENCH_MEMORY_ENGINES: 2000 });
  });
  test('a bad size names the variable', () => {
    expect(() => benchSettings({ KPL_BENCH_WATCH_ENGINES: 'many' })).toThrow(/KPL_BENCH_WATCH_ENGINES/);
  });
});
