/**
 * Benchmark sizes from the environment, so a developer runs them small and a recorded
 * run uses the issue's sizes (the defaults).
 */
import { z } from 'zod';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const schema = z.object({
  KPL_BENCH_WATCH_ENGINES: count(500),
  KPL_BENCH_WATCH_SECONDS: count(120),
  /** Kyuubi's batch status check interval, the per-pod polling baseline's period. */
  KPL_BENCH_POLL_SECONDS: count(5),
  KPL_BENCH_LIFECYCLE_ENGINES: count(300),
  KPL_BENCH_CLEANUP_ENGINES: count(100),
  /** Milliseconds between two launches of the paced cleanup-latency run. */
  KPL_BENCH_CLEANUP_PACE_MS: count(500),
  KPL_BENCH_RECOVERY_PODS: count(10_000),
  /** Share of recovery's pods that are orphans, in percent. */
  KPL_BENCH_RECOVERY_ORPHAN_PERCENT: z.coerce.number().min(1).max(100).default(10),
  KPL_BENCH_MEMORY_ENGINES: count(2000),
  /** Parallel client calls (workflow starts, pod creates) the harness makes. */
  KPL_BENCH_CLIENT_CONCURRENCY: count(32),
});

export type BenchSettings = z.infer<typeof schema>;

export function benchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const set = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('KPL_BENCH_') && value !== ''));
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid benchmark settings in the environment (unset a variable for its default):\n${lines.join('\n')}`);
  }
  return parsed.data;
}
