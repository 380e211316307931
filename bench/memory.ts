/**
 * Worker memory: the worker process's resident set before any engine and with N running
 * engines in its workflow cache, each with its watchPod in flight.
 */
import { createNamespace, removeNamespace, sleep, terminateAll, untilCount, type Cluster } from './lib/cluster';
import { engineQuery, launchEngines, memoryOf, startEngineWorker } from './lib/engines';
import type { Outcome } from './lib/outcome';
import type { BenchSettings } from './lib/settings';
import { fmt, MiB } from './lib/stats';

const SETTLE_MS = 10_000;

export async function memory(cluster: Cluster, s: BenchSettings): Promise<Outcome> {
  const n = s.KPL_BENCH_MEMORY_ENGINES;
  const namespace = await createNamespace(cluster.core, 'bench-memory');
  const worker = await startEngineWorker(cluster, namespace);
  try {
    await sleep(SETTLE_MS);
    const idle = memoryOf(worker.process.pid);
    const t0 = Date.now();
    // A first tenth warms the worker up (JIT, the first workflow contexts, the informer), so
    // the rest shows what one more engine costs.
    const first = Math.max(1, Math.floor(n / 10));
    let launched = 0;
    const running = async (count: number) => {
      launched += count;
      await launchEngines(worker.engines, { count, namespace, concurrency: s.KPL_BENCH_CLIENT_CONCURRENCY });
      await untilCount(
        cluster.temporal,
        engineQuery(namespace, `EngineState = 'RUNNING'`, `ExecutionStatus = 'Running'`),
        (c) => c >= launched,
        `${launched} engines RUNNING`,
        Math.max(300_000, count * 600),
      );
      await sleep(SETTLE_MS);
      return memoryOf(worker.process.pid);
    };
    const warm = await running(first);
    const loaded = n > first ? await running(n - first) : warm;
    const startupS = (Date.now() - t0) / 1000 - (n > first ? 2 : 1) * (SETTLE_MS / 1000);
    const perEngine = (loaded.rssBytes - idle.rssBytes) / n;
    const marginal = n > first ? (loaded.rssBytes - warm.rssBytes) / (n - first) : perEngine;
    const mib = (bytes: number) => `${fmt(bytes / MiB)} MiB`;
    return {
      section: 'memory',
      title: `Worker memory: ${n} running engines`,
      goal: 'under 1.5 MB of worker RSS per running engine',
      met: perEngine < 1.5e6,
      headline: `${fmt(perEngine / 1e6)} MB per engine (RSS ${mib(idle.rssBytes)} idle → ${mib(loaded.rssBytes)} with ${n} engines)`,
      figures: [
        ['engines RUNNING (launch to all RUNNING)', `${n} (${fmt(startupS)} s)`],
        ['worker RSS idle (started, polling, no engine)', mib(idle.rssBytes)],
        [`worker RSS with ${n} running engines`, mib(loaded.rssBytes)],
        ['worker peak RSS (VmHWM)', mib(loaded.hwmBytes)],
        [`worker RSS with the first ${first} engines running`, mib(warm.rssBytes)],
        ['RSS per engine (with ÷ idle, over all engines)', `${fmt(perEngine / 1e6)} MB (${fmt(perEngine / 1024)} KiB)`],
        [`RSS per engine beyond the first ${first} (marginal)`, `${fmt(marginal / 1e6)} MB (${fmt(marginal / 1024)} KiB)`],
      ],
      method: [
        '`kyuubi-pods worker` runs as a child process with default settings; RSS is VmRSS from /proc/<pid>/status, read 10 s after the worker polls (idle) and 10 s after visibility shows every engine RUNNING (each engine then has its workflow in the worker\'s cache and one watchPod activity waiting on the shared pod watch).',
        'Engines: the example Spark driver pod with no exit annotation (kwok keeps it Running). No garbage collection is forced: the figure is what an operator would see.',
      ],
    };
  } finally {
    await terminateAll(cluster.temporal, engineQuery(namespace), 'benchmark cleanup');
    await worker.process.stop();
    await removeNamespace(cluster.core, namespace);
  }
}
