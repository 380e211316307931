/**
 * Payload encryption end to end: a worker and client with KPL_ENCRYPTION_KEY run an
 * engine whose manifest carries a secret; the history as the server stores it (read
 * without the key) holds no trace of it and only encrypted payloads, while the key reads
 * it back, a wrong key is refused clearly, and the codec server decodes it for the UI
 * and for Temporal's own CLI.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { METADATA_ENCODING_KEY, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA_KEY, loadEncryptionKeys } from '../../src/codec';
import { createCodecServer, fromJson, listen, toJson, type JsonPayload } from '../../src/codec/codec-server';
import { engineStateQuery, type EngineOutcome } from '../../src/contract/messages';
import { enginePodWorkflowId } from '../../src/contract/names';
import type { EnginePodInput } from '../../src/contract/schemas';
import { ensureBinary } from '../../src/stack/binaries';
import { temporalSettings } from '../../src/temporal';
import { runCli, CLI } from '../helpers/cli';
import { engineSuite } from '../helpers/engine-suite';
import { engineHandle, untilNoPods, untilState } from '../helpers/engine';
import { rawHistory as storedHistory, startEncryptingWorker } from '../helpers/encrypting-worker';
import { driverManifest, newTag, temporalClient } from '../helpers/env';

const NS = 'default';
const KEY = randomBytes(32).toString('base64');
const keys = loadEncryptionKeys({ KPL_ENCRYPTION_KEY: KEY })!;

const ProtoPayload = temporal.api.common.v1.Payload;
const ProtoFailure = temporal.api.failure.v1.Failure;
type History = temporal.api.history.v1.IHistory;
/** @temporalio/proto's message types are reflection objects: decoded messages are instances of their `ctor`. */
const isA = (type: unknown, node: object) => node instanceof (type as { ctor: new () => object }).ctor;

const suite = engineSuite(() => startEncryptingWorker(KEY, NS), NS);
/** Sees what the server stores: no codec. */
let raw: Client;
beforeAll(async () => {
  raw = await temporalClient();
});
afterAll(async () => {
  await raw?.connection.close();
});

const rawHistory = (workflowId: string): Promise<History> => storedHistory(raw, workflowId);

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** Every payload in a decoded proto tree with its path, search attributes aside (they are indexed, never encoded). */
function payloadsIn(node: unknown, path = ''): { path: string; payload: temporal.api.common.v1.Payload }[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return [];
  if (isA(ProtoPayload, node)) return [{ path, payload: node as temporal.api.common.v1.Payload }];
  return Object.entries(node).flatMap(([key, value]) => (key === 'searchAttributes' ? [] : payloadsIn(value, path ? `${path}.${key}` : key)));
}

function failuresIn(node: unknown): temporal.api.failure.v1.Failure[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return [];
  const own = isA(ProtoFailure, node) ? [node as temporal.api.failure.v1.Failure] : [];
  return [...own, ...Object.values(node).flatMap(failuresIn)];
}

/**
 * Where `secret` shows in a history: anywhere in its wire bytes, in any bytes field read
 * as UTF-8, or inside a base64 run of one (JSON that carries bytes as base64).
 */
function traces(history: History, secret: string): string[] {
  const found: string[] = [];
  const wire = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  if (wire.includes(secret)) found.push('wire bytes');
  const visit = (node: unknown, path: string) => {
    if (node instanceof Uint8Array) {
      const utf8 = text(node);
      if (utf8.includes(secret)) found.push(`${path} (UTF-8)`);
      for (const run of utf8.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? []) {
        if (Buffer.from(run, 'base64').toString('utf8').includes(secret)) found.push(`${path} (base64 inside)`);
      }
    } else if (typeof node === 'string') {
      if (node.includes(secret)) found.push(path);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) visit(value, `${path}.${key}`);
    }
  };
  visit(history, 'history');
  return found;
}

/** The same history with every payload run through the codec, as a reader with the key sees it. */
async function decoded(history: History): Promise<History> {
  const codec = new AesGcmCodec(keys);
  const copy = temporal.api.history.v1.History.decode(temporal.api.history.v1.History.encode(history).finish());
  for (const { payload } of payloadsIn(copy)) {
    const [plain] = await codec.decode([payload]);
    payload.metadata = plain!.metadata ?? {};
    payload.data = plain!.data ?? new Uint8Array();
  }
  return copy;
}

