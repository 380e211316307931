/**
 * The crash soak's pure parts: the plan it launches, how it judges an outcome, its
 * options and its verdict. The soak itself (`npm run soak`) runs the real servers.
 */
import type { EngineOutcome } from '../../src/contract/messages';
import { soakOptions } from '../../soak/options';
import { LIFECYCLE_KINDS, checkOutcome, closeDueMs, lifecycleOf, planLifecycles, rng, type Expectation } from '../../soak/plan';
import { percentile, violations, type SoakFacts } from '../../soak/summary';

const outcome = (o: Partial<EngineOutcome>): EngineOutcome => ({
  tag: 't', namespace: 'ns', mode: 'create', state: 'FINISHED', startedAt: '2026-01-01T00:00:00.000Z',
  deadlines: {}, transitions: [], podDeleted: true, podUid: 'uid-1', deleteReason: 'RetentionEnded',
  terminatedAt: '2026-01-01T00:00:10.000Z', closedAt: '2026-01-01T00:00:10.500Z', ...o,
});

const expect_ = (e: Partial<Expectation>): Expectation => ({ state: 'FINISHED', deleteReason: 'RetentionEnded', podMayBeMissing: false, retainMs: 0, ...e });

describe('planLifecycles', () => {
  const plan = planLifecycles({ lifecycles: 60, launchWindowMs: 80_000, namespaces: ['a', 'b', 'c'], runId: 'r1', seed: 7 });

  test('is the same for the same seed, and spreads kinds, namespaces and launches evenly', () => {
    expect(planLifecycles({ lifecycles: 60, launchWindowMs: 80_000, namespaces: ['a', 'b', 'c'], runId: 'r1', seed: 7 })).toEqual(plan);
    for (const kind of LIFECYCLE_KINDS) expect(plan.filter((l) => l.kind === kind)).toHaveLength(10);
    for (const ns of ['a', 'b', 'c']) expect(plan.filter((l) => l.namespace === ns)).toHaveLength(20);
    expect(new Set(plan.map((l) => l.tag)).size).toBe(60);
    expect(Math.min(...plan.map((l) => l.launchAtMs))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...plan.map((l) => l.launchAtMs))).toBeLessThanOrEqual(80_000);
  });

  test.each([
    ['succeed', { state: 'FINISHED', exitCode: 0, deleteReason: 'RetentionEnded' }],
    ['fail', { state: 'FAILED', deleteReason: 'RetentionEnded' }],
    ['pendingTimeout', { state: 'FAILED', deleteReason: 'PendingTimeout' }],
    ['kill', { state: 'KILLED', reason: 'soak kill', deleteReason: 'soak kill', podMayBeMissing: true }],
    ['maxLifetime', { state: 'KILLED', reason: 'MaxLifetimeExceeded', deleteReason: 'MaxLifetimeExceeded' }],
  ] as const)('%s expects its outcome', (kind, expected) => {
    expect(lifecycleOf(kind, rng(1)).expect).toMatchObject(expected);
  });

  test('annotations imply the outcome: a fail exits with the code it expects, a retain keeps as long as it expects', () => {
    const fail = lifecycleOf('fail', rng(3));
    expect(fail.expect.exitCode).toBe(Number(fail.annotations.exitCode));
    const retain = lifecycleOf('retain', rng(3));
    expect(retain.policy.retainPeriod).toBe(`${retain.expect.retainMs}ms`);
    expect(retain.expect.exitCode).toBe(retain.annotations.exitCode === '1' ? 1 : 0);
    expect(lifecycleOf('pendingTimeout', rng(3)).annotations.stuckReason).toMatch(/^(ImagePullBackOff|ErrImagePull)$/);
  });
});

