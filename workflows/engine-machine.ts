/**
 * The state of one engine's life, as plain data with pure transitions. No Temporal APIs:
 * the workflow drives it and unit tests exercise it directly. Times are ISO strings
 * supplied by the caller (the workflow's deterministic clock).
 */
import type {
  CarriedEngine,
  EngineOutcome,
  EngineSnapshot,
  NormalizedEngineInput,
  PodObservation,
} from '../src/contract/messages';
import { isTerminalState, type EngineState } from '../src/contract/names';

export const MAX_TRANSITIONS = 20;

const addMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

export class EngineMachine {
  private constructor(
    public snapshot: EngineSnapshot,
    public input?: NormalizedEngineInput,
  ) {}

  /** Before the input is validated we know only what the raw input claims, for queries. */
  static starting(raw: unknown, at: string): EngineMachine {
    const claimed = (raw ?? {}) as { tag?: unknown; namespace?: unknown; mode?: unknown };
    return new EngineMachine({
      tag: typeof claimed.tag === 'string' ? claimed.tag : '',
      namespace: typeof claimed.namespace === 'string' ? claimed.namespace : '',
      mode: claimed.mode === 'track' ? 'track' : 'create',
      state: 'PENDING',
      startedAt: at,
      deadlines: {},
      transitions: [{ state: 'PENDING', at }],
      podDeleted: false,
    });
  }

  static resume(carried: CarriedEngine): EngineMachine {
    return new EngineMachine(carried.snapshot, carried.input);
  }

  carry(): CarriedEngine {
    if (!this.input) throw new Error('cannot carry an engine whose input was never validated');
    return { input: this.input, snapshot: this.snapshot };
  }

  begin(input: NormalizedEngineInput): void {
    this.input = input;
    const { policy } = input;
    this.snapshot = {
      ...this.snapshot,
      tag: input.tag,
      namespace: input.namespace,
      mode: input.mode,
      podName: input.podName,
      podUid: input.podUid,
      policy,
      deadlines: {
        ...(input.mode === 'track' ? { submitUntil: addMs(this.snapshot.startedAt, policy.submitTimeoutMs) } : {}),
        ...(policy.maxLifetimeMs !== undefined
          ? { maxLifetimeUntil: addMs(this.snapshot.startedAt, policy.maxLifetimeMs) }
          : {}),
      },
    };
  }

  get state(): EngineState {
    return this.snapshot.state;
  }

  get isTerminal(): boolean {
    return isTerminalState(this.snapshot.state);
  }

  get hasPod(): boolean {
    return Boolean(this.snapshot.podUid) && !this.snapshot.podDeleted;
  }

  get killRequested(): boolean {
    return this.snapshot.killRequest !== undefined;
  }

  /**
   * Records what an activity saw; returns whether the engine state changed. A terminal
   * engine is final: a late observation (say, of the pod we just killed) changes nothing.
   */
  observe(observation: PodObservation, at: string): boolean {
    if (this.isTerminal) return false;
    const previous = this.snapshot.state;
    const s = this.snapshot;
    this.snapshot = {
      ...s,
      podName: observation.name || s.podName,
      podUid: observation.uid || s.podUid,
      phase: observation.phase ?? s.phase,
      reason: observation.reason,
      message: observation.message,
      exitCode: observation.exitCode ?? s.exitCode,
      podCreatedAt: observation.createdAt ?? s.podCreatedAt,
      podStartedAt: observation.startedAt ?? s.podStartedAt,
      terminatedAt: observation.terminatedAt ?? s.terminatedAt,
      // Deleted by someone else: nothing left for us to delete.
      podDeleted: s.podDeleted || Boolean(observation.gone),
      deleteReason: observation.gone && !s.podDeleted ? 'DeletedExternally' : s.deleteReason,
    };
    this.enter(observation.state, at, observation.reason);
    if (this.isTerminal && !this.snapshot.terminatedAt) {
      // Terminal with no container end time (a driver stuck waiting, a vanished pod):
      // the engine ended when we saw it end, and retention counts from then.
      this.snapshot = { ...this.snapshot, terminatedAt: at };
    }
    this.refreshDeadlines(at);
    return previous !== this.snapshot.state;
  }

  requestKill(reason: string, at: string): void {
    if (this.killRequested || this.isTerminal) return;
    this.snapshot = { ...this.snapshot, killRequest: { reason, at } };
  }

  markDeleted(reason: string): void {
    const { deleteAt: _done, ...deadlines } = this.snapshot.deadlines;
    this.snapshot = { ...this.snapshot, podDeleted: true, deleteReason: reason, deadlines };
  }

  /** Ends the engine with a state of our making (kill, timeout, create failure); once. */
  finish(state: EngineState, at: string, reason?: string, message?: string): void {
    if (this.isTerminal) return;
    this.snapshot = { ...this.snapshot, reason: reason ?? this.snapshot.reason, message: message ?? this.snapshot.message };
    this.enter(state, at, reason);
    this.snapshot = { ...this.snapshot, terminatedAt: this.snapshot.terminatedAt ?? at };
    this.refreshDeadlines(at);
  }

  /** Whether the cleanup policy deletes this engine's pod once retention ends. */
  get cleanupDeletes(): boolean {
    const cleanup = this.snapshot.policy?.cleanup ?? 'ALL';
    if (cleanup === 'NONE') return false;
    if (cleanup === 'COMPLETED') return this.snapshot.state === 'FINISHED';
    return true;
  }

  outcome(at: string): EngineOutcome {
    return { ...this.snapshot, closedAt: at };
  }

  private enter(state: EngineState, at: string, reason?: string): void {
    if (state === this.snapshot.state) return;
    const transitions = [...this.snapshot.transitions, { state, at, ...(reason ? { reason } : {}) }];
    this.snapshot = { ...this.snapshot, state, transitions: transitions.slice(-MAX_TRANSITIONS) };
  }

  private refreshDeadlines(at: string): void {
    const s = this.snapshot;
    const policy = s.policy;
    if (!policy) return;
    const deadlines = { ...s.deadlines };
    delete deadlines.submitUntil;
    if (s.state === 'PENDING') {
      deadlines.pendingUntil = addMs(s.podCreatedAt ?? s.startedAt, policy.pendingTimeoutMs);
    } else {
      delete deadlines.pendingUntil;
    }
    if (this.isTerminal) {
      delete deadlines.maxLifetimeUntil;
      // Only a pod the cleanup policy will delete gets a date: a kept pod has none to show.
      if (this.hasPod && this.cleanupDeletes) deadlines.deleteAt = addMs(s.terminatedAt ?? at, policy.retainPeriodMs);
      else delete deadlines.deleteAt;
    }
    this.snapshot = { ...s, deadlines };
  }
}
