/**
 * Short engines end to end (create, run 1 s, retain 0, delete) through one worker:
 * lifecycles per second beside a trivial three-activity workflow on the same server,
 * Kubernetes writes and history events per lifecycle, and how soon a terminated pod is
 * deleted.
 */
import { enginePodWorkflowId } from '../src/contract/names';
import type { EngineOutcome } from '../src/contract/messages';
import { auditEventsOf, FAKE_KUBELET_USER_AGENT } from '../test/helpers/audit';
import { eventMs } from '../test/helpers/crash';
import type { HistoryEvent } from '../test/helpers/engine';
import { createNamespace, inParallel, newName, removeNamespace, sleep, terminateAll, type Cluster } from './lib/cluster';
import { startBaselineWorker } from './lib/baseline';
import { engineQuery, launchEngines, startEngineWorker } from './lib/engines';
import type { Outcome } from './lib/outcome';
import { PodTimeline } from './lib/pod-times';
import type { BenchSettings } from './lib/settings';
import { fmt, mean, percentile } from './lib/stats';

export async function lifecycle(cluster: Cluster, s: BenchSettings): Promise<Outcome[]> {
  const n = s.KPL_BENCH_LIFECYCLE_ENGINES;
  const baseline = await runBaseline(cluster, n, s.KPL_BENCH_CLIENT_CONCURRENCY);
  process.stderr.write(`[bench] lifecycle: baseline ${n} workflows in ${fmt(baseline.seconds)} s\n`);
  const ours = await runEngines(cluster, n, s.KPL_BENCH_CLIENT_CONCURRENCY);
  process.stderr.write(`[bench] lifecycle: ${n} engines in ${fmt(ours.seconds)} s\n`);
  return [
    throughput(n, baseline.seconds, ours),
    cost(n, ours),
    cleanup(ours, { section: 'cleanup-latency', how: 'Measured in the throughput run: every engine launched at once, so this is the latency under a burst; `npm run bench -- cleanup` measures it at a steady pace.' }),
  ];
}

async function runBaseline(cluster: Cluster, n: number, concurrency: number): Promise<{ seconds: number }> {
  const worker = await startBaselineWorker(cluster.temporal);
  try {
    const ids = Array.from({ length: n }, () => newName('bench-trivial'));
    const t0 = Date.now();
    const results: Promise<unknown>[] = [];
    await inParallel(ids, concurrency, async (workflowId) => {
      const handle = await cluster.temporal.workflow.start('trivialBaseline', { taskQueue: worker.taskQueue, workflowId });
      results.push(handle.result());
    });
    await Promise.all(results);
    return { seconds: (Date.now() - t0) / 1000 };
  } finally {
    await worker.stop();
  }
}

interface EngineRun {
  seconds: number;
  outcomes: EngineOutcome[];
  namespace: string;
  /** Per pod name: creates and deletes the apiserver audited (the fake kubelet's final delete left out). */
  writes: Map<string, { create: number; delete: number; deleteReceivedMs?: number }>;
  kubeletDeletes: number;
  historyLengths: number[];
  /** Per pod name: when the engine's last watchPod completed and its deletePod was scheduled and started. */
  steps: Map<string, DeleteSteps>;
  timeline: PodTimeline;
}

interface DeleteSteps {
  watchCompletedMs?: number;
  deleteScheduledMs?: number;
  deleteStartedMs?: number;
}

function deleteSteps(events: HistoryEvent[]): DeleteSteps {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deletePod');
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(scheduled?.eventId ?? '-'));
  const watches = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchPod').map((e) => String(e.eventId)),
  );
  const watchDone = events.filter((e) => watches.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '-'))).at(-1);
  return { watchCompletedMs: eventMs(watchDone), deleteScheduledMs: eventMs(scheduled), deleteStartedMs: eventMs(started) };
}

/**
 * Cleanup latency at a steady pace: engines launched one every `paceMs`, so each pod's
 * deletion is measured without a burst of others queued beside it.
 */
export async function cleanupPaced(cluster: Cluster, s: BenchSettings): Promise<Outcome> {
  const n = s.KPL_BENCH_CLEANUP_ENGINES;
  const ours = await runEngines(cluster, n, 1, s.KPL_BENCH_CLEANUP_PACE_MS);
  return cleanup(ours, {
    section: 'cleanup-latency-paced',
    how: `${n} engines launched one every ${s.KPL_BENCH_CLEANUP_PACE_MS} ms (a steady ${fmt(1000 / s.KPL_BENCH_CLEANUP_PACE_MS)} per second), each running 1 s: the latency of one engine at a time, not of a burst.`,
  });
}

