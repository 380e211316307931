/**
 * Two workers starting at once (two replicas after a rollout) run recovery once, and every
 * orphan pod receives exactly one DELETE, counted in the apiserver's audit log: the
 * every-replica-deletes-every-pod problem of Kyuubi #7634 cannot happen. The same holds
 * when the recovery Schedule fires while a recovery is running.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { WORKFLOW_TYPES, enginePodWorkflowId, recoveryWorkflowId } from '../../src/contract/names';
import type { RecoveryReport } from '../../src/recovery/plan';
import { deletesOf } from '../helpers/audit';
import { eventually, kubeApi, startWorker, temporalClient, type TestWorker } from '../helpers/env';
import {
  createNamespace,
  createOrphans,
  endWorkflows,
  executionsOf,
  podsByName,
  removeNamespace,
  untilPhase,
  untilTerminatedFor,
} from '../helpers/recovery';

const RETAIN_MS = 5_000;
/** Long enough for a duplicate DELETE (a second recovery run, a retried activity) to show up. */
const SETTLE_MS = 2_000;
const INSTANCE = `once-${randomBytes(3).toString('hex')}`;

let core: CoreV1Api;
let temporal: Client;
let ns: string;
let scheduled: string;
let workers: TestWorker[] = [];

beforeAll(async () => {
  core = kubeApi();
  temporal = await temporalClient();
  ns = await createNamespace(core, 'rec');
  scheduled = await createNamespace(core, 'rec');
});

