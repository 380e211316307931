/**
 * EngineMachine is pure: deadlines, transitions, cleanup decisions and kill semantics,
 * table-tested without Temporal or Kubernetes.
 */
import type { EnginePolicy, NormalizedEngineInput, PodObservation } from '../../src/contract/messages';
import type { EngineState } from '../../src/contract/names';
import { EngineMachine, MAX_TRANSITIONS } from '../../workflows/engine-machine';

const T0 = '2025-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1_000).toISOString();

const POLICY: EnginePolicy = {
  cleanup: 'ALL',
  retainPeriodMs: 300_000,
  pendingTimeoutMs: 600_000,
  submitTimeoutMs: 30_000,
  stateSource: 'POD',
  stateContainer: 'spark-kubernetes-driver',
};

function input(more: Partial<NormalizedEngineInput> = {}, policy: Partial<EnginePolicy> = {}): NormalizedEngineInput {
  return { tag: 't1', namespace: 'ns', mode: 'create', podName: 'kyuubi-t1-driver', instance: 'default', ...more, policy: { ...POLICY, ...policy } };
}

function machine(more: Partial<NormalizedEngineInput> = {}, policy: Partial<EnginePolicy> = {}): EngineMachine {
  const m = EngineMachine.starting({ tag: 't1', namespace: 'ns' }, T0);
  m.begin(input(more, policy));
  return m;
}

function seen(state: EngineState, more: Partial<PodObservation> = {}): PodObservation {
  return { name: 'kyuubi-t1-driver', uid: 'uid-1', state, createdAt: at(1), ...more };
}

describe('starting and begin', () => {
  test('before validation the snapshot holds only what the raw input claims', () => {
    const m = EngineMachine.starting({ tag: 42, namespace: 'ns', mode: 'track' }, T0);
    expect(m.snapshot).toMatchObject({ tag: '', namespace: 'ns', mode: 'track', state: 'PENDING', podDeleted: false, deadlines: {} });
    expect(m.snapshot.transitions).toEqual([{ state: 'PENDING', at: T0 }]);
    expect(m.input).toBeUndefined();
    expect(() => m.carry()).toThrow('never validated');
  });

  test.each([
    ['create, no max lifetime', {}, {}, {}],
    ['create, max lifetime 1h', {}, { maxLifetimeMs: 3_600_000 }, { maxLifetimeUntil: at(3_600) }],
    ['track', { mode: 'track' as const }, {}, { submitUntil: at(30) }],
    ['track, max lifetime 10s', { mode: 'track' as const }, { maxLifetimeMs: 10_000 }, { submitUntil: at(30), maxLifetimeUntil: at(10) }],
  ])('deadlines from the start: %s', (_name, more, policy, deadlines) => {
    expect(machine(more, policy).snapshot.deadlines).toEqual(deadlines);
  });
});

describe('deadlines as the pod moves', () => {
  test.each<[string, Partial<EnginePolicy>, EngineState, Partial<PodObservation>, Record<string, string>]>([
    ['pending: counted from the pod creation', {}, 'PENDING', {}, { pendingUntil: at(601) }],
    ['pending with max lifetime', { maxLifetimeMs: 60_000 }, 'PENDING', {}, { pendingUntil: at(601), maxLifetimeUntil: at(60) }],
    ['pending, no creation time: counted from the start', {}, 'PENDING', { createdAt: undefined }, { pendingUntil: at(600) }],
    ['running: no pending deadline', { maxLifetimeMs: 60_000 }, 'RUNNING', {}, { maxLifetimeUntil: at(60) }],
    ['finished: retention from the termination time', { maxLifetimeMs: 60_000 }, 'FINISHED', { terminatedAt: at(20) }, { deleteAt: at(320) }],
    ['failed without a termination time: retention from when it was seen', {}, 'FAILED', {}, { deleteAt: at(305) }],
    ['failed, cleanup COMPLETED: kept, no delete date', { cleanup: 'COMPLETED' }, 'FAILED', { terminatedAt: at(5) }, {}],
    ['finished, cleanup COMPLETED', { cleanup: 'COMPLETED' }, 'FINISHED', { terminatedAt: at(5) }, { deleteAt: at(305) }],
    ['finished, cleanup NONE: kept', { cleanup: 'NONE' }, 'FINISHED', { terminatedAt: at(5) }, {}],
    ['deleted by someone else: nothing to delete', {}, 'FAILED', { gone: true }, {}],
  ])('%s', (_name, policy, state, more, deadlines) => {
    const m = machine({}, policy);
    m.observe(seen(state, more), at(5));
    expect(m.snapshot.deadlines).toEqual(deadlines);
  });

  test('a track-mode submit deadline ends once a pod is seen', () => {
    const m = machine({ mode: 'track' });
    m.observe(seen('PENDING'), at(2));
    expect(m.snapshot.deadlines.submitUntil).toBeUndefined();
  });

  test('a terminal engine without a container end time ends when seen', () => {
    const m = machine();
    m.observe(seen('FAILED', { reason: 'ImagePullBackOff' }), at(7));
    expect(m.snapshot.terminatedAt).toBe(at(7));
  });

  test('our delete clears the delete date', () => {
    const m = machine();
    m.observe(seen('FINISHED', { terminatedAt: at(3) }), at(4));
    m.markDeleted('RetentionEnded');
    expect(m.snapshot).toMatchObject({ podDeleted: true, deleteReason: 'RetentionEnded', deadlines: {} });
    expect(m.hasPod).toBe(false);
  });
});

