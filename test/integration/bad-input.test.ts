/**
 * Issue 6: malformed engine inputs, one table pushed through every way in: the CLI (exit 2,
 * the field or flag in stderr), the client library (InvalidInputError naming the field) and
 * a raw Temporal start of `enginePod`, as a JVM caller that skipped validation would send
 * it (the workflow fails non-retryable, naming the field). In every case no pod exists
 * afterwards, and the CLI and the client start no workflow.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { stringify as toYaml } from 'yaml';
import { EngineClient, InvalidInputError, type EnginePodInput } from '../../src/client';
import { FAILURE_TYPES } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL, INSTANCE_LABEL, MANAGED_BY_LABEL, WORKFLOW_TYPES, enginePodWorkflowId } from '../../src/contract/names';
import { MAX_MANIFEST_BYTES } from '../../src/contract/schemas';
import { driverManifest, kubeApi, newTag, startWorker, temporalClient, type TestWorker } from '../helpers/env';
import { historyOf, scheduledActivities } from '../helpers/engine';
import { runCli } from '../helpers/cli';

const NS = 'default';
/** KPL_NAMESPACES of the worker, the client and the CLI alike. */
const ALLOWED = NS;

type Raw = Record<string, unknown>;

interface BadInput {
  name: string;
  /** The whole input a caller sends, built around a fresh tag. */
  input: (tag: string) => Raw;
  /** The field every channel's message must name (the input's path). */
  field: string;
  /** What the CLI names instead, when the field has no flag of its own (an unknown option). */
  cliNames?: string;
}

const manifest = () => driverManifest() as Raw & { metadata: Raw & { labels: Record<string, unknown> }; spec: Raw & { containers: Raw[] } };

/** A well-formed input with `change` applied to a copy of it. */
function valid(change: (input: Raw & { tag: string; pod: ReturnType<typeof manifest> }) => void = () => undefined) {
  return (tag: string): Raw => {
    const input = { tag, namespace: NS, pod: manifest() };
    change(input);
    return input;
  };
}

const withLabel = (key: string, value: unknown) => valid((i) => (i.pod.metadata.labels[key] = value));
const withPolicy = (policy: Raw) => valid((i) => Object.assign(i, { policy }));
const withTag = (bad: (tag: string) => string) => (tag: string) => valid()(bad(tag));

const TABLE: BadInput[] = [
  // names over 63 characters
  { name: 'tag over 63 characters', input: withTag((t) => `${t}-${'x'.repeat(63 - t.length)}`), field: 'tag' },
  { name: 'tag a label cannot hold', input: withTag((t) => `${t} !`), field: 'tag' },
  { name: 'namespace over 63 characters', input: valid((i) => (i.namespace = 'n'.repeat(64))), field: 'namespace' },
  { name: 'container name over 63 characters', input: valid((i) => (i.pod.spec.containers[0]!.name = 'c'.repeat(64))), field: 'pod.spec.containers.0.name' },
  { name: 'state container over 63 characters', input: withPolicy({ stateSource: 'CONTAINER', stateContainer: 'c'.repeat(64) }), field: 'policy.stateContainer' },
  { name: 'label value over 63 characters', input: withLabel('spark-app-name', 'a'.repeat(64)), field: 'pod.metadata.labels.spark-app-name' },
  { name: 'label key over 63 characters', input: withLabel('k'.repeat(64), 'v'), field: `pod.metadata.labels.${'k'.repeat(64)}` },
  { name: 'pod name over 253 characters', input: valid((i) => (i.pod.metadata.name = 'p'.repeat(254))), field: 'pod.metadata.name' },
  // the namespace allow-list
  { name: 'namespace outside KPL_NAMESPACES', input: valid((i) => (i.namespace = 'kpl-not-allowed')), field: 'namespace' },
  // huge manifests
  { name: 'manifest over MAX_MANIFEST_BYTES', input: valid((i) => (i.pod.metadata.annotations = { 'example.com/blob': 'x'.repeat(MAX_MANIFEST_BYTES) })), field: 'pod' },
  {
    name: 'manifest over MAX_MANIFEST_BYTES in bytes, not characters',
    input: valid((i) => (i.pod.metadata.annotations = { 'example.com/blob': '€'.repeat(Math.ceil(MAX_MANIFEST_BYTES / 3) + 1) })),
    field: 'pod',
  },
  // overrides of the labels that make a pod ours
  { name: `label override: ${MANAGED_BY_LABEL}`, input: withLabel(MANAGED_BY_LABEL, 'someone-else'), field: 'pod.metadata.labels' },
  { name: `label override: ${ENGINE_TAG_LABEL}`, input: (tag) => withLabel(ENGINE_TAG_LABEL, `${tag}-other`)(tag), field: 'pod.metadata.labels' },
  { name: `label override: ${INSTANCE_LABEL}`, input: withLabel(INSTANCE_LABEL, 'other-instance'), field: 'pod.metadata.labels' },
  // durations
  { name: 'negative duration -5m', input: withPolicy({ pendingTimeout: '-5m' }), field: 'policy.pendingTimeout' },
  { name: 'duration 10 parsecs', input: withPolicy({ retainPeriod: '10 parsecs' }), field: 'policy.retainPeriod' },
  { name: 'duration in months (P1M)', input: withPolicy({ maxLifetime: 'P1M' }), field: 'policy.maxLifetime' },
  { name: 'duration over 10 years', input: withPolicy({ submitTimeout: '3653d' }), field: 'policy.submitTimeout' },
  // wrong types (a JVM caller's milliseconds, booleans, a string for a list, a number label)
  { name: 'duration as a number of milliseconds', input: withPolicy({ retainPeriod: 300 }), field: 'policy.retainPeriod' },
  { name: 'cleanup as a boolean', input: withPolicy({ cleanup: true }), field: 'policy.cleanup' },
  { name: 'unknown state source', input: withPolicy({ stateSource: 'NODE' }), field: 'policy.stateSource' },
  { name: 'containers as a string', input: valid((i) => (i.pod.spec.containers = 'driver' as never)), field: 'pod.spec.containers' },
  { name: 'label value as a number', input: withLabel('spark-version', 3.5), field: 'pod.metadata.labels.spark-version' },
  // fields we refuse or do not know
  { name: 'generateName', input: valid((i) => (i.pod.metadata.generateName = 'driver-')), field: 'pod.metadata.generateName' },
  { name: 'manifest namespace other than the engine\'s', input: valid((i) => (i.pod.metadata.namespace = 'elsewhere')), field: 'pod.metadata.namespace' },
  { name: 'unknown top-level field', input: valid((i) => (i.priority = 'high')), field: 'priority', cliNames: "unknown option '--priority'" },
  { name: 'unknown policy field', input: withPolicy({ ttl: '5m' }), field: 'policy.ttl', cliNames: "unknown option '--ttl'" },
];