afterAll(async () => {
  for (const namespace of [ns, scheduled]) if (namespace && temporal) await endWorkflows(temporal, namespace);
  await Promise.all(workers.map((w) => w.stop()));
  for (const namespace of [ns, scheduled]) if (namespace) await removeNamespace(core, namespace);
  await temporal?.connection.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until every named pod has at least one DELETE, lets duplicates arrive, returns the counts. */
async function settledDeletes(names: string[], namespace = ns): Promise<Map<string, number>> {
  await eventually(async () => {
    const counts = await deletesOf(namespace);
    return names.every((n) => (counts.get(n) ?? 0) > 0) ? true : undefined;
  }, `a DELETE of each of ${names.length} pods in the audit log`);
  await sleep(SETTLE_MS);
  return deletesOf(namespace);
}

test('two workers starting at once: one recovery run, exactly one DELETE per orphan pod', async () => {
  const old = await createOrphans(core, ns, [
    { name: 'old-finished-ours', instance: INSTANCE, annotations: { exitAfter: '0s' } },
    { name: 'old-finished-spark', annotations: { exitAfter: '0s' } },
    { name: 'old-failed-ours', instance: INSTANCE, annotations: { exitAfter: '1s', exitCode: '1' } },
    { name: 'old-failed-spark', annotations: { exitAfter: '0s', exitCode: '1' } },
  ]);
  const running = await createOrphans(core, ns, [
    { name: 'running-ours', instance: INSTANCE },
    { name: 'running-spark-a' },
    { name: 'running-spark-b' },
  ]);
  await untilPhase(core, ns, running.map((p) => p.name), ['Running']);
  await untilTerminatedFor(core, ns, old.map((p) => p.name), RETAIN_MS);
  expect(await deletesOf(ns)).toEqual(new Map());

  // Same queue, instance and namespace: two replicas of one installation.
  const env = {
    KPL_TASK_QUEUE: `test-${randomUUID()}`,
    KPL_RECOVERY_ON_START: 'true',
    KPL_NAMESPACES: ns,
    KPL_INSTANCE: INSTANCE,
    KPL_DEFAULT_RETAIN_PERIOD: `${RETAIN_MS / 1000}s`,
    // The Schedule's first round (at a multiple of the interval) stays out of this test.
    KPL_RECOVERY_INTERVAL: '24h',
    // Stopping at the end cancels the watches of engines the cleanup ended, without waiting 30 s.
    KPL_SHUTDOWN_GRACE: '2s',
  };
  workers = await Promise.all([startWorker(env), startWorker(env)]);

  const recovery = temporal.workflow.getHandle(recoveryWorkflowId(ns));
  const report = await eventually(async () => {
    try {
      return (await recovery.result()) as RecoveryReport;
    } catch {
      return undefined; // not started yet
    }
  }, 'the recovery report');
  expect(report).toMatchObject({ namespace: ns, dryRun: false, scanned: 7, owned: 0, deleted: 4, adopted: 3, skipped: 0, errors: 0, pages: 1 });
  const decisions = new Map(report.decisions.map((d) => [d.pod, d.decision]));
  for (const pod of old) expect([pod.name, decisions.get(pod.name)]).toEqual([pod.name, 'delete']);
  for (const pod of running) expect([pod.name, decisions.get(pod.name)]).toEqual([pod.name, 'adopt']);

  // The old terminated orphans are gone, each after exactly one DELETE; no running one was deleted.
  await eventually(async () => {
    const pods = await podsByName(core, ns);
    return old.every((p) => !pods.has(p.name)) ? true : undefined;
  }, 'old terminated orphans gone');
  const afterRecovery = await settledDeletes(old.map((p) => p.name));
  expect(Object.fromEntries(afterRecovery)).toEqual(Object.fromEntries(old.map((p) => [p.name, 1])));

  // Recovery ran once: one execution under its id (both workers' starts went to the same run).
  const runs = await executionsOf(temporal, recoveryWorkflowId(ns));
  expect(runs.map((r) => [r.type, r.status.name])).toEqual([[WORKFLOW_TYPES.podRecovery, 'COMPLETED']]);

  // Each running orphan is adopted by one engine in track mode, following its pod.
  const engines = await workers[0]!.engines();
  try {
    for (const pod of running) {
      const executions = await executionsOf(temporal, enginePodWorkflowId(ns, pod.tag));
      expect(executions.map((e) => [e.type, e.status.name])).toEqual([[WORKFLOW_TYPES.enginePod, 'RUNNING']]);
      const snapshot = await engines.getEngine({ tag: pod.tag, namespace: ns });
      expect(snapshot).toMatchObject({ state: 'RUNNING', mode: 'track', podName: pod.name, podUid: pod.uid, podDeleted: false });
    }
    const pods = await podsByName(core, ns);
    for (const pod of running) expect(pods.get(pod.name)?.metadata?.uid).toBe(pod.uid);

    // Killed through the client, each adopted pod receives exactly one DELETE too.
    const killed = await Promise.all(running.map((pod) => engines.killEngine({ tag: pod.tag, namespace: ns }, 'adopted, then killed')));
    expect(killed.map((s) => s.podDeleted)).toEqual(running.map(() => true));
    const all = await settledDeletes([...old, ...running].map((p) => p.name));
    expect(Object.fromEntries(all)).toEqual(Object.fromEntries([...old, ...running].map((p) => [p.name, 1])));
    await eventually(async () => ((await podsByName(core, ns)).size === 0 ? true : undefined), 'no pod left in the namespace');
  } finally {
    await engines.temporal.connection.close();
  }
});

test('the recovery Schedule firing while a recovery runs acts through the one recovery id: one DELETE per orphan', async () => {
  // Enough pages that the Schedule fires (every second) while the worker's recovery still runs.
  const orphans = await createOrphans(core, scheduled, Array.from({ length: 40 }, (_, i) => ({ name: `old-${i}`, annotations: { exitAfter: '0s' } })));
  const names = orphans.map((p) => p.name);
  await untilTerminatedFor(core, scheduled, names, 1_000);
  const worker = await startWorker({
    KPL_RECOVERY_ON_START: 'true',
    KPL_NAMESPACES: scheduled,
    KPL_DEFAULT_RETAIN_PERIOD: '1s',
    KPL_RECOVERY_INTERVAL: '1s',
    KPL_RECOVERY_PAGE_SIZE: '4',
    KPL_SHUTDOWN_GRACE: '2s',
  });
  workers.push(worker);

  await eventually(async () => ((await podsByName(core, scheduled)).size === 0 ? true : undefined), 'every orphan deleted');
  // A few more rounds of the Schedule.
  await sleep(2_000);
  const counts = await settledDeletes(names, scheduled);
  expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(names.map((n) => [n, 1])));

  // The Schedule did fire; its runs (`<id>-<time>`) ran recovery under the one id or left it to the run there.
  const fromSchedule = [];
  for await (const e of temporal.workflow.list({ query: `WorkflowId STARTS_WITH '${recoveryWorkflowId(scheduled)}-'` })) fromSchedule.push(e);
  expect(fromSchedule.length).toBeGreaterThan(0);
  const reports = await Promise.all(
    fromSchedule.filter((e) => e.status.name === 'COMPLETED').map((e) => temporal.workflow.getHandle(e.workflowId, e.runId).result() as Promise<RecoveryReport>),
  );
  // At least one fired while the worker's recovery ran (else this test no longer tests the overlap).
  expect(reports.filter((r) => r.alreadyRunning).length).toBeGreaterThan(0);
  for (const report of reports) {
    if (report.alreadyRunning) expect(report).toMatchObject({ alreadyRunning: recoveryWorkflowId(scheduled), scanned: 0, deleted: 0 });
  }
});
