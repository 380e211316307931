/**
 * The soak's lifecycles and what each must end as. Pure: a seeded generator picks kinds,
 * timings and annotations, and `checkOutcome` judges a closed engine against the
 * expectation its pod's annotations and policy imply.
 */
import { KILL_REASONS, type EngineOutcome } from '../src/contract/messages';
import { LOCAL_STACK_ANNOTATIONS, type EngineState } from '../src/contract/names';
import type { PolicyInput } from '../src/contract/schemas';

export const LIFECYCLE_KINDS = ['succeed', 'fail', 'pendingTimeout', 'kill', 'maxLifetime', 'retain'] as const;
export type LifecycleKind = (typeof LIFECYCLE_KINDS)[number];

/** The kill update's reason; the outcome must carry it. */
export const SOAK_KILL_REASON = 'soak kill';
/** The workflow's delete reason once retention ends (workflows/engine-pod.ts). */
export const RETENTION_ENDED = 'RetentionEnded';

export type Annotations = Partial<Record<keyof typeof LOCAL_STACK_ANNOTATIONS, string>>;

export interface Expectation {
  state: EngineState;
  exitCode?: number;
  /** The outcome's `reason` (kill and timeout reasons of our making). */
  reason?: string;
  /** Why the pod was deleted, when the engine got as far as creating one. */
  deleteReason: string;
  /** Only a kill can end an engine before its pod exists. */
  podMayBeMissing: boolean;
  /** The pod must have been kept at least this long after it terminated. */
  retainMs: number;
}

export interface Lifecycle {
  index: number;
  kind: LifecycleKind;
  namespace: string;
  tag: string;
  /** Offset from the start of the launch window. */
  launchAtMs: number;
  annotations: Annotations;
  policy: PolicyInput;
  /** For `kill`: how long after the launch the kill update is sent. */
  killAfterMs?: number;
  expect: Expectation;
}

export interface PlanOptions {
  lifecycles: number;
  launchWindowMs: number;
  namespaces: string[];
  /** Unique per run, so tags never repeat across runs on a kept stack. */
  runId: string;
  seed: number;
}

/** mulberry32: small, seedable, good enough to spread timings. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const between = (random: Random, min: number, max: number) => Math.round(min + random() * (max - min));
const ms = (value: number) => `${value}ms`;

/** One lifecycle of `kind`: annotations, policy and the outcome they imply. */
export function lifecycleOf(kind: LifecycleKind, random: Random): Pick<Lifecycle, 'annotations' | 'policy' | 'killAfterMs' | 'expect'> {
  const base = { podMayBeMissing: false, retainMs: 0 };
  switch (kind) {
    case 'succeed':
      return {
        annotations: { exitAfter: ms(between(random, 1_000, 20_000)) },
        policy: { retainPeriod: '0s' },
        expect: { ...base, state: 'FINISHED', exitCode: 0, deleteReason: RETENTION_ENDED },
      };
    case 'fail': {
      const exitCode = between(random, 1, 255);
      return {
        annotations: { exitAfter: ms(between(random, 1_000, 20_000)), exitCode: String(exitCode) },
        policy: { retainPeriod: '0s' },
        expect: { ...base, state: 'FAILED', exitCode, deleteReason: RETENTION_ENDED },
      };
    }
    case 'pendingTimeout':
      return {
        annotations: { stuckReason: random() < 0.5 ? 'ImagePullBackOff' : 'ErrImagePull' },
        policy: { retainPeriod: '0s', pendingTimeout: ms(between(random, 3_000, 15_000)) },
        expect: { ...base, state: 'FAILED', deleteReason: KILL_REASONS.pendingTimeout },
      };
    case 'kill':
      return {
        annotations: {},
        policy: { retainPeriod: ms(between(random, 0, 5_000)) },
        killAfterMs: between(random, 1_000, 20_000),
        expect: { ...base, state: 'KILLED', reason: SOAK_KILL_REASON, deleteReason: SOAK_KILL_REASON, podMayBeMissing: true },
      };
    case 'maxLifetime':
      return {
        annotations: {},
        policy: { retainPeriod: '0s', maxLifetime: ms(between(random, 3_000, 20_000)) },
        expect: { ...base, state: 'KILLED', reason: KILL_REASONS.maxLifetime, deleteReason: KILL_REASONS.maxLifetime },
      };
    case 'retain': {
      const failed = random() < 0.5;
      const retainMs = between(random, 2_000, 15_000);
      return {
        annotations: { exitAfter: ms(between(random, 1_000, 10_000)), ...(failed ? { exitCode: '1' } : {}) },
        policy: { retainPeriod: ms(retainMs) },
        expect: { ...base, state: failed ? 'FAILED' : 'FINISHED', exitCode: failed ? 1 : 0, deleteReason: RETENTION_ENDED, retainMs },
      };
    }
  }
}

