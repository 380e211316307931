import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { ENGINE_STATES, type EngineState } from '../../src/contract/names';
import {
  deletedPodView,
  engineState,
  isPodTerminated,
  toIso,
  type EngineStateOptions,
  type PodEngineView,
} from '../../src/k8s/engine-state';

const DRIVER = 'spark-kubernetes-driver';
const POD: EngineStateOptions = { stateSource: 'POD', stateContainer: DRIVER };
const CONTAINER: EngineStateOptions = { stateSource: 'CONTAINER', stateContainer: DRIVER };

/** Pods that crossed JSON carry strings where client-node's types say Date. */
const str = (iso: string): Date => iso as unknown as Date;
const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:05:00Z';
const T2 = '2024-05-01T10:06:30.250Z';
const iso = (t: string): string => new Date(t).toISOString();

const running = (startedAt?: Date): V1ContainerState => ({ running: { startedAt } });
const waiting = (reason?: string, message?: string): V1ContainerState => ({ waiting: { reason, message } });
const ended = (
  exitCode: number,
  more: { reason?: string; message?: string; startedAt?: Date; finishedAt?: Date } = {},
): V1ContainerState => ({ terminated: { exitCode, ...more } });
const container = (name: string, state?: V1ContainerState): V1ContainerStatus => ({
  name,
  state,
  image: 'spark:3.5',
  imageID: '',
  ready: false,
  restartCount: 0,
});
const driver = (state?: V1ContainerState): V1ContainerStatus => container(DRIVER, state);
const sidecar = (state?: V1ContainerState): V1ContainerStatus => container('istio-proxy', state);
const pod = (status?: V1PodStatus, metadata: V1Pod['metadata'] = { name: 'kyuubi-t-driver' }): V1Pod => ({
  metadata,
  status,
});
const phase = (p: string | undefined, ...containerStatuses: V1ContainerStatus[]): V1Pod =>
  pod({ phase: p, containerStatuses });