function withSecretEnv(secret: string): NonNullable<EnginePodInput['pod']> {
  const pod = structuredClone(driverManifest()) as unknown as V1Pod;
  const driver = pod.spec!.containers[0]!;
  driver.env = [...(driver.env ?? []), { name: 'KPL_TEST_SECRET', value: secret }];
  return pod as NonNullable<EnginePodInput['pod']>;
}

const state: { workflowId?: string; history?: History; secret?: string } = {};

test('the detector finds a secret in plain, base64-nested and codec-decoded payloads (so its silence below means something)', async () => {
  const secret = `kpl-secret-${randomUUID()}`;
  const plain = ProtoPayload.fromObject(defaultPayloadConverter.toPayload({ value: secret }));
  const nested = ProtoPayload.fromObject(defaultPayloadConverter.toPayload({ blob: Buffer.from(JSON.stringify({ value: secret })).toString('base64') }));
  const history = (payload: temporal.api.common.v1.Payload): History => ({
    events: [temporal.api.history.v1.HistoryEvent.fromObject({ workflowExecutionStartedEventAttributes: { input: { payloads: [payload] } } })],
  });
  expect(traces(history(plain), secret)).not.toEqual([]);
  expect(traces(history(nested), secret).some((where) => where.includes('base64 inside'))).toBe(true);
  const [encrypted] = await new AesGcmCodec(keys).encode([plain]);
  const sealed = history(ProtoPayload.fromObject(encrypted!));
  expect(traces(sealed, secret)).toEqual([]);
  expect(traces(await decoded(sealed), secret)).not.toEqual([]);
});