/**
 * `lifecycles` engines, kinds in equal shares (shuffled), launched evenly over the window
 * with jitter, spread over the namespaces round-robin.
 */
export function planLifecycles(o: PlanOptions): Lifecycle[] {
  if (o.namespaces.length === 0) throw new Error('planLifecycles: no namespaces to launch engines in');
  const random = rng(o.seed);
  const kinds = Array.from({ length: o.lifecycles }, (_, i) => LIFECYCLE_KINDS[i % LIFECYCLE_KINDS.length] as LifecycleKind);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as LifecycleKind, kinds[i] as LifecycleKind];
  }
  const slot = o.launchWindowMs / Math.max(1, o.lifecycles);
  return kinds.map((kind, index) => ({
    index,
    kind,
    namespace: o.namespaces[index % o.namespaces.length] as string,
    tag: `soak-${o.runId}-${index}`,
    launchAtMs: Math.round(index * slot + random() * slot),
    ...lifecycleOf(kind, random),
  }));
}

/** What is wrong with a closed engine, one line each; empty when it ended as expected. */
export function checkOutcome(expect: Expectation, outcome: EngineOutcome): string[] {
  const problems: string[] = [];
  const differ = (what: string, got: unknown, want: unknown) => {
    if (got !== want) problems.push(`${what} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };
  differ('state', outcome.state, expect.state);
  if (expect.exitCode !== undefined) differ('exitCode', outcome.exitCode, expect.exitCode);
  if (expect.reason !== undefined) differ('reason', outcome.reason, expect.reason);
  if (outcome.podUid === undefined) {
    if (!expect.podMayBeMissing) problems.push('no pod was ever created');
  } else {
    differ('podDeleted', outcome.podDeleted, true);
    differ('deleteReason', outcome.deleteReason, expect.deleteReason);
  }
  if (expect.retainMs > 0) {
    const keptMs = Date.parse(outcome.closedAt) - Date.parse(outcome.terminatedAt ?? '');
    if (!(keptMs >= expect.retainMs)) {
      problems.push(`closed ${keptMs} ms after the pod terminated, before the ${expect.retainMs} ms retain period ended`);
    }
  }
  return problems;
}

/**
 * When the engine was due to close, had nothing been down: its pod's end (or the kill,
 * or the timeout) plus retention. Undefined when the outcome lacks the times to say.
 */
export function closeDueMs(life: Pick<Lifecycle, 'kind' | 'policy'>, outcome: EngineOutcome, killSentMs?: number): number | undefined {
  const parse = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
  const retainMs = life.kind === 'retain' || life.kind === 'succeed' || life.kind === 'fail' ? (outcome.policy?.retainPeriodMs ?? 0) : 0;
  switch (life.kind) {
    case 'succeed':
    case 'fail':
    case 'retain': {
      const ended = parse(outcome.terminatedAt);
      return ended === undefined ? undefined : ended + retainMs;
    }
    case 'pendingTimeout': {
      const created = parse(outcome.podCreatedAt);
      const timeout = outcome.policy?.pendingTimeoutMs;
      return created === undefined || timeout === undefined ? undefined : created + timeout;
    }
    case 'maxLifetime': {
      const lifetime = outcome.policy?.maxLifetimeMs;
      return lifetime === undefined ? undefined : Date.parse(outcome.startedAt) + lifetime;
    }
    case 'kill':
      return killSentMs;
  }
}