describe('engineState: state and precedence', () => {
  it.each<[string, V1Pod, EngineStateOptions, EngineState]>([
    // phase mapping (Kyuubi podStateToApplicationState)
    ['Pending', phase('Pending'), POD, 'PENDING'],
    ['Running', phase('Running'), POD, 'RUNNING'],
    ['Succeeded', phase('Succeeded'), POD, 'FINISHED'],
    ['Failed', phase('Failed'), POD, 'FAILED'],
    ['Unknown', phase('Unknown'), POD, 'UNKNOWN'],
    ['no phase', phase(undefined), POD, 'UNKNOWN'],
    ['no status at all', pod(undefined), POD, 'UNKNOWN'],
    ['unrecognised phase', phase('Terminating'), POD, 'UNKNOWN'],
    ['phase names are case-sensitive', phase('running'), POD, 'UNKNOWN'],
    ['Kyuubi pseudo-phase Error', phase('Error'), POD, 'FAILED'],
    ['Kyuubi pseudo-phase OOMKilled', phase('OOMKilled'), POD, 'KILLED'],

    // stateSource POD: containers never decide
    ['POD ignores a terminated driver', phase('Running', driver(ended(1))), POD, 'RUNNING'],
    ['POD ignores a terminated sidecar', phase('Running', driver(running()), sidecar(ended(1))), POD, 'RUNNING'],
    ['POD ignores ImagePullBackOff', phase('Pending', driver(waiting('ImagePullBackOff'))), POD, 'PENDING'],
    ['POD: OOMKilled driver in a Failed pod', phase('Failed', driver(ended(137, { reason: 'OOMKilled' }))), POD, 'FAILED'],
    ['POD: Succeeded wins over driver exit 1', phase('Succeeded', driver(ended(1))), POD, 'FINISHED'],

    // stateSource CONTAINER: terminated driver first
    ['Running pod, driver exit 1', phase('Running', driver(ended(1))), CONTAINER, 'FAILED'],
    ['Running pod, driver exit 0', phase('Running', driver(ended(0))), CONTAINER, 'FINISHED'],
    ['Running pod, driver OOMKilled', phase('Running', driver(ended(137, { reason: 'OOMKilled' }))), CONTAINER, 'KILLED'],
    ['Running pod, driver exit 137 without reason', phase('Running', driver(ended(137))), CONTAINER, 'FAILED'],
    ['sidecar exit 1, driver running', phase('Running', sidecar(ended(1)), driver(running())), CONTAINER, 'RUNNING'],
    ['sidecar running, driver exit 0', phase('Running', sidecar(running()), driver(ended(0))), CONTAINER, 'FINISHED'],
    ['Failed pod, driver exit 0', phase('Failed', driver(ended(0))), CONTAINER, 'FINISHED'],
    ['Succeeded pod, driver exit 2', phase('Succeeded', driver(ended(2))), CONTAINER, 'FAILED'],
    ['Pending pod, driver exit 0', phase('Pending', driver(ended(0))), CONTAINER, 'FINISHED'],

    // then a terminated pod over a live-looking container
    ['Failed pod, stale running driver', phase('Failed', driver(running())), CONTAINER, 'FAILED'],
    ['Succeeded pod, stale running driver', phase('Succeeded', driver(running())), CONTAINER, 'FINISHED'],
    ['Failed pod, driver CrashLoopBackOff', phase('Failed', driver(waiting('CrashLoopBackOff'))), CONTAINER, 'FAILED'],
    ['Failed pod, driver ContainerCreating', phase('Failed', driver(waiting('ContainerCreating'))), CONTAINER, 'FAILED'],

    // then container state over a live phase
    ['ContainerCreating', phase('Pending', driver(waiting('ContainerCreating'))), CONTAINER, 'PENDING'],
    ['PodInitializing', phase('Pending', driver(waiting('PodInitializing'))), CONTAINER, 'PENDING'],
    ['waiting without reason', phase('Pending', driver(waiting())), CONTAINER, 'PENDING'],
    ['waiting with blank reason', phase('Pending', driver(waiting('  '))), CONTAINER, 'PENDING'],
    ['waiting reason is trimmed', phase('Pending', driver(waiting(' ContainerCreating '))), CONTAINER, 'PENDING'],
    ['ImagePullBackOff (Kyuubi: FAILED)', phase('Pending', driver(waiting('ImagePullBackOff'))), CONTAINER, 'FAILED'],
    ['ErrImagePull', phase('Pending', driver(waiting('ErrImagePull'))), CONTAINER, 'FAILED'],
    ['CreateContainerConfigError', phase('Pending', driver(waiting('CreateContainerConfigError'))), CONTAINER, 'FAILED'],
    ['CrashLoopBackOff in a Running pod', phase('Running', driver(waiting('CrashLoopBackOff'))), CONTAINER, 'FAILED'],
    ['Running pod, driver still creating', phase('Running', driver(waiting('ContainerCreating'))), CONTAINER, 'PENDING'],
    ['Pending pod, driver running', phase('Pending', driver(running())), CONTAINER, 'RUNNING'],
    ['Unknown pod, driver running', phase('Unknown', driver(running())), CONTAINER, 'RUNNING'],
    ['driver with empty state', phase('Running', driver({})), CONTAINER, 'UNKNOWN'],
    ['driver without state', phase('Running', driver(undefined)), CONTAINER, 'UNKNOWN'],
    [
      'waiting is read before terminated (Kyuubi order)',
      phase('Running', driver({ waiting: { reason: 'ContainerCreating' }, terminated: { exitCode: 1 } })),
      CONTAINER,
      'PENDING',
    ],
    [
      'running is read before terminated (Kyuubi order)',
      phase('Pending', driver({ running: {}, terminated: { exitCode: 0 } })),
      CONTAINER,
      'RUNNING',
    ],

    // driver container missing: fall back to the pod phase
    ['no driver, sidecar exit 1', phase('Running', sidecar(ended(1))), CONTAINER, 'RUNNING'],
    ['no container statuses', phase('Pending'), CONTAINER, 'PENDING'],
    ['no container statuses, Failed', pod({ phase: 'Failed' }), CONTAINER, 'FAILED'],
    ['container name matched ignoring case', phase('Running', container('Spark-Kubernetes-Driver', ended(1))), CONTAINER, 'FAILED'],
    [
      'custom state container',
      phase('Running', container('main', ended(1))),
      { stateSource: 'CONTAINER', stateContainer: 'main' },
      'FAILED',
    ],
    [
      'custom state container absent',
      phase('Running', driver(ended(1))),
      { stateSource: 'CONTAINER', stateContainer: 'main' },
      'RUNNING',
    ],
    ['misnamed lone container does not decide', phase('Running', container('main', ended(1))), CONTAINER, 'RUNNING'],
  ])('%s', (_why, input, options, expected) => {
    expect(engineState(input, options).state).toBe(expected);
  });
});

