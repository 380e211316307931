/**
 * zod schemas for every input crossing an edge: CLI, client library, and the first
 * activity of `enginePod` (a JVM caller may start it raw). Never imported by workflows.
 */
import { z } from 'zod';
import { parseDuration } from './duration';
import { ENGINE_STATES, ENGINE_TAG_LABEL, INSTANCE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './names';
import { isValidLabelValue, isValidPodName } from '../k8s/pod-name';

/** Bigger manifests than this are a mistake, and would crowd Temporal's 2 MB payload limit. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

const dnsLabel = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters (a Kubernetes DNS label)')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and "-", starting and ending with a letter or digit');

export const namespaceSchema = dnsLabel;

export const engineTagSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine(isValidLabelValue, 'must be a valid label value: at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit');

export const podNameSchema = z
  .string()
  .refine(isValidPodName, 'must be a valid pod name: lower-case letters, digits, "-" and ".", at most 253 characters');

/** A duration as text (`30s`, `5m`, `PT5M`); parses to milliseconds. */
export const durationSchema = z
  // A number here is usually milliseconds from a JVM caller; say what to send instead.
  .string({
    error: (issue) =>
      issue.input === undefined ? undefined : `must be text such as "30s", "5m" or "PT5M", not ${typeof issue.input} ${JSON.stringify(issue.input)}`,
  })
  .transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

export const cleanupSchema = z.enum(['ALL', 'COMPLETED', 'NONE']);
export const stateSourceSchema = z.enum(['POD', 'CONTAINER']);
export const engineStateSchema = z.enum(ENGINE_STATES);

export const policyInputSchema = z.strictObject({
  cleanup: cleanupSchema.optional(),
  retainPeriod: durationSchema.optional(),
  pendingTimeout: durationSchema.optional(),
  submitTimeout: durationSchema.optional(),
  maxLifetime: durationSchema.optional(),
  stateSource: stateSourceSchema.optional(),
  stateContainer: dnsLabel.optional(),
});
export type PolicyInput = z.input<typeof policyInputSchema>;

/**
 * A label or annotation key (a Kubernetes qualified name): optional DNS-subdomain prefix and
 * "/", then a name of at most 63 characters. Checked here so the apiserver's 422 is never
 * the first to say so.
 */
const qualifiedName = z
  .string()
  .max(253 + 1 + 63, 'must be at most 317 characters (prefix/name)')
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  );

const labelMap = z.record(qualifiedName, z.string().refine(isValidLabelValue, 'must be a valid label value: at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit'));

/** The parts of a V1Pod we rely on; the rest passes through to the apiserver untouched. */
export const podManifestSchema = z
  .looseObject({
    apiVersion: z.literal('v1').optional(),
    kind: z.literal('Pod').optional(),
    metadata: z
      .looseObject({
        name: podNameSchema.optional(),
        generateName: z.never('is not supported: the pod name must be deterministic so a retried create finds its pod').optional(),
        namespace: namespaceSchema.optional(),
        labels: labelMap.optional(),
        annotations: z.record(qualifiedName, z.string()).optional(),
      })
      .optional(),
    spec: z.looseObject({
      containers: z
        .array(z.looseObject({ name: dnsLabel, image: z.string().min(1, 'must not be empty') }))
        .min(1, 'must list at least one container'),
    }),
  })
  // Bytes, not characters: Temporal's payload limit counts UTF-8 bytes.
  .refine((pod) => new TextEncoder().encode(JSON.stringify(pod)).length <= MAX_MANIFEST_BYTES, {
    message: `is larger than ${MAX_MANIFEST_BYTES / 1024} KiB; keep large data in ConfigMaps`,
  });

export const enginePodInputSchema = z
  .strictObject({
    tag: engineTagSchema,
    namespace: namespaceSchema,
    mode: z.enum(['create', 'track']).optional(),
    pod: podManifestSchema.optional(),
    podName: podNameSchema.optional(),
    podUid: z.string().min(1).optional(),
    policy: policyInputSchema.optional(),
  })
  .superRefine((input, ctx) => {
    const mode = input.mode ?? 'create';
    if (mode === 'create' && !input.pod) {
      ctx.addIssue({ code: 'custom', path: ['pod'], message: 'is required in create mode (or use mode "track")' });
    }
    if (mode === 'track' && input.pod) {
      ctx.addIssue({ code: 'custom', path: ['pod'], message: 'must be absent in track mode: the pod is created by someone else' });
    }
    const labels = input.pod?.metadata?.labels ?? {};
    const labelIssue = (key: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['pod', 'metadata', 'labels'], message: `would override the labels that mark the pod ours: ${key} ${message}` });
    if (labels[ENGINE_TAG_LABEL] !== undefined && labels[ENGINE_TAG_LABEL] !== input.tag) {
      labelIssue(ENGINE_TAG_LABEL, `is "${labels[ENGINE_TAG_LABEL]}" but the engine's tag is "${input.tag}"`);
    }
    if (labels[MANAGED_BY_LABEL] !== undefined && labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
      labelIssue(MANAGED_BY_LABEL, `must be ${MANAGED_BY_VALUE} or absent`);
    }
    if (labels[INSTANCE_LABEL] !== undefined) labelIssue(INSTANCE_LABEL, 'is set by the worker (KPL_INSTANCE): leave it out');
    const manifestNamespace = input.pod?.metadata?.namespace;
    if (manifestNamespace !== undefined && manifestNamespace !== input.namespace) {
      ctx.addIssue({
        code: 'custom',
        path: ['pod', 'metadata', 'namespace'],
        message: `is "${manifestNamespace}" but the engine's namespace is "${input.namespace}"`,
      });
    }
  });
/** What a caller sends (durations as text). */
export type EnginePodInput = z.input<typeof enginePodInputSchema>;
export type ParsedEnginePodInput = z.output<typeof enginePodInputSchema>;

export const killRequestSchema = z.strictObject({ reason: z.string().max(1024).optional() });

/** Names every failing field with what was wrong, one per line. */
export function describeIssues(error: z.ZodError, root = 'input'): string {
  return error.issues
    .flatMap((issue) => {
      // zod reports unknown keys on their parent; name each key as the field it would be.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${[...issue.path.map(String), key].join('.')}: is not a known field; remove it or check its spelling`);
      }
      const path = issue.path.length ? issue.path.map(String).join('.') : root;
      // A bad record key: zod's own message ("Invalid key in record") hides which rule failed.
      if (issue.code === 'invalid_key') return issue.issues.map((inner) => `${path}: key ${inner.message}`);
      return [`${path}: ${issue.message}`];
    })
    .join('\n');
}