// --- the CLI channel: the same input, as flags and a manifest file ---

const POLICY_FLAGS: Record<string, string> = { retainPeriod: '--retain' };
const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** `launch` arguments that carry `input`; a field without a flag becomes an unknown option. */
function cliArgs(input: Raw, manifestFile: (pod: unknown) => string): string[] {
  const args = ['launch'];
  for (const [key, value] of Object.entries(input)) {
    if (key === 'pod') args.push('--file', manifestFile(value));
    else if (key === 'mode') args.push(...(value === 'track' ? ['--track'] : [kebab(key), String(value)]));
    else if (key === 'policy') {
      for (const [name, setting] of Object.entries(value as Raw)) args.push(POLICY_FLAGS[name] ?? kebab(name), String(setting));
    } else args.push(key === 'namespace' ? '-n' : kebab(key), String(value));
  }
  return args;
}

// --- what must not exist afterwards ---

/** Pods anywhere whose engine tag contains this test's tag (an override's tag included). */
async function podsOf(core: CoreV1Api, tag: string): Promise<string[]> {
  const list = await core.listPodForAllNamespaces({ labelSelector: ENGINE_TAG_LABEL });
  return list.items.filter((pod) => pod.metadata?.labels?.[ENGINE_TAG_LABEL]?.includes(tag)).map((pod) => pod.metadata?.name ?? '');
}

async function workflowExists(temporal: Client, input: Raw): Promise<boolean> {
  const id = enginePodWorkflowId(String(input.namespace), String(input.tag));
  return temporal.workflow
    .getHandle(id)
    .describe()
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
}

const namesField = (field: string) => new RegExp(`(^|\\n|: )${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `);

let worker: TestWorker;
let temporal: Client;
let engines: EngineClient;
let core: CoreV1Api;
let dir: string;

beforeAll(async () => {
  worker = await startWorker({ KPL_NAMESPACES: ALLOWED, KPL_LOG_LEVEL: 'error' });
  temporal = await temporalClient();
  engines = new EngineClient(temporal, worker.config.taskQueue, worker.config.namespaces);
  core = kubeApi();
  dir = mkdtempSync(path.join(tmpdir(), 'kpl-bad-input-'));
});

afterAll(async () => {
  await worker?.stop();
  await temporal?.connection.close();
});

test('the table covers every kind of malformed input the issue lists', () => {
  expect(TABLE.length).toBeGreaterThanOrEqual(20);
  expect(new Set(TABLE.map((row) => row.name)).size).toBe(TABLE.length);
});

describe('CLI: exit 2, stderr names the field, nothing created', () => {
  test.each(TABLE)('$name', async ({ input, field, cliNames }) => {
    const tag = newTag();
    const raw = input(tag);
    const manifestFile = (pod: unknown) => {
      const file = path.join(dir, `${tag}.yaml`);
      writeFileSync(file, toYaml(pod));
      return file;
    };
    const run = await runCli(cliArgs(raw, manifestFile), { KPL_TASK_QUEUE: worker.config.taskQueue, KPL_NAMESPACES: ALLOWED });
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    if (cliNames) expect(run.stderr).toContain(cliNames);
    else expect(run.stderr).toMatch(namesField(field));
    expect(await workflowExists(temporal, raw)).toBe(false);
    expect(await podsOf(core, tag)).toEqual([]);
  });
});

describe('client library: InvalidInputError names the field, nothing started', () => {
  test.each(TABLE)('$name', async ({ input, field }) => {
    const tag = newTag();
    const raw = input(tag);
    const error = await engines.launchEngine(raw as EnginePodInput).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(namesField(field));
    expect(await workflowExists(temporal, raw)).toBe(false);
    expect(await podsOf(core, tag)).toEqual([]);
  });
});

describe('raw start of enginePod (a JVM caller): non-retryable failure naming the field, no pod', () => {
  test.each(TABLE)('$name', async ({ input, field }) => {
    const tag = newTag();
    const raw = input(tag);
    const handle = await temporal.workflow.start(WORKFLOW_TYPES.enginePod, {
      taskQueue: worker.config.taskQueue,
      workflowId: enginePodWorkflowId(String(raw.namespace), String(raw.tag)),
      args: [raw],
    });
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(FAILURE_TYPES.invalidInput);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect((cause as ApplicationFailure).message).toMatch(namesField(field));
    // Rejected by the local validation: no activity that could create a pod was ever scheduled.
    expect(scheduledActivities(await historyOf(handle))).toEqual([]);
    expect(await podsOf(core, tag)).toEqual([]);
  });
});