describe('engineState: details', () => {
  it.each<[string, V1Pod, EngineStateOptions, PodEngineView]>([
    [
      'running driver, string time normalized',
      phase('Running', driver(running(str(T0)))),
      POD,
      { state: 'RUNNING', phase: 'Running', startedAt: '2024-05-01T10:00:00.000Z' },
    ],
    [
      'running driver, Date time',
      phase('Running', driver(running(new Date(T0)))),
      CONTAINER,
      { state: 'RUNNING', phase: 'Running', startedAt: '2024-05-01T10:00:00.000Z' },
    ],
    [
      'time with offset converted to UTC',
      phase('Running', driver(running(str('2024-05-01T12:00:00+02:00')))),
      POD,
      { state: 'RUNNING', phase: 'Running', startedAt: '2024-05-01T10:00:00.000Z' },
    ],
    [
      'unparseable time dropped',
      phase('Running', driver(running(str('yesterday')))),
      POD,
      { state: 'RUNNING', phase: 'Running' },
    ],
    [
      'pod startTime when the driver has not started',
      pod({
        phase: 'Pending',
        startTime: new Date(T0),
        containerStatuses: [driver(waiting('ContainerCreating'))],
      }),
      CONTAINER,
      { state: 'PENDING', phase: 'Pending', reason: 'ContainerCreating', startedAt: iso(T0) },
    ],
    [
      'completed driver',
      phase('Succeeded', driver(ended(0, { reason: 'Completed', startedAt: str(T0), finishedAt: str(T1) }))),
      POD,
      { state: 'FINISHED', phase: 'Succeeded', reason: 'Completed', exitCode: 0, startedAt: iso(T0), terminatedAt: iso(T1) },
    ],
    [
      'evicted pod: pod reason and message win when the pod decides',
      pod({
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        containerStatuses: [driver(ended(137, { reason: 'Error', finishedAt: new Date(T1) }))],
      }),
      POD,
      {
        state: 'FAILED',
        phase: 'Failed',
        reason: 'Evicted',
        message: 'Evicted: The node was low on resource: memory.',
        exitCode: 137,
        terminatedAt: iso(T1),
      },
    ],
    [
      'OOMKilled driver beside a live sidecar',
      phase(
        'Running',
        sidecar(running(str(T0))),
        driver(ended(137, { reason: 'OOMKilled', startedAt: str(T0), finishedAt: str(T2) })),
      ),
      CONTAINER,
      { state: 'KILLED', phase: 'Running', reason: 'OOMKilled', exitCode: 137, startedAt: iso(T0), terminatedAt: iso(T2) },
    ],
    [
      'failed driver with its message',
      phase('Failed', driver(ended(1, { reason: 'Error', message: 'Exception in thread "main"', finishedAt: str(T1) }))),
      CONTAINER,
      {
        state: 'FAILED',
        phase: 'Failed',
        reason: 'Error',
        message: 'Exception in thread "main"',
        exitCode: 1,
        terminatedAt: iso(T1),
      },
    ],
    [
      'ImagePullBackOff, CONTAINER: FAILED without a termination time',
      pod({
        phase: 'Pending',
        startTime: str(T0),
        containerStatuses: [driver(waiting('ImagePullBackOff', 'Back-off pulling image "spark:nope"'))],
      }),
      CONTAINER,
      {
        state: 'FAILED',
        phase: 'Pending',
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "spark:nope"',
        startedAt: iso(T0),
      },
    ],
    [
      'ImagePullBackOff, POD: PENDING, container reason still shown',
      pod({
        phase: 'Pending',
        containerStatuses: [driver(waiting('ImagePullBackOff', 'Back-off pulling image "spark:nope"'))],
      }),
      POD,
      { state: 'PENDING', phase: 'Pending', reason: 'ImagePullBackOff', message: 'Back-off pulling image "spark:nope"' },
    ],
    [
      'unschedulable pod carries the scheduler message',
      pod({
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' },
        ],
      }),
      POD,
      { state: 'PENDING', phase: 'Pending', message: '0/1 nodes are available: 1 Insufficient cpu.' },
    ],
    [
      'scheduled condition true adds nothing',
      pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', message: 'ok' }] }),
      POD,
      { state: 'PENDING', phase: 'Pending' },
    ],
    [
      'same text from container and pod said once',
      pod({
        phase: 'Failed',
        message: 'boom',
        containerStatuses: [driver(ended(2, { message: 'boom' }))],
      }),
      CONTAINER,
      { state: 'FAILED', phase: 'Failed', message: 'boom', exitCode: 2 },
    ],
    [
      'pod message kept on a finished engine, pod reason only in reason',
      pod({ phase: 'Succeeded', reason: 'Done', message: 'all good' }),
      POD,
      { state: 'FINISHED', phase: 'Succeeded', reason: 'Done', message: 'all good' },
    ],
    [
      'POD: driver exit shown while the pod still runs, no termination time',
      phase('Running', driver(ended(1, { reason: 'Error', startedAt: str(T0), finishedAt: str(T1) })), sidecar(running())),
      POD,
      { state: 'RUNNING', phase: 'Running', reason: 'Error', exitCode: 1, startedAt: iso(T0) },
    ],
    [
      'terminatedAt: latest finishedAt when the driver has none (Date and string mixed)',
      phase(
        'Failed',
        sidecar(ended(1, { finishedAt: new Date(T1) })),
        container('log-shipper', ended(1, { finishedAt: str(T2) })),
        driver(running()),
      ),
      POD,
      { state: 'FAILED', phase: 'Failed', terminatedAt: iso(T2) },
    ],
    [
      'terminatedAt: the driver’s own time wins over a later sidecar',
      phase('Failed', driver(ended(1, { finishedAt: str(T1) })), sidecar(ended(1, { finishedAt: str(T2) }))),
      CONTAINER,
      { state: 'FAILED', phase: 'Failed', exitCode: 1, terminatedAt: iso(T1) },
    ],
    [
      'terminatedAt: none known',
      phase('Failed'),
      POD,
      { state: 'FAILED', phase: 'Failed' },
    ],
    [
      'lone misnamed container gives the details in POD mode',
      phase('Failed', container('main', ended(3, { reason: 'Error', finishedAt: str(T1) }))),
      POD,
      { state: 'FAILED', phase: 'Failed', reason: 'Error', exitCode: 3, terminatedAt: iso(T1) },
    ],
    [
      'lone misnamed container gives details but does not decide in CONTAINER mode',
      phase('Running', container('main', ended(3, { reason: 'Error', finishedAt: str(T1) }))),
      CONTAINER,
      { state: 'RUNNING', phase: 'Running', reason: 'Error', exitCode: 3 },
    ],
    [
      'two misnamed containers give no exit code',
      phase('Failed', container('a', ended(3, { finishedAt: str(T1) })), container('b', ended(4, { finishedAt: str(T0) }))),
      POD,
      { state: 'FAILED', phase: 'Failed', terminatedAt: iso(T1) },
    ],
  ])('%s', (_why, input, options, expected) => {
    expect(engineState(input, options)).toEqual(expected);
  });
});

