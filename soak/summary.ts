/**
 * The soak's verdict and its numbers, as plain data and text. Pure: the run collects the
 * facts, this file counts and formats them.
 */
import { LIFECYCLE_KINDS, type LifecycleKind } from './plan';

export interface EngineFacts {
  kind: LifecycleKind;
  workflowId: string;
  /** Final state, or the workflow's status when it did not complete. */
  ended: string;
  /** Workflow close time minus when it was due to close (undefined: not closed or unknown). */
  closeLagMs?: number;
  /** Workflow close time minus the launch. */
  lifeMs?: number;
  problems: string[];
}

export interface ChaosFacts {
  workerSpawns: number;
  workerKills: number;
  workerReadyMs: number[];
  workerOwnExits: string[];
  workersNotReadyInTime: number;
  temporal?: { downMs: number; answeringAfterMs: number };
  apiserver?: { downMs: number; answeringAfterMs: number };
  launchRetries: number;
  killRetries: number;
  killErrors: Record<string, number>;
}

export interface HistoryFacts {
  workflows: number;
  events: number;
  taskFailures: string[];
  /** UnhandledCommand: the server's redo request, not a workflow fault (test/helpers/crash.ts). */
  unhandledCommandRedos: number;
  taskTimeouts: number;
  activityTimeouts: number;
  continuedAsNew: number;
}

export interface SoakFacts {
  seed: number;
  engines: EngineFacts[];
  chaos: ChaosFacts;
  history: HistoryFacts;
  podsLeft: string[];
  stillRunning: string[];
  phasesMs: Record<string, number>;
}

export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Every violation, one line each: the soak fails when there is any. */
export function violations(facts: SoakFacts): string[] {
  const lines: string[] = [];
  for (const engine of facts.engines) {
    for (const problem of engine.problems) lines.push(`${engine.workflowId} (${engine.kind}): ${problem}`);
  }
  for (const pod of facts.podsLeft) lines.push(`pod left behind: ${pod}`);
  for (const workflow of facts.stillRunning) lines.push(`workflow still running: ${workflow}`);
  for (const failure of facts.history.taskFailures) lines.push(`workflow task failed: ${failure}`);
  for (const exit of facts.chaos.workerOwnExits) lines.push(`worker exited on its own: ${exit}`);
  return lines;
}

const s = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function formatSummary(facts: SoakFacts): string {
  const out: string[] = [];
  const kinds = new Map<LifecycleKind, Map<string, number>>(LIFECYCLE_KINDS.map((k) => [k, new Map()]));
  for (const engine of facts.engines) {
    const ended = kinds.get(engine.kind) as Map<string, number>;
    ended.set(engine.ended, (ended.get(engine.ended) ?? 0) + 1);
  }
  out.push(`soak summary (seed ${facts.seed})`);
  out.push(`  lifecycles: ${facts.engines.length}, ended as expected: ${facts.engines.filter((e) => e.problems.length === 0).length}`);
  for (const [kind, ended] of kinds) {
    const total = [...ended.values()].reduce((a, b) => a + b, 0);
    out.push(`    ${kind.padEnd(15)}${String(total).padStart(4)}  ${[...ended].map(([state, n]) => `${state} ${n}`).join(', ')}`);
  }
  const lags = facts.engines.map((e) => e.closeLagMs).filter((v): v is number => v !== undefined);
  const worst = facts.engines.reduce<EngineFacts | undefined>((w, e) => ((e.closeLagMs ?? -Infinity) > (w?.closeLagMs ?? -Infinity) ? e : w), undefined);
  out.push(`  time to close after due: p50 ${s(percentile(lags, 50))}, p95 ${s(percentile(lags, 95))}, max ${s(percentile(lags, 100))}` +
    (worst ? ` (${worst.workflowId})` : ''));
  const lives = facts.engines.map((e) => e.lifeMs).filter((v): v is number => v !== undefined);
  out.push(`  launch to close: p50 ${s(percentile(lives, 50))}, max ${s(percentile(lives, 100))}`);
  const c = facts.chaos;
  out.push(`  worker: ${c.workerKills} SIGKILLs, ${c.workerSpawns} starts, ready after p50 ${s(percentile(c.workerReadyMs, 50))} ` +
    `max ${s(percentile(c.workerReadyMs, 100))}, ${c.workersNotReadyInTime} not ready in time, ${c.workerOwnExits.length} exited on their own`);
  if (c.temporal) out.push(`  temporal: SIGKILLed, down ${s(c.temporal.downMs)}, answering ${s(c.temporal.answeringAfterMs)} after the restart began`);
  if (c.apiserver) out.push(`  kube-apiserver: SIGKILLed, down ${s(c.apiserver.downMs)}, answering ${s(c.apiserver.answeringAfterMs)} after the restart began`);
  out.push(`  client retries: ${c.launchRetries} launch, ${c.killRetries} kill` +
    (Object.keys(c.killErrors).length ? ` (kill errors: ${Object.entries(c.killErrors).map(([k, n]) => `${k} ×${n}`).join(', ')})` : ''));
  const h = facts.history;
  out.push(`  histories: ${h.workflows} runs, ${h.events} events; workflow task failures ${h.taskFailures.length}` +
    ` (+${h.unhandledCommandRedos} UnhandledCommand redos), task timeouts ${h.taskTimeouts}, activity timeouts ${h.activityTimeouts}, continued-as-new ${h.continuedAsNew}`);
  out.push(`  pods left: ${facts.podsLeft.length}; workflows still running: ${facts.stillRunning.length}`);
  out.push(`  durations: ${Object.entries(facts.phasesMs).map(([phase, ms]) => `${phase} ${s(ms)}`).join(', ')}`);
  const bad = violations(facts);
  out.push(bad.length === 0 ? 'PASS: no violations' : `FAIL: ${bad.length} violation(s)`);
  for (const line of bad.slice(0, 50)) out.push(`  - ${line}`);
  if (bad.length > 50) out.push(`  ... and ${bad.length - 50} more`);
  return out.join('\n');
}
