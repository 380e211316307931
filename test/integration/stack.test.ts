/**
 * The local stack against its real servers: pods on the fake node obey the annotations
 * the kwok stages implement, with the timing the tests downstream rely on.
 * Uses the stack already running (Jest global setup) or starts it; never stops it.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Connection } from '@temporalio/client';
import { LOCAL_STACK_ANNOTATIONS, SEARCH_ATTRIBUTES } from '../../src/contract/names';
import { FAKE_NODE_NAME, stackUp, type StackInfo } from '../../src/stack';
import { TEST_TEMPORAL_OPTIONS } from '../helpers/stack-options';

const NS = 'default';
let info: StackInfo;
let core: CoreV1Api;

function driverPod(name: string, annotations: Record<string, string> = {}): V1Pod {
  // The fixture's Spark driver shape, without the config-map volume (nothing creates it here).
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      annotations,
      labels: {
        'kyuubi-unique-tag': name,
        'spark-app-name': name,
        'spark-app-selector': `spark-${name}`,
        'spark-role': 'driver',
        'spark-version': '3.5.1',
      },
    },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: 'spark',
      containers: [
        {
          name: 'spark-kubernetes-driver',
          image: 'apache/spark:3.5.1',
          args: ['driver', '--class', 'org.apache.kyuubi.engine.spark.SparkSQLEngine', 'spark-internal'],
          env: [{ name: 'SPARK_DRIVER_BIND_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          ports: [{ name: 'driver-rpc-port', containerPort: 7078 }],
          resources: { requests: { cpu: '1', memory: '1408Mi' }, limits: { memory: '1408Mi' } },
          volumeMounts: [{ name: 'spark-local-dir-1', mountPath: '/var/data/spark-local' }],
        },
      ],
      volumes: [{ name: 'spark-local-dir-1', emptyDir: {} }],
    },
  };
}

const uniqueName = (what: string): string => `stack-${what}-${randomBytes(4).toString('hex')}`;

async function waitPod(name: string, until: (p: V1Pod) => boolean, timeoutMs = 30_000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pod = await core.readNamespacedPod({ name, namespace: NS });
    if (until(pod)) return pod;
    if (Date.now() > deadline) throw new Error(`pod ${name} timed out: ${JSON.stringify(pod.status)}`);
    await sleep(50);
  }
}

async function waitGone(name: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const list = await core.listNamespacedPod({ namespace: NS, fieldSelector: `metadata.name=${name}` });
    if (list.items.length === 0) return;
    await sleep(100);
  }
  throw new Error(`pod ${name} still exists after delete`);
}

beforeAll(async () => {
  info = await stackUp({ temporal: TEST_TEMPORAL_OPTIONS });
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
}, 30 * 60_000);

test('a second stackUp reuses every server', async () => {
  const again = await stackUp({ temporal: TEST_TEMPORAL_OPTIONS, log: () => undefined });
  expect(again.startedNow).toEqual([]);
  expect(again.kubeconfigPath).toBe(info.kubeconfigPath);
});

test('Temporal answers with our search attributes', async () => {
  const connection = await Connection.connect({ address: info.temporalAddress });
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace: info.temporalNamespace });
    for (const name of Object.values(SEARCH_ATTRIBUTES)) expect(Object.keys(res.customAttributes ?? {})).toContain(name);
  } finally {
    await connection.close();
  }
});

test('a plain pod is scheduled to the fake node, runs until deleted, then goes away', async () => {
  const name = uniqueName('plain');
  await core.createNamespacedPod({ namespace: NS, body: driverPod(name) });
  const running = await waitPod(name, (p) => p.status?.phase === 'Running');
  expect(running.spec?.nodeName).toBe(FAKE_NODE_NAME);
  expect(running.status?.podIP).toBeTruthy();
  expect(running.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeTruthy();
  await sleep(1500);
  expect((await core.readNamespacedPod({ name, namespace: NS })).status?.phase).toBe('Running');
  await core.deleteNamespacedPod({ name, namespace: NS });
  await waitGone(name);
});

test('exit-after 2s: Succeeded with exit 0 about 2 s after Running', async () => {
  const name = uniqueName('exit0');
  await core.createNamespacedPod({ namespace: NS, body: driverPod(name, { [LOCAL_STACK_ANNOTATIONS.exitAfter]: '2s' }) });
  await waitPod(name, (p) => p.status?.phase === 'Running');
  const runningAt = Date.now();
  const done = await waitPod(name, (p) => p.status?.phase !== 'Running');
  const elapsed = Date.now() - runningAt;
  expect(done.status?.phase).toBe('Succeeded');
  expect(elapsed).toBeGreaterThan(1500);
  expect(elapsed).toBeLessThan(3500);
  const terminated = done.status?.containerStatuses?.[0]?.state?.terminated;
  expect(terminated?.exitCode).toBe(0);
  expect(terminated?.reason).toBe('Completed');
  expect(terminated?.startedAt).toBeTruthy();
  expect(terminated?.finishedAt).toBeTruthy();
  expect(done.status?.containerStatuses?.[0]?.state?.running).toBeUndefined();
  await core.deleteNamespacedPod({ name, namespace: NS });
  await waitGone(name);
});

test('exit-code 1: Failed with exit 1 and reason Error', async () => {
  const name = uniqueName('exit1');
  const annotations = { [LOCAL_STACK_ANNOTATIONS.exitAfter]: '1s', [LOCAL_STACK_ANNOTATIONS.exitCode]: '1' };
  await core.createNamespacedPod({ namespace: NS, body: driverPod(name, annotations) });
  const done = await waitPod(name, (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
  expect(done.status?.phase).toBe('Failed');
  const terminated = done.status?.containerStatuses?.[0]?.state?.terminated;
  expect(terminated?.exitCode).toBe(1);
  expect(terminated?.reason).toBe('Error');
  await core.deleteNamespacedPod({ name, namespace: NS });
  await waitGone(name);
});

test('stuck-reason: stays Pending with that waiting reason, and deletes cleanly', async () => {
  const name = uniqueName('stuck');
  const annotations = { [LOCAL_STACK_ANNOTATIONS.stuckReason]: 'ImagePullBackOff' };
  await core.createNamespacedPod({ namespace: NS, body: driverPod(name, annotations) });
  await waitPod(name, (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
  await sleep(2000);
  const pod = await core.readNamespacedPod({ name, namespace: NS });
  expect(pod.spec?.nodeName).toBe(FAKE_NODE_NAME);
  expect(pod.status?.phase).toBe('Pending');
  expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
  await core.deleteNamespacedPod({ name, namespace: NS });
  await waitGone(name);
});
