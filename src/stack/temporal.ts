/**
 * The Temporal CLI dev server: SQLite file in the state dir, our search attributes
 * registered, ready only once a real gRPC round trip through frontend, history and
 * matching succeeds.
 */
import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_KIND } from '../contract/names';
import { HOST, PORTS, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, UI_URL, type StatePaths } from './paths';
import { assertPortsFree, spawnServer, waitReady, type PidRecord } from './processes';

export interface TemporalOptions {
  /** `--dynamic-config-value KEY=<json>` entries, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 50 }`. */
  dynamicConfig?: Record<string, unknown>;
  /**
   * `--sqlite-pragma K=V` entries. Default none: durable writes, which the crash tests
   * (SIGKILL and restart on the same file) need.
   */
  sqlitePragmas?: Record<string, string>;
  /** Appended verbatim to `temporal server start-dev`. */
  extraArgs?: string[];
}

const GRPC_NOT_FOUND = 5;

/**
 * Always set, under the caller's values. Eager activity dispatch hands the activity a
 * workflow task schedules (deletePod after a pod ends) straight back to the worker that
 * completed the task, skipping a round through the queue; the SDK asks for it by default,
 * the server grants it only behind this flag (recommended for a production server too).
 */
export const STACK_DYNAMIC_CONFIG: Record<string, unknown> = { 'system.enableActivityEagerExecution': true };

export function temporalArgs(paths: StatePaths, o: TemporalOptions): string[] {
  const args = [
    'server', 'start-dev',
    '--ip', HOST,
    '--port', String(PORTS.temporal),
    '--ui-port', String(PORTS.temporalUi),
    '--db-filename', paths.temporalDb,
    '--namespace', TEMPORAL_NAMESPACE,
    '--log-format', 'json',
  ];
  for (const name of Object.values(SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${name}=${SEARCH_ATTRIBUTE_KIND}`);
  }
  for (const [key, value] of Object.entries({ ...STACK_DYNAMIC_CONFIG, ...o.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  for (const [key, value] of Object.entries(o.sqlitePragmas ?? {})) {
    args.push('--sqlite-pragma', `${key}=${value}`);
  }
  args.push(...(o.extraArgs ?? []));
  return args;
}

/** Remembers the options so a bare `startTemporal()` after a crash test's kill restarts alike. */
export function saveTemporalOptions(paths: StatePaths, o: TemporalOptions): void {
  fs.mkdirSync(paths.root, { recursive: true });
  fs.writeFileSync(paths.temporalConfig, JSON.stringify(o));
}

export function loadTemporalOptions(paths: StatePaths): TemporalOptions {
  try {
    return JSON.parse(fs.readFileSync(paths.temporalConfig, 'utf8')) as TemporalOptions;
  } catch {
    return {};
  }
}

export async function spawnTemporal(paths: StatePaths, bin: string, o: TemporalOptions): Promise<PidRecord> {
  await assertPortsFree('temporal', HOST, [PORTS.temporal, PORTS.temporalUi]);
  saveTemporalOptions(paths, o);
  return spawnServer(paths, 'temporal', bin, temporalArgs(paths, o));
}

/** One readiness probe; throws with the reason when the server is not there yet. */
export async function temporalAnswers(): Promise<boolean> {
  const connection = await Connection.connect({ address: TEMPORAL_ADDRESS, connectTimeout: '2s' });
  try {
    return await connection.withDeadline(Date.now() + 5000, async () => {
      const svc = connection.workflowService;
      await svc.describeNamespace({ namespace: TEMPORAL_NAMESPACE });
      // "Not enough hosts to serve the request" comes from history/matching membership
      // after a restart: probe both services, not only the frontend.
      try {
        await svc.describeWorkflowExecution({
          namespace: TEMPORAL_NAMESPACE,
          execution: { workflowId: `kpl-stack-probe-${randomUUID()}` },
        });
      } catch (err) {
        const code: number | undefined = isGrpcServiceError(err) ? err.code : undefined;
        if (code !== GRPC_NOT_FOUND) throw err;
      }
      await svc.describeTaskQueue({ namespace: TEMPORAL_NAMESPACE, taskQueue: { name: 'kpl-stack-probe' } });
      await ensureSearchAttributes(connection);
      const ui = await fetch(UI_URL, { signal: AbortSignal.timeout(3000) });
      if (!ui.ok) throw new Error(`Temporal UI ${UI_URL} answered ${ui.status}`);
      return true;
    });
  } finally {
    await connection.close();
  }
}

/** The dev server registers them from its flags; this covers a server started without them. */
async function ensureSearchAttributes(connection: Connection): Promise<void> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace: TEMPORAL_NAMESPACE });
  const have = new Set(Object.keys(listed.customAttributes ?? {}));
  const missing = Object.values(SEARCH_ATTRIBUTES).filter((name) => !have.has(name));
  if (missing.length === 0) return;
  const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
  await connection.operatorService.addSearchAttributes({
    namespace: TEMPORAL_NAMESPACE,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
  });
}

export async function waitTemporal(paths: StatePaths, rec: PidRecord, timeoutMs: number): Promise<void> {
  await waitReady(temporalAnswers, {
    dirs: paths,
    name: 'temporal',
    rec,
    timeoutMs,
    what: `gRPC ${TEMPORAL_ADDRESS} namespace ${TEMPORAL_NAMESPACE}`,
  });
}