describe('deletedPodView', () => {
  const deleting = (status: V1PodStatus, deletionTimestamp?: Date): V1Pod =>
    pod(status, { name: 'kyuubi-t-driver', deletionTimestamp });

  it.each<[string, V1Pod, EngineStateOptions, PodEngineView]>([
    [
      'running pod deleted',
      deleting({ phase: 'Running', containerStatuses: [driver(running(str(T0)))] }, str(T1)),
      POD,
      {
        state: 'FAILED',
        phase: 'Running',
        reason: 'Deleted',
        message: 'Pod kyuubi-t-driver is deleted',
        startedAt: iso(T0),
        terminatedAt: iso(T1),
      },
    ],
    [
      'pending pod deleted, deletion time as Date',
      deleting({ phase: 'Pending', containerStatuses: [driver(waiting('ContainerCreating'))] }, new Date(T2)),
      CONTAINER,
      { state: 'FAILED', phase: 'Pending', reason: 'Deleted', message: 'Pod kyuubi-t-driver is deleted', terminatedAt: iso(T2) },
    ],
    [
      'unknown pod deleted without deletion time',
      deleting({ phase: 'Unknown' }),
      POD,
      { state: 'FAILED', phase: 'Unknown', reason: 'Deleted', message: 'Pod kyuubi-t-driver is deleted' },
    ],
    [
      'POD mode: running pod with a finished driver still counts as live',
      deleting({ phase: 'Running', containerStatuses: [driver(ended(0, { finishedAt: str(T1) }))] }, str(T2)),
      POD,
      { state: 'FAILED', phase: 'Running', reason: 'Deleted', message: 'Pod kyuubi-t-driver is deleted', exitCode: 0, terminatedAt: iso(T2) },
    ],
    [
      'succeeded pod keeps its view',
      deleting({ phase: 'Succeeded', containerStatuses: [driver(ended(0, { reason: 'Completed', finishedAt: str(T1) }))] }, str(T2)),
      POD,
      { state: 'FINISHED', phase: 'Succeeded', reason: 'Completed', exitCode: 0, terminatedAt: iso(T1) },
    ],
    [
      'evicted pod keeps its view',
      deleting({ phase: 'Failed', reason: 'Evicted', message: 'low memory' }, str(T2)),
      POD,
      { state: 'FAILED', phase: 'Failed', reason: 'Evicted', message: 'Evicted: low memory' },
    ],
    [
      'CONTAINER mode: finished driver in a running pod keeps its view',
      deleting({ phase: 'Running', containerStatuses: [driver(ended(0, { finishedAt: str(T1) }))] }, str(T2)),
      CONTAINER,
      { state: 'FINISHED', phase: 'Running', exitCode: 0, terminatedAt: iso(T1) },
    ],
    [
      'CONTAINER mode: ImagePullBackOff is already terminal',
      deleting({ phase: 'Pending', containerStatuses: [driver(waiting('ImagePullBackOff'))] }, str(T2)),
      CONTAINER,
      { state: 'FAILED', phase: 'Pending', reason: 'ImagePullBackOff' },
    ],
    [
      'pod without a name',
      pod({ phase: 'Running' }, {}),
      POD,
      { state: 'FAILED', phase: 'Running', reason: 'Deleted', message: 'Pod <unnamed> is deleted' },
    ],
  ])('%s', (_why, input, options, expected) => {
    expect(deletedPodView(input, options)).toEqual(expected);
  });
});

