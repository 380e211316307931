/**
 * Recovery at scale: labelled pods created straight in the apiserver, most with a live
 * engine workflow and some orphans in every state; a worker starts, recovers the
 * namespace, and we time it until no orphan is left, count its list requests and check
 * it deleted no pod that had an engine.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { searchAttributeKeys } from '../src/contract/messages';
import { ENGINE_TAG_LABEL, WORKFLOW_TYPES, enginePodWorkflowId, recoveryScheduleId, recoveryWorkflowId } from '../src/contract/names';
import type { RecoveryReport } from '../src/recovery/plan';
import { auditEventsOf, FAKE_KUBELET_USER_AGENT } from '../test/helpers/audit';
import { driverManifest, newTag } from '../test/helpers/env';
import {
  apiserverMetrics,
  createNamespace,
  inParallel,
  namespacedPodRequests,
  newName,
  removeNamespace,
  sleep,
  terminateAll,
  untilCount,
  type Cluster,
} from './lib/cluster';
import { engineQuery, startEngineWorker, workerKubeRequests, type BenchWorker } from './lib/engines';
import type { Outcome } from './lib/outcome';
import { diff } from './lib/prom';
import type { BenchSettings } from './lib/settings';
import { fmt } from './lib/stats';

type Kind = 'Running' | 'Succeeded' | 'Failed' | 'Pending';
const ORPHAN_KINDS: Kind[] = ['Running', 'Succeeded', 'Failed', 'Pending'];
const ANNOTATIONS: Record<Kind, Parameters<typeof driverManifest>[0]> = {
  Running: {},
  Succeeded: { exitAfter: '1s' },
  Failed: { exitAfter: '1s', exitCode: '1' },
  Pending: { stuckReason: 'ImagePullBackOff' },
};

interface BenchPod {
  name: string;
  tag: string;
  kind: Kind;
  orphan: boolean;
  uid?: string;
}

export async function recovery(cluster: Cluster, s: BenchSettings): Promise<Outcome> {
  const total = s.KPL_BENCH_RECOVERY_PODS;
  const orphanCount = Math.max(ORPHAN_KINDS.length, Math.round((total * s.KPL_BENCH_RECOVERY_ORPHAN_PERCENT) / 100));
  const pods: BenchPod[] = Array.from({ length: total }, (_, i) => {
    const orphan = i < orphanCount;
    return {
      name: `${orphan ? 'orphan' : 'live'}-${i}`,
      tag: newTag(),
      kind: orphan ? (ORPHAN_KINDS[i % ORPHAN_KINDS.length] as Kind) : 'Running',
      orphan,
    };
  });
  const namespace = await createNamespace(cluster.core, 'bench-recovery');
  const parkedQueue = newName('bench-parked');
  let worker: BenchWorker | undefined;
  try {
    const t = Date.now();
    await createPods(cluster, namespace, pods, s.KPL_BENCH_CLIENT_CONCURRENCY);
    await startLiveEngines(cluster, namespace, parkedQueue, pods.filter((p) => !p.orphan), s.KPL_BENCH_CLIENT_CONCURRENCY);
    await untilPhases(cluster, namespace, pods);
    process.stderr.write(`[bench] recovery: ${total} pods and ${total - orphanCount} live engines ready in ${fmt((Date.now() - t) / 1000)} s\n`);

    const before = namespacedPodRequests(await apiserverMetrics());
    const startedAt = new Date();
    worker = await startEngineWorker(cluster, namespace, { KPL_RECOVERY_ON_START: 'true', KPL_DEFAULT_RETAIN_PERIOD: '0s' });
    const report = await untilRecovered(cluster, namespace, startedAt.getTime(), 600_000);
    const seconds = (Date.parse(report.closedAt) - startedAt.getTime()) / 1000;
    const after = namespacedPodRequests(await apiserverMetrics());
    const workerCounts = await workerKubeRequests(worker);
    process.stderr.write(`[bench] recovery: done in ${fmt(seconds)} s; checking every pod\n`);

    const check = await checkPods(cluster, namespace, pods, startedAt);
    const lists = diff(after, before).LIST ?? 0;
    const met = check.orphansLeft === 0 && check.falseDeletes === 0 && check.livePodsMissing === 0 && seconds < 120;
    return {
      section: 'recovery',
      title: `Recovery: ${total} labelled pods, ${orphanCount} orphans`,
      goal: 'every orphan adopted or deleted within 120 s on 2 cores, no false delete',
      met,
      headline: `no orphan left after ${fmt(seconds)} s, ${check.falseDeletes} false deletes, ${lists} list requests`,
      figures: [
        ['pods / with a live engine / orphans', `${total} / ${total - orphanCount} / ${orphanCount} (${ORPHAN_KINDS.map((k) => `${pods.filter((p) => p.orphan && p.kind === k).length} ${k}`).join(', ')})`],
        ['worker start → recovery complete', `${fmt(seconds)} s (${report.runs} workflow runs)`],
        ['… of which the podRecovery workflow itself (first run start → last run close)', `${fmt((Date.parse(report.closedAt) - Date.parse(report.report.startedAt)) / 1000)} s`],
        ['report: scanned / owned / adopted / deleted / skipped / errors', `${report.report.scanned} / ${report.report.owned} / ${report.report.adopted} / ${report.report.deleted} / ${report.report.skipped} / ${report.report.errors}`],
        ['orphans left (pod present, no running engine)', String(check.orphansLeft)],
        ['orphans deleted / adopted (checked after)', `${check.orphansDeleted} / ${check.orphansAdopted}`],
        ['false deletes (DELETE of a pod with a live engine, audit log)', String(check.falseDeletes)],
        ['pods with a live engine missing afterwards', String(check.livePodsMissing)],
        ['pod LIST requests during recovery (apiserver)', `${lists} (page size 500)`],
        ['all pod requests during recovery (apiserver)', show(diff(after, before))],
        ["worker's own count (kpl_kubernetes_requests_total)", show(workerCounts)],
      ],
      method: [
        'Pods: the example Spark driver pod, labelled `kyuubi-unique-tag`, created directly in the apiserver (no instance label, as spark-submit creates them). Orphans cycle through Running (no annotation), Succeeded and Failed (`exit-after: 1s`, exit code 0 / 1) and Pending (`stuck-reason: ImagePullBackOff`); the harness waits until kwok has put every pod in its phase before the worker starts.',
        'Live engines: for each non-orphan pod an `enginePod` workflow in track mode naming that pod (name and uid), with the search attributes the client library sets, started on a task queue no worker polls. To recovery they are exactly what a running engine is (open in Temporal, found by visibility and describe), at the cost of a start call each; running 9,000 real watches would measure the engines, not recovery, and would not fit the 2 cores beside recovery.',
        'The worker starts with `KPL_RECOVERY_ON_START=true` and `KPL_DEFAULT_RETAIN_PERIOD=0s` (terminated orphans are past retention at once), otherwise defaults (page size 500). Time runs from spawning the worker process (so it includes its start-up and workflow bundling) to the close of the last `podRecovery` run.',
        'Afterwards every orphan is checked in the apiserver and in Temporal (deleted, or its engine workflow running), every live pod is checked present, and the audit log is searched for DELETEs (by anyone but kwok) of live pods.',
      ],
    };
  } finally {
    await cluster.temporal.schedule.getHandle(recoveryScheduleId(namespace)).delete().catch(() => undefined);
    await terminateAll(cluster.temporal, `WorkflowId STARTS_WITH '${recoveryWorkflowId(namespace)}'`, 'benchmark cleanup');
    await worker?.process.stop();
    await terminateAll(cluster.temporal, engineQuery(namespace), 'benchmark cleanup');
    await removeNamespace(cluster.core, namespace);
  }
}

const show = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([verb, n]) => verb !== 'WATCH_OPEN' && n !== 0)
    .map(([verb, n]) => `${verb} ${n}`)
    .join(', ') || 'none';

async function createPods(cluster: Cluster, namespace: string, pods: BenchPod[], concurrency: number): Promise<void> {
  const manifests = Object.fromEntries(ORPHAN_KINDS.map((k) => [k, driverManifest(ANNOTATIONS[k]) as V1Pod])) as Record<Kind, V1Pod>;
  await inParallel(pods, concurrency, async (pod) => {
    const manifest = manifests[pod.kind];
    const created = await cluster.core.createNamespacedPod({
      namespace,
      body: { ...manifest, metadata: { ...manifest.metadata, name: pod.name, labels: { ...manifest.metadata?.labels, [ENGINE_TAG_LABEL]: pod.tag } } },
    });
    pod.uid = created.metadata?.uid;
  });
}

async function startLiveEngines(cluster: Cluster, namespace: string, taskQueue: string, pods: BenchPod[], concurrency: number): Promise<void> {
  await inParallel(pods, concurrency, async (pod) => {
    await cluster.temporal.workflow.start(WORKFLOW_TYPES.enginePod, {
      taskQueue,
      workflowId: enginePodWorkflowId(namespace, pod.tag),
      args: [{ tag: pod.tag, namespace, mode: 'track', podName: pod.name, podUid: pod.uid }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: searchAttributeKeys.engineTag, value: pod.tag },
        { key: searchAttributeKeys.namespace, value: namespace },
        { key: searchAttributeKeys.engineState, value: 'RUNNING' },
        { key: searchAttributeKeys.podName, value: pod.name },
      ],
    });
  });
  await untilCount(cluster.temporal, engineQuery(namespace, `ExecutionStatus = 'Running'`), (n) => n >= pods.length, 'live engines in visibility', 300_000);
}

async function listAll(cluster: Cluster, namespace: string): Promise<V1Pod[]> {
  const items: V1Pod[] = [];
  let token: string | undefined;
  do {
    const page = await cluster.core.listNamespacedPod({ namespace, limit: 2000, _continue: token });
    items.push(...page.items);
    token = page.metadata?._continue || undefined;
  } while (token);
  return items;
}

/** Until kwok has put every pod in the phase its kind asks for. */
async function untilPhases(cluster: Cluster, namespace: string, pods: BenchPod[]): Promise<void> {
  const want = new Map(pods.map((p) => [p.name, p.kind]));
  const deadline = Date.now() + 600_000;
  for (;;) {
    const listed = await listAll(cluster, namespace);
    const ready = listed.filter((pod) => want.get(pod.metadata?.name ?? '') === pod.status?.phase && (pod.status?.phase !== 'Pending' || pod.status.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff')).length;
    if (ready === pods.length) return;
    if (Date.now() > deadline) throw new Error(`only ${ready} of ${pods.length} pods reached their phase within 600 s`);
    await sleep(2000);
  }
}

/** Waits until the namespace's recovery (following continue-as-new) has completed after `sinceMs`. */
async function untilRecovered(cluster: Cluster, namespace: string, sinceMs: number, timeoutMs: number) {
  const handle = cluster.temporal.workflow.getHandle(recoveryWorkflowId(namespace));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await handle.describe().catch(() => undefined);
    if (d && d.status.name === 'COMPLETED' && d.startTime.getTime() >= sinceMs - 1000 && d.closeTime) {
      const report = (await handle.result()) as RecoveryReport;
      let runs = 0;
      for await (const _ of cluster.temporal.workflow.list({ query: `WorkflowId = '${recoveryWorkflowId(namespace)}'` })) runs++;
      return { report, closedAt: d.closeTime.toISOString(), runs };
    }
    if (d && d.status.name !== 'RUNNING' && d.status.name !== 'COMPLETED') throw new Error(`recovery ended ${d.status.name}`);
    if (Date.now() > deadline) throw new Error(`recovery of ${namespace} not complete after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

async function checkPods(cluster: Cluster, namespace: string, pods: BenchPod[], since: Date) {
  const present = new Set((await listAll(cluster, namespace)).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name));
  let orphansLeft = 0;
  let orphansDeleted = 0;
  let orphansAdopted = 0;
  await inParallel(pods.filter((p) => p.orphan), 16, async (pod) => {
    if (!present.has(pod.name)) {
      orphansDeleted++;
      return;
    }
    const status = await cluster.temporal.workflow.getHandle(enginePodWorkflowId(namespace, pod.tag)).describe().then((d) => d.status.name, () => 'NONE');
    if (status === 'RUNNING') orphansAdopted++;
    else orphansLeft++;
  });
  const live = new Set(pods.filter((p) => !p.orphan).map((p) => p.name));
  const deletes = (await auditEventsOf(namespace)).filter(
    (e) => e.verb === 'delete' && !FAKE_KUBELET_USER_AGENT.test(e.userAgent ?? '') && Date.parse(e.requestReceivedTimestamp ?? '') >= since.getTime(),
  );
  const falseDeletes = deletes.filter((e) => live.has(e.objectRef?.name ?? '')).length;
  const livePodsMissing = [...live].filter((name) => !present.has(name)).length;
  return { orphansLeft, orphansDeleted, orphansAdopted, falseDeletes, livePodsMissing };
}