async function runEngines(cluster: Cluster, n: number, concurrency: number, paceMs?: number): Promise<EngineRun> {
  const namespace = await createNamespace(cluster.core, 'bench-life');
  const worker = await startEngineWorker(cluster, namespace);
  const timeline = await PodTimeline.start(cluster.stack.kubeconfigPath, namespace);
  try {
    const t0 = Date.now();
    const results: Promise<EngineOutcome>[] = [];
    const launch = (count: number) =>
      launchEngines(worker.engines, { count, namespace, annotations: { exitAfter: '1s' }, policy: { retainPeriod: '0s' }, concurrency });
    const tags: string[] = [];
    if (paceMs === undefined) tags.push(...(await launch(n)));
    for (let i = 0; paceMs !== undefined && i < n; i++) {
      const next = t0 + (i + 1) * paceMs;
      tags.push(...(await launch(1)));
      await sleep(Math.max(0, next - Date.now()));
    }
    for (const tag of tags) results.push(cluster.temporal.workflow.getHandle(enginePodWorkflowId(namespace, tag)).result() as Promise<EngineOutcome>);
    const outcomes = await Promise.all(results);
    const seconds = (Date.now() - t0) / 1000;

    const { writes, kubeletDeletes } = await auditedWrites(namespace, n);
    const historyLengths: number[] = [];
    const steps = new Map<string, DeleteSteps>();
    await inParallel(tags, 16, async (tag, i) => {
      const events = (await cluster.temporal.workflow.getHandle(enginePodWorkflowId(namespace, tag)).fetchHistory()).events ?? [];
      historyLengths.push(events.length);
      const podName = outcomes[i]?.podName;
      if (podName) steps.set(podName, deleteSteps(events));
    });
    // The DELETED events of the last pods arrive a moment after their workflows close.
    await sleep(2000);
    return { seconds, outcomes, namespace, writes, kubeletDeletes, historyLengths, steps, timeline };
  } finally {
    timeline.stop();
    await terminateAll(cluster.temporal, engineQuery(namespace), 'benchmark cleanup');
    await worker.process.stop();
    await removeNamespace(cluster.core, namespace);
  }
}

/** Audit lines land a moment after the response: read until every pod's delete is there. */
async function auditedWrites(namespace: string, n: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const writes = new Map<string, { create: number; delete: number; deleteReceivedMs?: number }>();
    let kubeletDeletes = 0;
    for (const event of await auditEventsOf(namespace)) {
      const name = event.objectRef?.name;
      if (!name) continue;
      if (FAKE_KUBELET_USER_AGENT.test(event.userAgent ?? '')) {
        if (event.verb === 'delete') kubeletDeletes++;
        continue;
      }
      const entry = writes.get(name) ?? { create: 0, delete: 0 };
      if (event.verb === 'create') entry.create++;
      if (event.verb === 'delete') {
        entry.delete++;
        entry.deleteReceivedMs ??= Date.parse(event.requestReceivedTimestamp ?? '');
      }
      writes.set(name, entry);
    }
    const deleted = [...writes.values()].filter((w) => w.delete > 0).length;
    if (deleted >= n || Date.now() > deadline) return { writes, kubeletDeletes };
    await sleep(500);
  }
}

function throughput(n: number, baselineSeconds: number, ours: EngineRun): Outcome {
  const oursRate = n / ours.seconds;
  const baseRate = n / baselineSeconds;
  const ratio = oursRate / baseRate;
  const finished = ours.outcomes.filter((o) => o.state === 'FINISHED' && o.podDeleted).length;
  return {
    section: 'lifecycle-throughput',
    title: `Lifecycle throughput: ${n} short engines through one worker`,
    goal: 'at least 0.5 of the throughput of a trivial workflow with three no-op activities on the same server',
    met: ratio >= 0.5 && finished === n,
    headline: `${fmt(oursRate)} lifecycles/s vs ${fmt(baseRate)} workflows/s for the trivial baseline: ratio ${fmt(ratio)}`,
    figures: [
      ['engines FINISHED with their pod deleted', `${finished} of ${n}`],
      ['engines: first launch to last outcome', `${fmt(ours.seconds)} s`],
      ['engines: lifecycles per second', fmt(oursRate)],
      ['baseline: first start to last result', `${fmt(baselineSeconds)} s`],
      ['baseline: workflows per second', fmt(baseRate)],
      ['ratio ours ÷ baseline', fmt(ratio)],
    ],
    method: [
      'Engines: the example Spark driver pod with `kyuubi-pods.local/exit-after: 1s` (kwok runs it, then terminates it 1 s later with exit code 0), policy `retainPeriod: 0s`, launched through the client library, all at once (the harness starts 32 at a time) and awaited to their outcome. The worker is `kyuubi-pods worker` in a child process with default settings.',
      'Baseline: `bench/baseline/workflows.ts` (three no-op activities in a row), its own bundle and a default worker in a child process of its own, the same count started the same way on the same Temporal dev server, in the same run just before the engines.',
      'Each engine also waits for kwok to schedule, start and end its pod (about 1 s of its life is the pod running), so the ratio is a lower bound on the workflow machinery\'s share.',
    ],
  };
}

