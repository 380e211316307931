/**
 * zod schemas of what `enginePod` answers: the `engineState` query, the `kill` update and
 * the workflow's result. The workflow builds these values as the plain types of
 * messages.ts; the checks at the bottom fail the build when the two drift apart. Used to
 * describe the contract for JVM callers (schema/) and to check real answers in tests;
 * never imported by workflows.
 */
import { z } from 'zod';
import type { EngineOutcome, EngineSnapshot } from './messages';
import { cleanupSchema, engineStateSchema, stateSourceSchema } from './schemas';

const instant = z.iso.datetime({ offset: true });
const millis = z.number().int().nonnegative();

export const enginePolicySchema = z.strictObject({
  cleanup: cleanupSchema,
  retainPeriodMs: millis,
  pendingTimeoutMs: millis,
  submitTimeoutMs: millis,
  maxLifetimeMs: millis.optional(),
  stateSource: stateSourceSchema,
  stateContainer: z.string(),
});

export const engineSnapshotSchema = z.strictObject({
  tag: z.string(),
  namespace: z.string(),
  mode: z.enum(['create', 'track']),
  state: engineStateSchema,
  phase: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  exitCode: z.number().int().optional(),
  podName: z.string().optional(),
  podUid: z.string().optional(),
  startedAt: instant,
  podCreatedAt: instant.optional(),
  podStartedAt: instant.optional(),
  terminatedAt: instant.optional(),
  deadlines: z.strictObject({
    pendingUntil: instant.optional(),
    maxLifetimeUntil: instant.optional(),
    deleteAt: instant.optional(),
    submitUntil: instant.optional(),
  }),
  transitions: z.array(z.strictObject({ state: engineStateSchema, at: instant, reason: z.string().optional() })),
  killRequest: z.strictObject({ reason: z.string(), at: instant }).optional(),
  podDeleted: z.boolean(),
  deleteReason: z.string().optional(),
  policy: enginePolicySchema.optional(),
});

export const engineOutcomeSchema = engineSnapshotSchema.extend({ closedAt: instant });

// Both directions, so a field added to (or dropped from) either side breaks `tsc`.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const snapshotMatches: Same<z.output<typeof engineSnapshotSchema>, EngineSnapshot> = true;
const outcomeMatches: Same<z.output<typeof engineOutcomeSchema>, EngineOutcome> = true;
void snapshotMatches;
void outcomeMatches;