test('an engine with a secret in its manifest runs to the end, and its stored history holds only ciphertext', async () => {
  const secret = `kpl-secret-${randomUUID()}`;
  const reasonSecret = `kpl-reason-${randomUUID()}`;
  const tag = suite.leftovers.tag();
  const workflowId = enginePodWorkflowId(NS, tag);
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: withSecretEnv(secret), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  await untilState(handle, 'RUNNING');

  // A query answer never reaches the history: read one as the server returns it.
  const answer = await raw.workflowService.queryWorkflow({ namespace: raw.options.namespace, execution: { workflowId }, query: { queryType: engineStateQuery.name } });
  const [queried] = answer.queryResult?.payloads ?? [];
  expect(text(queried?.metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
  expect((await handle.query(engineStateQuery)).state).toBe('RUNNING');

  const killed = await suite.engines.killEngine(launched, `stop ${reasonSecret}`);
  expect(killed.state).toBe('KILLED');
  const outcome: EngineOutcome = await suite.engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'KILLED', podDeleted: true });
  await untilNoPods(suite.core, NS, tag, 10_000);

  const history = await rawHistory(workflowId);
  expect(traces(history, secret)).toEqual([]);
  expect(traces(history, reasonSecret)).toEqual([]);

  const all = payloadsIn(history);
  // The SDK core writes a local activity's bookkeeping (sequence, attempt, type, times) into
  // its marker itself, past any codec; the activity's result sits beside it, encrypted.
  const bookkeeping = all.filter(({ path }) => /^events\.\d+\.markerRecordedEventAttributes\.details\.data\./.test(path));
  for (const { payload } of bookkeeping) {
    expect(Object.keys(JSON.parse(text(payload.data)) as object).sort()).toEqual(
      ['activity_id', 'activity_type', 'attempt', 'backoff', 'complete_time', 'original_schedule_time', 'seq'],
    );
  }
  const payloads = all.filter((entry) => !bookkeeping.includes(entry));
  const unencrypted = payloads.filter(({ payload }) => text(payload.metadata[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING).map(({ path }) => path);
  expect(unencrypted).toEqual([]);
  expect(new Set(payloads.map(({ payload }) => text(payload.metadata[KEY_ID_METADATA_KEY])))).toEqual(new Set([keys[0]!.id]));
  // Every kind of payload an engine writes was there to be checked.
  const paths = payloads.map(({ path }) => path.replace(/^events\.\d+\./, '').replace(/\.\d+$/, ''));
  for (const expected of [
    'workflowExecutionStartedEventAttributes.input.payloads',
    'activityTaskScheduledEventAttributes.input.payloads',
    'activityTaskCompletedEventAttributes.result.payloads',
    'markerRecordedEventAttributes.details.result.payloads',
    'workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads',
    'workflowExecutionUpdateCompletedEventAttributes.outcome.success.payloads',
    'workflowExecutionCompletedEventAttributes.result.payloads',
    'userMetadata.summary',
  ]) {
    expect(paths).toContain(expected);
  }

  // The key reads it all back: the client's own converter decodes the input.
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = await decodeFromPayloadsAtIndex<EnginePodInput>(suite.engines.temporal.options.loadedDataConverter, 0, started?.input?.payloads);
  expect(input.pod?.spec.containers[0]?.env).toContainEqual({ name: 'KPL_TEST_SECRET', value: secret });
  expect(traces(await decoded(history), secret)).not.toEqual([]);
  expect(traces(await decoded(history), reasonSecret)).not.toEqual([]);
  Object.assign(state, { workflowId, history, secret });
});

test('a client with another key is told which key id it lacks and which variable to fix', async () => {
  expect(state.workflowId).toBeDefined();
  const other = temporalSettings({ ...process.env, KPL_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const wrong = new Client({ connection: raw.connection, namespace: raw.options.namespace, dataConverter: other.dataConverter });
  const result = wrong.workflow.getHandle(state.workflowId!).result();
  await expect(result).rejects.toThrow(`Cannot decrypt a payload encrypted with key id ${keys[0]!.id}: KPL_ENCRYPTION_KEY has keys`);
});

test('a failure message is encrypted too: the stored failure says only "Encoded failure"', async () => {
  const tag = newTag();
  const launched = await suite.engines.launchEngine({ tag, namespace: 'not-managed', pod: driverManifest() });
  const failure = await suite.engines.waitForEngine(launched).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  // With the key, the message is the real one.
  expect((failure as WorkflowFailedError).cause?.message).toContain('is not managed by this installation');

  const history = await rawHistory(enginePodWorkflowId('not-managed', tag));
  expect(traces(history, 'is not managed by this installation')).toEqual([]);
  const failures = failuresIn(history);
  expect(failures.length).toBeGreaterThan(0);
  for (const stored of failures) {
    expect(stored.message).toBe('Encoded failure');
    expect(stored.stackTrace).toBe('');
    expect(text(stored.encodedAttributes?.metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
  }
  expect(traces(await decoded(history), 'is not managed by this installation')).not.toEqual([]);
});

describe('codec server', () => {
  const origin = 'http://localhost:8233';
  let server: http.Server;
  let endpoint: string;
  beforeAll(async () => {
    server = createCodecServer({ codec: new AesGcmCodec(keys), corsOrigins: [origin] });
    endpoint = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  test('decodes the stored workflow input to the plaintext, for the UI origin', async () => {
    const started = state.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    const stored = started?.input?.payloads?.[0] as Payload;
    const response = await post(`${endpoint}/decode`, { payloads: [toJson(stored)] }, { origin, 'x-namespace': 'default' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    const body = (await response.json()) as { payloads: JsonPayload[] };
    const plain = fromJson(body.payloads[0]!);
    expect(text(plain.metadata?.[METADATA_ENCODING_KEY])).toBe('json/plain');
    expect(text(plain.data)).toContain(state.secret);
    // Under a namespace prefix too, as the CLI templates it.
    expect((await post(`${endpoint}/default/decode`, { payloads: [toJson(stored)] })).status).toBe(200);
  });

  test('encodes what it decodes back (the UI encodes signal and start input)', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload({ hello: 'world' }));
    const encoded = (await (await post(`${endpoint}/encode`, { payloads: [plain] })).json()) as { payloads: JsonPayload[] };
    expect(text(fromJson(encoded.payloads[0]!).metadata?.[METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    const back = (await (await post(`${endpoint}/decode`, encoded)).json()) as { payloads: JsonPayload[] };
    expect(back.payloads).toEqual([plain]);
  });

  test('answers the browser preflight for the UI origin only', async () => {
    const preflight = (from: string) =>
      fetch(`${endpoint}/decode`, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    const allowed = await preflight(origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const stranger = await preflight('http://evil.example');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('says what was wrong with a request', async () => {
    const send = (path: string, init: RequestInit) => fetch(`${endpoint}${path}`, init);
    const cases: [string, Promise<Response>, number, RegExp][] = [
      ['not JSON', send('/decode', { method: 'POST', body: '{payloads' }), 400, /not JSON/],
      ['no payloads', post(`${endpoint}/decode`, { items: [] }), 400, /payloads/],
      ['data not base64', post(`${endpoint}/decode`, { payloads: [{ data: 'no base64 here!' }] }), 400, /payloads\.0\.data: must be base64/],
      ['another key', post(`${endpoint}/decode`, { payloads: [toJson((await new AesGcmCodec(loadEncryptionKeys({ KPL_ENCRYPTION_KEY: randomBytes(32).toString('base64') })!).encode([defaultPayloadConverter.toPayload(1)]))[0]!)] }), 422, /Cannot decrypt a payload encrypted with key id/],
      ['GET', send('/decode', { method: 'GET' }), 405, /use POST/],
      ['unknown path', send('/metrics', { method: 'POST', body: '{}' }), 404, /POST \/encode or \/decode/],
    ];
    for (const [what, request, status, message] of cases) {
      const response = await request;
      expect([what, response.status]).toEqual([what, status]);
      expect([what, ((await response.json()) as { error: string }).error]).toEqual([what, expect.stringMatching(message)]);
    }
  });

  test('`kyuubi-pods codec-server` serves the protocol, and Temporal\'s CLI shows the history decoded through it', async () => {
    const child = spawn(process.execPath, [CLI, 'codec-server', '--port', '0', '--json'], { env: { ...process.env, KPL_ENCRYPTION_KEY: KEY } });
    try {
      const started = (await firstJson(child)) as { endpoint: string; keyIds: string[] };
      expect(started.keyIds).toEqual([keys[0]!.id]);
      const stored = state.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] as Payload;
      const response = await post(`${started.endpoint}/decode`, { payloads: [toJson(stored)] });
      expect(response.status).toBe(200);
      expect(text(fromJson(((await response.json()) as { payloads: JsonPayload[] }).payloads[0]!).data)).toContain(state.secret);

      const temporalCli = await ensureBinary('temporal', () => undefined);
      const show = (...extra: string[]) =>
        runProcess(temporalCli, ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS ?? '', '--namespace', raw.options.namespace, '-w', state.workflowId!, '--output', 'json', ...extra]);
      // Its JSON carries payload data as base64.
      const reveals = (output: string) => (output.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).some((run) => Buffer.from(run, 'base64').toString('utf8').includes(state.secret!));
      const plain = await show();
      expect(plain.includes(state.secret!) || reveals(plain)).toBe(false);
      expect(reveals(await show('--codec-endpoint', started.endpoint))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('`kyuubi-pods codec-server` without a usable key exits 2, naming the variable', async () => {
    const unset = await runCli(['codec-server', '--port', '0'], { KPL_ENCRYPTION_KEY: '' }, 20_000);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('KPL_ENCRYPTION_KEY is not set');
    const short = await runCli(['codec-server', '--port', '0'], { KPL_ENCRYPTION_KEY: randomBytes(16).toString('base64') }, 20_000);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('KPL_ENCRYPTION_KEY: must be base64 of 32 random bytes, but it decodes to 16 bytes: make one with `openssl rand -base64 32`');
    const origin = await runCli(['codec-server', '--port', '0', '--cors-origin', '*'], { KPL_ENCRYPTION_KEY: KEY }, 20_000);
    expect(origin.code).toBe(2);
    expect(origin.stderr).toContain('--cors-origin');
  });
});

/** The first complete JSON document a process prints on stdout. */
function firstJson(child: ChildProcessWithoutNullStreams): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no JSON from the codec server within 20 s; stderr: ${err}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        const value: unknown = JSON.parse(out);
        clearTimeout(timer);
        resolve(value);
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`codec server exited ${code}: ${err}`)));
  });
}

function runProcess(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { timeout: 30_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}
