/**
 * The contract as JSON documents for callers that cannot import TypeScript (Kyuubi's JVM
 * side): JSON Schema of every message, generated from the zod schemas, and the names a
 * caller needs, taken from names.ts and messages.ts. Pure: write-json-schema.ts writes
 * them to schema/.
 */
import { z } from 'zod';
import { FAILURE_TYPES, KILL_REASONS, engineStateQuery, killSignal, killUpdate } from './messages';
import {
  ENGINE_STATES,
  ENGINE_TAG_LABEL,
  INSTANCE_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PACKAGE_NAME,
  PAYLOAD_ENCRYPTION,
  SEARCH_ATTRIBUTES,
  SEARCH_ATTRIBUTE_KIND,
  TASK_QUEUE,
  WORKFLOW_TYPES,
  enginePodWorkflowId,
  isTerminalState,
} from './names';
import { durationSchema, enginePodInputSchema, killRequestSchema } from './schemas';
import { engineOutcomeSchema, engineSnapshotSchema } from './snapshot-schema';
import { isValidLabelValue, isValidPodName } from '../k8s/pod-name';

/** The file names under schema/, as contract.json refers to them. */
export const SCHEMA_FILES = {
  contract: 'contract.json',
  enginePodInput: 'engine-pod-input.json',
  engineSnapshot: 'engine-snapshot.json',
  engineOutcome: 'engine-outcome.json',
  killRequest: 'kill-request.json',
} as const;

/**
 * What parseDuration accepts, in its canonical spelling: Go style (`30s`, `1h30m`, `2d`) or
 * ISO-8601 with upper-case designators (`PT5M`, `P1DT2H`). The parser also takes
 * lower-case ISO and surrounding spaces; a schema need not invite them.
 */
const NUMBER = String.raw`(\d+([.,]\d+)?)`;
export const DURATION_PATTERN =
  String.raw`^(0|((\d+\.?\d*|\.\d+)(ms|s|m|h|d))+|` +
  `P(?=\\d|T\\d)(${NUMBER}W)?(${NUMBER}D)?(T(?=\\d)(${NUMBER}H)?(${NUMBER}M)?(${NUMBER}S)?)?)$`;

/** Kubernetes' label value and DNS-1123 subdomain rules, which schemas.ts checks in code. */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
export const POD_NAME_PATTERN = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;

/** JSON Schema for the code refinements of schemas.ts; a test keeps each pair in agreement. */
const REFINEMENTS = new Map<unknown, Record<string, unknown>>([
  [isValidLabelValue, { pattern: LABEL_VALUE_PATTERN, maxLength: 63 }],
  [isValidPodName, { pattern: POD_NAME_PATTERN, maxLength: 253 }],
]);

type JsonObject = Record<string, unknown>;

const metadata = z.registry<JsonObject>();
metadata.add(durationSchema, {
  id: 'Duration',
  description:
    'A duration as text, never a number: Go style (30s, 5m, 1h30m, 2d, 500ms) or ISO-8601 as Kyuubi writes it ' +
    '(PT5M, PT30S, P1DT2H). Years and months are refused (no fixed length), so is anything over 10 years.',
  pattern: DURATION_PATTERN,
});
// zod drops `examples` from the input side of a transform; the override puts them back.
const DURATION_EXAMPLES = ['PT5M', '5m', '30s', '1h30m'];
metadata.add(enginePodInputSchema, {
  title: 'enginePod input',
  description:
    "The single argument of the enginePod workflow. The worker validates it again and is authoritative: it also refuses " +
    `labels that would override the ones marking the pod ours (${ENGINE_TAG_LABEL} other than the tag, ${MANAGED_BY_LABEL}, ` +
    `${INSTANCE_LABEL}) and a manifest namespace other than "namespace". Durations are text (see Duration).`,
  // The create/track rule of the superRefine, which JSON Schema can say.
  if: { properties: { mode: { const: 'track' } }, required: ['mode'] },
  then: { properties: { pod: false } },
  else: { required: ['pod'] },
});
metadata.add(killRequestSchema, { title: 'kill request', description: 'The argument of the kill update and the kill signal.' });
metadata.add(engineSnapshotSchema, {
  title: 'engine snapshot',
  description: 'The result of the engineState query and of the kill update. Durations are in milliseconds here.',
});
metadata.add(engineOutcomeSchema, { title: 'engine outcome', description: 'The result of the enginePod workflow: its final snapshot.' });

function refinementsOf(schema: unknown): unknown[] {
  const checks = (schema as { _zod?: { def?: { checks?: { _zod?: { def?: { fn?: unknown } } }[] } } })._zod?.def?.checks ?? [];
  return checks.map((check) => check._zod?.def?.fn);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  return z.toJSONSchema(schema, {
    io,
    metadata,
    override: ({ zodSchema, jsonSchema: out }) => {
      for (const fn of refinementsOf(zodSchema)) Object.assign(out, REFINEMENTS.get(fn));
      if (zodSchema === durationSchema) out.examples = DURATION_EXAMPLES;
      // zod spells date-time out as a 400-character regex too; the format says it.
      if (out.format === 'date-time') delete out.pattern;
    },
  });
}

/** What a foreign caller needs besides the message schemas, every name from the contract. */
export function contractNames(): JsonObject {
  return {
    $comment: 'Generated from src/contract by `npm run schema`; do not edit.',
    package: PACKAGE_NAME,
    taskQueue: TASK_QUEUE,
    workflows: {
      enginePod: {
        type: WORKFLOW_TYPES.enginePod,
        workflowId: enginePodWorkflowId('{namespace}', '{tag}'),
        input: SCHEMA_FILES.enginePodInput,
        result: SCHEMA_FILES.engineOutcome,
      },
    },
    queries: { engineState: { name: engineStateQuery.name, result: SCHEMA_FILES.engineSnapshot } },
    updates: { kill: { name: killUpdate.name, argument: SCHEMA_FILES.killRequest, result: SCHEMA_FILES.engineSnapshot } },
    signals: { kill: { name: killSignal.name, argument: SCHEMA_FILES.killRequest } },
    searchAttributes: { type: SEARCH_ATTRIBUTE_KIND, names: SEARCH_ATTRIBUTES },
    labels: { engineTag: ENGINE_TAG_LABEL, managedBy: { key: MANAGED_BY_LABEL, value: MANAGED_BY_VALUE }, instance: INSTANCE_LABEL },
    engineStates: ENGINE_STATES,
    terminalStates: ENGINE_STATES.filter(isTerminalState),
    failureTypes: FAILURE_TYPES,
    killReasons: KILL_REASONS,
    payloadEncryption: PAYLOAD_ENCRYPTION,
  };
}

/** Every document of schema/, by file name. */
export function schemaDocuments(): Record<string, JsonObject> {
  return {
    [SCHEMA_FILES.contract]: contractNames(),
    [SCHEMA_FILES.enginePodInput]: jsonSchema(enginePodInputSchema, 'input'),
    [SCHEMA_FILES.engineSnapshot]: jsonSchema(engineSnapshotSchema, 'output'),
    [SCHEMA_FILES.engineOutcome]: jsonSchema(engineOutcomeSchema, 'output'),
    [SCHEMA_FILES.killRequest]: jsonSchema(killRequestSchema, 'input'),
  };
}

/** How a document is written to disk, so the freshness test compares like with like. */
export function renderDocument(document: JsonObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