describe('transitions', () => {
  test('observe reports whether the state changed and records each change once', () => {
    const m = machine();
    expect(m.observe(seen('PENDING'), at(1))).toBe(false);
    expect(m.observe(seen('RUNNING', { phase: 'Running' }), at(2))).toBe(true);
    expect(m.observe(seen('RUNNING', { phase: 'Running' }), at(3))).toBe(false);
    expect(m.observe(seen('FINISHED', { exitCode: 0, reason: 'Completed' }), at(4))).toBe(true);
    expect(m.snapshot.transitions).toEqual([
      { state: 'PENDING', at: T0 },
      { state: 'RUNNING', at: at(2) },
      { state: 'FINISHED', at: at(4), reason: 'Completed' },
    ]);
    expect(m.snapshot).toMatchObject({ podName: 'kyuubi-t1-driver', podUid: 'uid-1', exitCode: 0, phase: 'Running' });
  });

  test(`are bounded to the last ${MAX_TRANSITIONS}`, () => {
    const m = machine();
    for (let i = 1; i <= 30; i++) m.observe(seen(i % 2 ? 'RUNNING' : 'UNKNOWN'), at(i));
    expect(m.snapshot.transitions).toHaveLength(MAX_TRANSITIONS);
    expect(m.snapshot.transitions[MAX_TRANSITIONS - 1]).toEqual({ state: 'UNKNOWN', at: at(30) });
    expect(m.snapshot.transitions[0]).toEqual({ state: 'RUNNING', at: at(11) });
  });

  test.each<[string, (m: EngineMachine) => void]>([
    ['a late observation', (m) => m.observe(seen('FAILED', { reason: 'Error' }), at(9))],
    ['a second finish', (m) => m.finish('FAILED', at(9), 'Other')],
  ])('a terminal engine is final: %s changes nothing', (_name, late) => {
    const m = machine();
    m.observe(seen('RUNNING'), at(1));
    m.finish('KILLED', at(2), 'Killed by request');
    const before = m.snapshot;
    late(m);
    expect(m.snapshot).toEqual(before);
  });

  test('finish records our reason and message and a termination time', () => {
    const m = machine();
    m.observe(seen('PENDING', { reason: 'ImagePullBackOff' }), at(1));
    m.finish('FAILED', at(9), 'ImagePullBackOff', 'still pending');
    expect(m.snapshot).toMatchObject({ state: 'FAILED', reason: 'ImagePullBackOff', message: 'still pending', terminatedAt: at(9) });
  });

  test('carry and resume keep everything', () => {
    const m = machine({}, { maxLifetimeMs: 60_000 });
    m.observe(seen('RUNNING'), at(2));
    m.requestKill('bye', at(3));
    const resumed = EngineMachine.resume(JSON.parse(JSON.stringify(m.carry())) as ReturnType<EngineMachine['carry']>);
    expect(resumed.snapshot).toEqual(m.snapshot);
    expect(resumed.input).toEqual(m.input);
    expect(resumed.killRequested).toBe(true);
  });
});

describe('cleanup decisions', () => {
  const ends: EngineState[] = ['FINISHED', 'FAILED', 'KILLED', 'NOT_FOUND'];
  const expected: Record<EnginePolicy['cleanup'], EngineState[]> = {
    ALL: ends,
    COMPLETED: ['FINISHED'],
    NONE: [],
  };
  test.each((Object.keys(expected) as EnginePolicy['cleanup'][]).flatMap((cleanup) => ends.map((state) => [cleanup, state] as const)))(
    'cleanup %s, engine %s',
    (cleanup, state) => {
      const m = machine({}, { cleanup });
      m.observe(seen(state), at(1));
      expect(m.cleanupDeletes).toBe(expected[cleanup].includes(state));
    },
  );

  test('no pod known, or already deleted: nothing to clean', () => {
    const m = machine({ mode: 'track', podName: undefined });
    m.finish('NOT_FOUND', at(30), 'NotSubmitted');
    expect(m.hasPod).toBe(false);
    expect(m.snapshot.deadlines).toEqual({});
  });
});

describe('kill semantics', () => {
  test('the first kill request wins; later ones keep its reason and time', () => {
    const m = machine();
    m.requestKill('first', at(1));
    m.requestKill('second', at(2));
    expect(m.snapshot.killRequest).toEqual({ reason: 'first', at: at(1) });
    expect(m.killRequested).toBe(true);
  });

  test('a kill before validation survives begin', () => {
    const m = EngineMachine.starting({ tag: 't1', namespace: 'ns' }, T0);
    m.requestKill('early', at(0));
    m.begin(input());
    expect(m.snapshot.killRequest).toEqual({ reason: 'early', at: at(0) });
  });

  test.each<EngineState>(['FINISHED', 'FAILED', 'KILLED', 'NOT_FOUND'])('a kill on a %s engine is ignored', (state) => {
    const m = machine();
    m.observe(seen(state), at(1));
    m.requestKill('late', at(2));
    expect(m.killRequested).toBe(false);
    expect(m.isTerminal).toBe(true);
  });

  test('a pending kill does not change the state until the workflow finishes it', () => {
    const m = machine();
    m.observe(seen('RUNNING'), at(1));
    m.requestKill('bye', at(2));
    expect(m.state).toBe('RUNNING');
    m.markDeleted('bye');
    m.finish('KILLED', at(3), 'bye');
    expect(m.snapshot).toMatchObject({ state: 'KILLED', reason: 'bye', podDeleted: true, deleteReason: 'bye', deadlines: {} });
    expect(m.outcome(at(4))).toMatchObject({ state: 'KILLED', closedAt: at(4) });
  });
});