function cost(n: number, ours: EngineRun): Outcome {
  const writes = [...ours.writes.values()];
  const creates = writes.reduce((sum, w) => sum + w.create, 0);
  const deletes = writes.reduce((sum, w) => sum + w.delete, 0);
  const exact = writes.filter((w) => w.create === 1 && w.delete === 1).length;
  const perLifecycle = (creates + deletes) / n;
  const maxEvents = Math.max(...ours.historyLengths);
  return {
    section: 'lifecycle-cost',
    title: `Lifecycle cost: ${n} short engines`,
    goal: 'exactly 2 Kubernetes writes per lifecycle (create and delete); at most 40 history events per short lifecycle',
    met: exact === n && writes.length === n && maxEvents <= 40,
    headline: `${fmt(perLifecycle)} writes per lifecycle (${exact} of ${n} pods exactly one create and one delete); history events max ${maxEvents}, mean ${fmt(mean(ours.historyLengths))}`,
    figures: [
      ['pods written to', String(writes.length)],
      ['creates / deletes by the worker (audit log)', `${creates} / ${deletes}`],
      ['writes per lifecycle', fmt(perLifecycle)],
      ['pods with exactly one create and one delete', `${exact} of ${n}`],
      ["fake kubelet's final deletes (left out)", String(ours.kubeletDeletes)],
      ['history events per lifecycle: p50 / mean / max', `${percentile(ours.historyLengths, 50)} / ${fmt(mean(ours.historyLengths))} / ${maxEvents}`],
    ],
    method: [
      'Writes: the kube-apiserver\'s audit log (pod create and delete requests, every response code), counted per pod name. kwok, as the kubelet, force-deletes each pod once its deletionTimestamp is set; that request is the kubelet\'s half of every deletion and is left out (user agent `kwok/...`).',
      'History events: the full history of each engine workflow after it completed, from Temporal.',
      'Same run as the throughput benchmark.',
    ],
  };
}

function cleanup(ours: EngineRun, o: { section: string; how: string }): Outcome {
  const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${fmt(v)} ms`);
  const toDelete: number[] = [];
  const toGone: number[] = [];
  const byName = new Map([...ours.timeline.pods.values()].map((t) => [t.name, t]));
  for (const [name, write] of ours.writes) {
    const seen = byName.get(name);
    if (seen?.terminatedSeenMs === undefined) continue;
    if (write.deleteReceivedMs !== undefined) toDelete.push(write.deleteReceivedMs - seen.terminatedSeenMs);
    if (seen.deletedSeenMs !== undefined) toGone.push(seen.deletedSeenMs - seen.terminatedSeenMs);
  }
  // Where the time goes, from each engine's history (Temporal's clock, the same machine's).
  const seenToWatch: number[] = [];
  const watchToSchedule: number[] = [];
  const queueWait: number[] = [];
  const startToDelete: number[] = [];
  for (const [name, step] of ours.steps) {
    const seen = byName.get(name)?.terminatedSeenMs;
    const received = ours.writes.get(name)?.deleteReceivedMs;
    const { watchCompletedMs: w, deleteScheduledMs: d, deleteStartedMs: st } = step;
    if (seen !== undefined && w !== undefined) seenToWatch.push(w - seen);
    if (w !== undefined && d !== undefined) watchToSchedule.push(d - w);
    if (d !== undefined && st !== undefined) queueWait.push(st - d);
    if (st !== undefined && received !== undefined) startToDelete.push(received - st);
  }
  const both = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;
  const p50 = percentile(toDelete, 50);
  const p99 = percentile(toDelete, 99);
  return {
    section: o.section,
    title: `Cleanup latency: ${toDelete.length} pods, retain 0${o.section.endsWith('paced') ? ', steady pace' : ', all at once'}`,
    goal: 'p99 under 2 s from the pod terminating to its deletion',
    met: p99 !== undefined && p99 < 2000 && toDelete.length === ours.outcomes.length,
    headline: `terminated → DELETE: p50 ${ms(p50)}, p99 ${ms(p99)}`,
    figures: [
      ['pods measured', String(toDelete.length)],
      ['terminated seen → DELETE received by the apiserver: p50 / p99 / max', `${ms(p50)} / ${ms(p99)} / ${ms(toDelete.length ? Math.max(...toDelete) : undefined)}`],
      ['terminated seen → pod gone (DELETED event): p50 / p99', both(toGone)],
      ['… of which: terminated seen → watchPod completed (p50 / p99)', both(seenToWatch)],
      ['… watchPod completed → deletePod scheduled (workflow task)', both(watchToSchedule)],
      ['… deletePod scheduled → started (activity queue wait)', both(queueWait)],
      ['… deletePod started → DELETE received', both(startToDelete)],
    ],
    method: [
      'Start: the moment the harness\'s own watch of the namespace delivered the pod with phase Succeeded (kwok\'s status update); the container\'s `finishedAt` keeps whole seconds only, too coarse here. End: the apiserver\'s `requestReceivedTimestamp` of the worker\'s DELETE in the audit log. Same machine, same clock; the watch\'s delivery delay makes the start late by a few ms, so the figures are slightly low rather than high.',
      o.how,
      'The breakdown comes from each engine\'s history (Temporal\'s timestamps, same clock): the worker noticing the change (informer event → watchPod result recorded), a workflow task scheduling deletePod, the activity waiting in the task queue, and the DELETE itself.',
    ],
  };
}
