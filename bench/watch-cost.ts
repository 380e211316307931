/**
 * Watch cost: Kubernetes API requests per engine-hour while engines run, beside Kyuubi's
 * way of following a batch (a GET of each pod every 5 s), measured in the same process by
 * the apiserver's own request counters.
 */
import { ENGINE_TAG_LABEL } from '../src/contract/names';
import {
  apiserverMetrics,
  createNamespace,
  inParallel,
  namespacedPodRequests,
  READ_VERBS,
  removeNamespace,
  sleep,
  terminateAll,
  untilCount,
  type Cluster,
} from './lib/cluster';
import { engineQuery, launchEngines, startEngineWorker, workerKubeRequests } from './lib/engines';
import type { Outcome } from './lib/outcome';
import { diff, total } from './lib/prom';
import type { BenchSettings } from './lib/settings';
import { fmt, perEngineHour } from './lib/stats';

const reads = (counts: Record<string, number>) => total(counts, [...READ_VERBS, 'WATCH_OPEN']);
const show = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([verb]) => (READ_VERBS as readonly string[]).includes(verb))
    .map(([verb, n]) => `${verb} ${n}`)
    .join(', ') || 'none';

export async function watchCost(cluster: Cluster, s: BenchSettings): Promise<Outcome> {
  const engines = s.KPL_BENCH_WATCH_ENGINES;
  const windowS = s.KPL_BENCH_WATCH_SECONDS;
  const namespace = await createNamespace(cluster.core, 'bench-watch');
  const worker = await startEngineWorker(cluster, namespace);
  try {
    const beforeAll = namespacedPodRequests(await apiserverMetrics());
    const t0 = Date.now();
    await launchEngines(worker.engines, { count: engines, namespace, concurrency: s.KPL_BENCH_CLIENT_CONCURRENCY });
    await untilCount(
      cluster.temporal,
      engineQuery(namespace, `EngineState = 'RUNNING'`, `ExecutionStatus = 'Running'`),
      (n) => n >= engines,
      `${engines} engines RUNNING`,
      Math.max(180_000, engines * 600),
    );
    const startupS = (Date.now() - t0) / 1000;
    process.stderr.write(`[bench] watch: ${engines} engines RUNNING after ${startupS.toFixed(1)} s; measuring ${windowS} s\n`);

    // Our window: the worker follows the running engines; nothing else reads pods in a namespace.
    const ourStart = namespacedPodRequests(await apiserverMetrics());
    const workerStart = await workerKubeRequests(worker);
    await sleep(windowS * 1000);
    const ourEnd = namespacedPodRequests(await apiserverMetrics());
    const workerEnd = await workerKubeRequests(worker);
    const stillRunning = await cluster.temporal.workflow.count(engineQuery(namespace, `EngineState = 'RUNNING'`, `ExecutionStatus = 'Running'`));

    // Baseline window: the same pods, each read every POLL seconds, as Kyuubi's batch check does.
    const pods = (await cluster.core.listNamespacedPod({ namespace, labelSelector: ENGINE_TAG_LABEL })).items.map((p) => p.metadata?.name ?? '');
    const baseStart = namespacedPodRequests(await apiserverMetrics());
    const polled = await pollEach(cluster, namespace, pods, s.KPL_BENCH_POLL_SECONDS * 1000, windowS * 1000);
    const baseEnd = namespacedPodRequests(await apiserverMetrics());

    const window = diff(ourEnd, ourStart);
    const windowReads = total(window, READ_VERBS);
    // Everything the worker read from its start to the end of its window (list, watch,
    // gets at start-up), charged to the window's engine-hours alone: an upper bound.
    const sinceStart = diff(ourEnd, beforeAll);
    const sinceStartReads = reads({ ...sinceStart, WATCH_OPEN: ourEnd.WATCH_OPEN ?? 0 });
    const ours = perEngineHour(sinceStartReads, engines, windowS);
    const baselineReads = total(diff(baseEnd, baseStart), ['GET']);
    const baseline = perEngineHour(baselineReads, pods.length, windowS);
    const ratio = baseline / ours;
    const met = ours < 1 && ratio >= 500 && stillRunning.count === engines;
    return {
      section: 'watch',
      title: `Watch cost: ${engines} running engines, ${windowS} s`,
      goal: 'under 1 Kubernetes request per engine-hour, at least 500x fewer than per-pod polling every 5 s',
      met,
      headline: `${fmt(ours)} requests per engine-hour vs ${fmt(baseline)} for polling: ${fmt(ratio)}x fewer`,
      figures: [
        ['engines running (launch to all RUNNING)', `${engines} (${fmt(startupS)} s)`],
        ['engines still RUNNING at the end of the window', String(stillRunning.count)],
        ['pod reads completed in the window (apiserver)', `${windowReads} (${show(window)})`],
        ['pod reads from worker start to window end (apiserver)', `${sinceStartReads} (${show(sinceStart)}, watches open ${ourEnd.WATCH_OPEN ?? 0})`],
        ["worker's own count of its requests in the window (kpl_kubernetes_requests_total)", show(diff(workerEnd, workerStart))],
        ['ours, requests per engine-hour (all reads since start ÷ window engine-hours)', fmt(ours)],
        [`baseline GETs in ${windowS} s (apiserver; harness counted ${polled.ok} ok, ${polled.failed} failed)`, String(baselineReads)],
        ['baseline, requests per engine-hour', fmt(baseline)],
        ['ratio baseline ÷ ours', `${fmt(ratio)}x`],
      ],
      method: [
        'Counts are the kube-apiserver\'s own `apiserver_request_total` (plus `apiserver_longrunning_requests` for watches still open) for namespaced pod reads (GET, LIST, WATCH); the scheduler and kwok read cluster-wide, so namespaced reads come only from the worker and this harness. Writes (creates, kwok\'s status updates) are left out: they are the lifecycle\'s, not the following\'s.',
        `"Ours" charges every read since the worker started (its informer's LIST and WATCH, any GET while engines started) to the ${windowS} s window alone, so it over-states the hourly cost; in steady state the only reads are the watch's reconnects (the apiserver ends a watch after 30–60 min).`,
        'The worker runs as `kyuubi-pods worker` in a child process with default settings (KPL_WATCH_WINDOW 1 h: no watchPod is re-issued within the window). Engines are the example Spark driver pod with no exit annotation, so kwok keeps them Running.',
        'Baseline: the harness GETs every engine pod once per 5 s (Kyuubi\'s batch status check interval), timers spread evenly, for the same length of time, in the same process and on the same apiserver, while the engines keep running.',
      ],
    };
  } finally {
    await terminateAll(cluster.temporal, engineQuery(namespace), 'benchmark cleanup');
    await worker.process.stop();
    await removeNamespace(cluster.core, namespace);
  }
}

/** GETs each pod every `periodMs` for `durationMs`, first reads spread over one period. */
async function pollEach(cluster: Cluster, namespace: string, pods: string[], periodMs: number, durationMs: number) {
  const counts = { ok: 0, failed: 0 };
  const end = Date.now() + durationMs;
  await inParallel(pods, pods.length, async (name, index) => {
    let next = Date.now() + (periodMs * index) / pods.length;
    while (next < end) {
      await sleep(Math.max(0, next - Date.now()));
      await cluster.core.readNamespacedPod({ namespace, name }).then(() => counts.ok++, () => counts.failed++);
      next += periodMs;
    }
  });
  return counts;
}
