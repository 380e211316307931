/**
 * The Java client and the worker share one payload encryption: with the same
 * KPL_ENCRYPTION_KEY the worker reads what Java encrypted (the launch input) and Java
 * reads what the worker encrypted (state, kill and outcome answers), while the server
 * stores none of it in plain text. Another key is refused with the key ids named.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { loadEncryptionKeys } from '../../src/codec';
import { PAYLOAD_ENCRYPTION, enginePodWorkflowId } from '../../src/contract/names';
import { engineOutcomeSchema, engineSnapshotSchema } from '../../src/contract/snapshot-schema';
import { rawHistory, startEncryptingWorker } from '../helpers/encrypting-worker';
import { engineHandle, untilNoPods, untilState } from '../helpers/engine';
import { engineSuite } from '../helpers/engine-suite';
import { driverManifest, temporalClient } from '../helpers/env';
import { ensureJar, requireJavaTools, runJar } from '../helpers/java-client';

const NS = 'default';
const KEY = randomBytes(32).toString('base64');
const [key] = loadEncryptionKeys({ KPL_ENCRYPTION_KEY: KEY })!;
const suite = engineSuite(() => startEncryptingWorker(KEY, NS), NS);
let raw: Client;
let dir: string;

beforeAll(async () => {
  requireJavaTools();
  dir = mkdtempSync(path.join(tmpdir(), 'kpl-java-enc-'));
  raw = await temporalClient();
  await ensureJar(600_000);
}, 660_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await raw?.connection.close();
});

const jar = (env: Record<string, string>, ...args: string[]) =>
  runJar(args, { KPL_TASK_QUEUE: suite.worker.config.taskQueue, KPL_ENCRYPTION_KEY: KEY, ...env });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

test('Java encrypts what the worker decrypts and decrypts what the worker encrypts', async () => {
  const tag = suite.leftovers.tag();
  const secret = `kpl-java-secret-${randomUUID()}`;
  const pod = driverManifest();
  pod.spec.containers[0]!.env = [{ name: 'WAREHOUSE_PASSWORD', value: secret }];
  const file = path.join(dir, 'engine.json');
  writeFileSync(file, JSON.stringify({ tag, namespace: NS, pod, policy: { retainPeriod: 'PT1S' } }));
  const workflowId = enginePodWorkflowId(NS, tag);

  expect(await jar({}, 'launch', file)).toMatchObject({ code: 0 });
  // The worker could read the Java-encrypted input: it created the pod, secret and all.
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  await untilState(handle, 'RUNNING');
  const [created] = (await suite.core.listNamespacedPod({ namespace: NS, labelSelector: `kyuubi-unique-tag=${tag}` })).items;
  expect(created?.spec?.containers[0]?.env).toEqual([{ name: 'WAREHOUSE_PASSWORD', value: secret }]);

  const state = await jar({}, 'state', workflowId);
  expect(state).toMatchObject({ code: 0 });
  expect(engineSnapshotSchema.parse(JSON.parse(state.stdout))).toMatchObject({ tag, state: 'RUNNING' });

  const wrongKey = await jar({ KPL_ENCRYPTION_KEY: randomBytes(32).toString('base64') }, 'state', workflowId);
  expect(wrongKey.code).toBe(1);
  expect(wrongKey.stderr).toContain(`Cannot decrypt a payload encrypted with key id ${key!.id}`);

  const kill = await jar({}, 'kill', workflowId, 'java, encrypted');
  expect(kill).toMatchObject({ code: 0 });
  await untilNoPods(suite.core, NS, tag, 15_000);
  const outcome = engineOutcomeSchema.parse(JSON.parse((await jar({}, 'wait', workflowId)).stdout));
  expect(outcome).toMatchObject({ state: 'KILLED', reason: 'java, encrypted', podDeleted: true });

  // What the server stores: Java's input under our key id, and no trace of the secret.
  const history = await rawHistory(raw, workflowId);
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(text(started?.metadata?.[METADATA_ENCODING_KEY])).toBe(PAYLOAD_ENCRYPTION.encoding);
  expect(text(started?.metadata?.[PAYLOAD_ENCRYPTION.keyIdMetadataKey])).toBe(key!.id);
  const stored = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  expect(stored.includes(secret)).toBe(false);
  expect(stored.includes('java, encrypted')).toBe(false);
});

test('a malformed key is bad input: exit 2, the variable named, the value never echoed', async () => {
  const badKey = 'c2hvcnQta2V5';
  const result = await jar({ KPL_ENCRYPTION_KEY: badKey }, 'state', enginePodWorkflowId(NS, 'whatever'));
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`${PAYLOAD_ENCRYPTION.keyVariable} must be base64 of 32 random bytes, but it decodes to 9 bytes`);
  expect(result.stderr).not.toContain(badKey);
});
