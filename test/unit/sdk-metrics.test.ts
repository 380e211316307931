import type { V1Pod } from '@kubernetes/client-node';
import { RecentKeys, countEngines, deleteReasonLabel } from '../../src/metrics';
import { SECONDS_BUCKETS, SdkMetricStore, type SdkMetricUpdate } from '../../src/sdk-metrics';

const counter = (name: string, value: number, attributes: SdkMetricUpdate['attributes'] = {}): SdkMetricUpdate => ({
  metric: { name, kind: 'counter', description: `${name} help` },
  value,
  attributes,
});

function rendered(updates: SdkMetricUpdate[]): string {
  const store = new SdkMetricStore();
  store.apply(updates);
  return store.render();
}

describe('SdkMetricStore', () => {
  test('nothing recorded renders nothing', () => {
    expect(rendered([])).toBe('');
  });

  test('counters add deltas per label set; label sets of one metric may differ', () => {
    expect(
      rendered([
        counter('temporal_request', 1, { operation: 'Poll', service_name: 'sdk' }),
        counter('temporal_request', 2, { service_name: 'sdk', operation: 'Poll' }),
        counter('temporal_request', 1, { operation: 'Start', namespace: 'default', service_name: 'sdk' }),
      ]),
    ).toBe(
      [
        '# HELP temporal_request temporal_request help',
        '# TYPE temporal_request counter',
        'temporal_request{operation="Poll",service_name="sdk"} 3',
        'temporal_request{namespace="default",operation="Start",service_name="sdk"} 1',
        '',
      ].join('\n'),
    );
  });

  test('gauges keep the last value; up-down counters add and render as gauges', () => {
    const text = rendered([
      { metric: { name: 'slots', kind: 'gauge' }, value: 5, attributes: { q: 'a' } },
      { metric: { name: 'slots', kind: 'gauge' }, value: 3, attributes: { q: 'a' } },
      { metric: { name: 'open', kind: 'up-down-counter' }, value: 2, attributes: {} },
      { metric: { name: 'open', kind: 'up-down-counter' }, value: -1, attributes: {} },
    ]);
    expect(text).toContain('# TYPE slots gauge\nslots{q="a"} 3\n');
    expect(text).toContain('# TYPE open gauge\nopen 1');
    expect(text).toContain('# HELP open Temporal SDK metric open');
  });

  test('histograms of seconds: cumulative buckets, +Inf, sum and count', () => {
    const h = (value: number): SdkMetricUpdate => ({ metric: { name: 'latency', kind: 'histogram', unit: 's' }, value, attributes: { a: 'x' } });
    const lines = rendered([h(0.003), h(0.2), h(1000)]).split('\n');
    expect(lines).toContain('# TYPE latency histogram');
    expect(lines).toContain('latency_bucket{a="x",le="0.001"} 0');
    expect(lines).toContain('latency_bucket{a="x",le="0.005"} 1');
    expect(lines).toContain('latency_bucket{a="x",le="0.25"} 2');
    expect(lines).toContain(`latency_bucket{a="x",le="${SECONDS_BUCKETS[SECONDS_BUCKETS.length - 1]}"} 2`);
    expect(lines).toContain('latency_bucket{a="x",le="+Inf"} 3');
    expect(lines).toContain('latency_sum{a="x"} 1000.203');
    expect(lines).toContain('latency_count{a="x"} 3');
  });

  test('names and label keys are sanitized, label values escaped', () => {
    const text = rendered([counter('my.metric-1', 1, { 'task-queue': 'a"b\\c\nd', ok: true, n: 3 })]);
    expect(text).toContain('my_metric_1{n="3",ok="true",task_queue="a\\"b\\\\c\\nd"} 1');
  });
});

describe('countEngines', () => {
  const options = { stateSource: 'POD' as const, stateContainer: 'spark-kubernetes-driver' };
  const pod = (phase: string): V1Pod => ({ metadata: { name: phase }, status: { phase } });
  test('every state present, zeros included', () => {
    const counts = countEngines([pod('Running'), pod('Running'), pod('Pending'), pod('Succeeded')], options);
    expect(counts).toMatchObject({ RUNNING: 2, PENDING: 1, FINISHED: 1, FAILED: 0, KILLED: 0, NOT_FOUND: 0 });
    expect(Object.keys(counts).sort()).toEqual(['FAILED', 'FINISHED', 'KILLED', 'NOT_FOUND', 'PENDING', 'RUNNING', 'UNKNOWN', 'ZOMBIE']);
  });
});

describe('deleteReasonLabel', () => {
  test.each([
    ['RetentionEnded', 'RetentionEnded'],
    ['OrphanPastRetention', 'OrphanPastRetention'],
    ['PendingTimeout', 'PendingTimeout'],
    ['MaxLifetimeExceeded', 'MaxLifetimeExceeded'],
    ['WorkflowCancelled', 'WorkflowCancelled'],
    ['Killed by request', 'KillRequested'],
    ['user cancelled the query at 10:02', 'KillRequested'],
  ])('%j -> %s', (reason, label) => {
    expect(deleteReasonLabel(reason)).toBe(label);
  });
});

describe('RecentKeys', () => {
  test('a key is new once; the oldest is forgotten past capacity', () => {
    const keys = new RecentKeys(2);
    expect(['a', 'a', 'b', 'c', 'a', 'c'].map((k) => keys.addIfNew(k))).toEqual([true, false, true, true, true, false]);
  });
});