describe('isPodTerminated', () => {
  const terminal: Record<EngineState, boolean> = {
    PENDING: false,
    RUNNING: false,
    FINISHED: true,
    KILLED: true,
    FAILED: true,
    ZOMBIE: false,
    NOT_FOUND: true,
    UNKNOWN: false,
  };
  it.each(ENGINE_STATES.map((s) => [s, terminal[s]] as const))('%s → %s', (state, expected) => {
    expect(isPodTerminated({ state })).toBe(expected);
  });
});

describe('toIso', () => {
  it.each<[string, Date | string | undefined | null, string | undefined]>([
    ['Date', new Date(Date.UTC(2024, 4, 1, 10)), '2024-05-01T10:00:00.000Z'],
    ['RFC 3339 string', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z'],
    ['fractional seconds', '2024-05-01T10:00:00.123456Z', '2024-05-01T10:00:00.123Z'],
    ['offset', '2024-05-01T05:00:00-05:00', '2024-05-01T10:00:00.000Z'],
    ['garbage', 'not a time', undefined],
    ['invalid Date', new Date(Number.NaN), undefined],
    ['undefined', undefined, undefined],
    ['null', null, undefined],
  ])('%s', (_why, value, expected) => {
    expect(toIso(value)).toBe(expected);
  });
});
