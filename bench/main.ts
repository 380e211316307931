/**
 * Runs the named benchmarks (all by default) one after another on the benchmark stack,
 * prints each one's figures and goal, and writes its section of bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { cleanupPaced, lifecycle } from './lifecycle';
import { memory } from './memory';
import { recovery } from './recovery';
import { watchCost } from './watch-cost';
import { stackDown } from '../src/stack';
import { openCluster, type Cluster } from './lib/cluster';
import { formatConsole, formatSection, type Outcome } from './lib/outcome';
import { machineFacts, writeSection, RESULTS_FILE } from './lib/results';
import { benchSettings, type BenchSettings } from './lib/settings';

interface Benchmark {
  run(cluster: Cluster, settings: BenchSettings): Promise<Outcome | Outcome[]>;
  /** The settings that shape this benchmark, recorded beside its figures. */
  settings: (keyof BenchSettings)[];
}

const BENCHMARKS: Record<string, Benchmark> = {
  watch: { run: watchCost, settings: ['KPL_BENCH_WATCH_ENGINES', 'KPL_BENCH_WATCH_SECONDS', 'KPL_BENCH_POLL_SECONDS'] },
  lifecycle: { run: lifecycle, settings: ['KPL_BENCH_LIFECYCLE_ENGINES', 'KPL_BENCH_CLIENT_CONCURRENCY'] },
  cleanup: { run: cleanupPaced, settings: ['KPL_BENCH_CLEANUP_ENGINES', 'KPL_BENCH_CLEANUP_PACE_MS'] },
  recovery: { run: recovery, settings: ['KPL_BENCH_RECOVERY_PODS', 'KPL_BENCH_RECOVERY_ORPHAN_PERCENT', 'KPL_BENCH_CLIENT_CONCURRENCY'] },
  memory: { run: memory, settings: ['KPL_BENCH_MEMORY_ENGINES', 'KPL_BENCH_CLIENT_CONCURRENCY'] },
};

const ROOT = path.join(__dirname, '..');

/** The worker runs from dist/: rebuild it when a source file is newer. */
function ensureBuilt(): void {
  const built = path.join(ROOT, 'dist', 'src', 'cli.js');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'go' ? latest : Math.max(latest, newest(full));
      return entry.name.endsWith('.ts') ? Math.max(latest, statSync(full).mtimeMs) : latest;
    }, 0);
  const sources = Math.max(...['src', 'workflows', 'activities'].map((d) => newest(path.join(ROOT, d))));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  process.stderr.write('[bench] dist/ is older than the sources: building\n');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
}

export async function main(args: string[]): Promise<number> {
  const names = args.length ? args : Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(BENCHMARKS).join(', ')}\n`);
    return 2;
  }
  const settings = benchSettings();
  ensureBuilt();
  const cluster = await openCluster();
  process.stderr.write(`[bench] stack ${cluster.stack.stateDir} (Temporal ${cluster.stack.temporalAddress})\n`);
  try {
    for (const name of names) {
      const bench = BENCHMARKS[name] as Benchmark;
      const facts = machineFacts();
      process.stderr.write(`[bench] ${name}: load average ${facts.loadavg.map((l) => l.toFixed(2)).join(' ')}\n`);
      const outcomes = [await bench.run(cluster, settings)].flat();
      const used = bench.settings.map((key) => `${key}=${settings[key]}`).join(', ');
      for (const outcome of outcomes) {
        process.stdout.write(`${formatConsole(outcome)}\n`);
        writeSection(outcome.section, formatSection(outcome, facts, used));
      }
      process.stderr.write(`[bench] ${name}: written to ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
    }
  } finally {
    await cluster.close();
    // A stack this run started goes down again (its data stays for the next run to reuse).
    if (cluster.stack.startedNow.length > 0 && process.env.KPL_BENCH_KEEP_STACK !== '1') {
      await stackDown({ stateDir: cluster.stack.stateDir });
    }
  }
  return 0;
}