describe('checkOutcome', () => {
  test.each<[string, Partial<Expectation>, Partial<EngineOutcome>, string[]]>([
    ['as expected', {}, {}, []],
    ['wrong state', {}, { state: 'FAILED' }, ['state is "FAILED", expected "FINISHED"']],
    ['wrong exit code', { exitCode: 3 }, { exitCode: 1 }, ['exitCode is 1, expected 3']],
    ['pod not deleted', {}, { podDeleted: false, deleteReason: undefined },
      ['podDeleted is false, expected true', 'deleteReason is undefined, expected "RetentionEnded"']],
    ['no pod where one was due', {}, { podUid: undefined }, ['no pod was ever created']],
    ['no pod after an early kill', { state: 'KILLED', podMayBeMissing: true }, { state: 'KILLED', podUid: undefined, podDeleted: false }, []],
    ['retained long enough', { retainMs: 500 }, {}, []],
    ['closed before retention ended', { retainMs: 501 }, {}, ['closed 500 ms after the pod terminated, before the 501 ms retain period ended']],
    ['wrong kill reason', { state: 'KILLED', reason: 'soak kill', deleteReason: 'soak kill' },
      { state: 'KILLED', reason: 'MaxLifetimeExceeded', deleteReason: 'soak kill' }, ['reason is "MaxLifetimeExceeded", expected "soak kill"']],
  ])('%s', (_name, expectation, got, problems) => {
    expect(checkOutcome(expect_(expectation), outcome(got))).toEqual(problems);
  });
});

describe('closeDueMs', () => {
  const policy = { cleanup: 'ALL', retainPeriodMs: 2_000, pendingTimeoutMs: 5_000, submitTimeoutMs: 30_000, maxLifetimeMs: 7_000, stateSource: 'POD', stateContainer: 'c' } as const;
  const o = outcome({ policy, podCreatedAt: '2026-01-01T00:00:01.000Z' });
  const t = (iso: string) => Date.parse(iso);
  test.each([
    ['retain', t('2026-01-01T00:00:12.000Z')],
    ['succeed', t('2026-01-01T00:00:12.000Z')],
    ['pendingTimeout', t('2026-01-01T00:00:06.000Z')],
    ['maxLifetime', t('2026-01-01T00:00:07.000Z')],
    ['kill', 42],
  ] as const)('%s', (kind, due) => {
    expect(closeDueMs({ kind, policy: {} }, o, 42)).toBe(due);
  });
});

describe('soakOptions', () => {
  test('presets fill what flags leave out; flags win', () => {
    expect(soakOptions({ preset: 'short' }, () => 9)).toMatchObject({ lifecycles: 60, launchWindowMs: 80_000, seed: 9, killEveryMs: [5_000, 15_000] });
    expect(soakOptions({ lifecycles: '10', killEvery: '1s-2s', seed: '3' }, () => 9)).toMatchObject({ lifecycles: 10, launchWindowMs: 540_000, killEveryMs: [1_000, 2_000], seed: 3 });
  });
  test.each([
    [{ killEvery: '15s-5s' }, /--kill-every: the first must not exceed the second/],
    [{ killEvery: '5s' }, /--kill-every: give two durations/],
    [{ apiserverAt: '2' }, /--apiserver-at: must be from 0 to 1/],
    [{ launchWindow: '9' }, /--launch-window: "9" is not a duration/],
  ])('rejects %o naming the flag', (raw, message) => {
    expect(() => soakOptions(raw, () => 1)).toThrow(message);
  });
});

describe('summary', () => {
  test('percentile', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([5, 1, 3], 100)).toBe(5);
  });
  test('every kind of violation fails the soak', () => {
    const facts: SoakFacts = {
      seed: 1,
      engines: [{ kind: 'kill', workflowId: 'w', ended: 'FAILED', problems: ['state is "FAILED", expected "KILLED"'] }],
      chaos: { workerSpawns: 1, workerKills: 0, workerReadyMs: [], workerOwnExits: ['pid 1'], workersNotReadyInTime: 0, launchRetries: 0, killRetries: 0, killErrors: {} },
      history: { workflows: 1, events: 1, taskFailures: ['w: event 5'], unhandledCommandRedos: 0, taskTimeouts: 0, activityTimeouts: 0, continuedAsNew: 0 },
      podsLeft: ['ns/p'],
      stillRunning: ['w2'],
      phasesMs: {},
    };
    expect(violations(facts)).toHaveLength(5);
  });
});
