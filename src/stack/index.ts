/**
 * The local real stack: Temporal dev server, etcd, kube-apiserver, kube-scheduler and kwok
 * on 127.0.0.1, driven by `kyuubi-pods stack up|down|env` and by Jest's global setup.
 */
import * as fs from 'node:fs';
import { ensureBinaries, ensureBinary, type LogFn } from './binaries';
import { spawnKwok, waitKwok } from './kwok';
import { spawnApiserver, spawnEtcd, spawnScheduler, waitApiserver, waitEtcd, waitScheduler } from './kube';
import { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, UI_URL, defaultStateDir, statePaths, type StatePaths } from './paths';
import { aliveRecord, stopServer, type PidRecord, type ServerName } from './processes';
import { loadTemporalOptions, spawnTemporal, temporalArgs, waitTemporal, type TemporalOptions } from './temporal';
import type { BinaryName } from './versions';

export type { LogFn } from './binaries';
export type { TemporalOptions } from './temporal';
export type { ServerName } from './processes';
export { FAKE_NODE_NAME } from './kwok';
export { PORTS } from './paths';

export interface StackInfo {
  temporalAddress: string;
  temporalNamespace: string;
  kubeconfigPath: string;
  uiUrl: string;
  stateDir: string;
  /** Servers this call started (empty when everything was already up). */
  startedNow: string[];
}

export interface BaseOptions {
  /** Default `KPL_STACK_DIR`, else `~/.cache/kyuubi-pod-lifecycle/stack` (honours XDG_CACHE_HOME). */
  stateDir?: string;
  /** Progress lines; default stderr. */
  log?: LogFn;
}

export interface StackUpOptions extends BaseOptions {
  /** Per-server readiness timeout, default 180 s. */
  timeoutMs?: number;
  temporal?: TemporalOptions;
  /** A running Temporal started with other flags: restart it (true) or only warn (default). */
  restartTemporalIfConfigDiffers?: boolean;
  /** etcd `--unsafe-no-fsync` (only for a fresh etcd start). */
  etcdUnsafeNoFsync?: boolean;
}

export interface StackDownOptions extends BaseOptions {
  /** Also delete the state dir (SQLite file, etcd data, certs, logs). */
  purge?: boolean;
}

export interface StopOneOptions extends BaseOptions {
  /** SIGTERM by default; crash tests pass SIGKILL. */
  signal?: NodeJS.Signals;
}

export interface StartTemporalOptions extends BaseOptions {
  timeoutMs?: number;
  /** Default: the options of the last start, so a restart after a kill behaves the same. */
  temporal?: TemporalOptions;
}

const defaultLog: LogFn = (line) => process.stderr.write(`[stack] ${line}\n`);

function setup(o: BaseOptions): { paths: StatePaths; log: LogFn } {
  const paths = statePaths(o.stateDir ?? defaultStateDir());
  fs.mkdirSync(paths.root, { recursive: true });
  return { paths, log: o.log ?? defaultLog };
}

function info(paths: StatePaths, startedNow: string[]): StackInfo {
  return {
    temporalAddress: TEMPORAL_ADDRESS,
    temporalNamespace: TEMPORAL_NAMESPACE,
    kubeconfigPath: paths.kubeconfig,
    uiUrl: UI_URL,
    stateDir: paths.root,
    startedNow,
  };
}

type Spawn = (bin: string) => Promise<PidRecord> | PidRecord;
type Wait = (rec: PidRecord) => Promise<void>;

/** Reuses a live recorded server (after it answers) or starts it and waits until it answers. */
async function ensureServer(
  name: ServerName, paths: StatePaths, log: LogFn, bins: Partial<Record<BinaryName, string>>,
  spawn: Spawn, wait: Wait, started: string[],
): Promise<void> {
  const alive = aliveRecord(paths, name);
  if (alive !== undefined) {
    await wait(alive);
    log(`${name} already running (pid ${alive.pid})`);
    return;
  }
  const bin = bins[name] ?? (await ensureBinary(name, log));
  const t0 = Date.now();
  const rec = await spawn(bin);
  log(`${name} starting (pid ${rec.pid})`);
  await wait(rec);
  started.push(name);
  log(`${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export async function stackUp(options: StackUpOptions = {}): Promise<StackInfo> {
  const { paths, log } = setup(options);
  const timeout = options.timeoutMs ?? 180_000;
  const temporalOptions = options.temporal ?? {};
  const names: ServerName[] = ['temporal', 'etcd', 'kube-apiserver', 'kube-scheduler', 'kwok'];
  // Build what is missing before starting anything: a cold build takes minutes.
  const bins = await ensureBinaries(names.filter((n) => aliveRecord(paths, n) === undefined), log);
  const started: string[] = [];

  const running = aliveRecord(paths, 'temporal');
  if (running !== undefined && running.args.join('\0') !== temporalArgs(paths, temporalOptions).join('\0')) {
    if (options.restartTemporalIfConfigDiffers === true) {
      log('temporal runs with other flags; restarting it on the same database');
      await stopServer(paths, 'temporal');
    } else {
      log('warning: temporal already runs with other flags than requested (dynamic config?); keeping it');
    }
  }

  const temporal = ensureServer('temporal', paths, log, bins,
    (bin) => spawnTemporal(paths, bin, temporalOptions), (rec) => waitTemporal(paths, rec, timeout), started);
  const kube = (async () => {
    await ensureServer('etcd', paths, log, bins,
      (bin) => spawnEtcd(paths, bin, options), (rec) => waitEtcd(paths, rec, timeout), started);
    await ensureServer('kube-apiserver', paths, log, bins,
      (bin) => spawnApiserver(paths, bin), (rec) => waitApiserver(paths, rec, timeout), started);
    await settleAll([
      ensureServer('kube-scheduler', paths, log, bins,
        (bin) => spawnScheduler(paths, bin), (rec) => waitScheduler(paths, rec, timeout), started),
      ensureServer('kwok', paths, log, bins,
        (bin) => spawnKwok(paths, bin), (rec) => waitKwok(paths, rec, timeout), started),
    ]);
  })();
  try {
    await settleAll([temporal, kube]);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`stack up failed: ${msg}\n(servers that did start keep running; \`stack down\` stops them)`);
  }
  return info(paths, started);
}

/** Like Promise.all, but waits for every branch so none is left running unobserved. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length === 0) return;
  const messages = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
  throw new Error(messages.join('\n---\n'));
}

export async function stackDown(options: StackDownOptions = {}): Promise<void> {
  const { paths, log } = setup(options);
  const stop = async (name: ServerName): Promise<void> => {
    if (await stopServer(paths, name)) log(`${name} stopped`);
  };
  // Clients first, storage last: the apiserver must not outlive etcd for long, nor kwok it.
  const kube = (async () => {
    await settleAll([stop('kwok'), stop('kube-scheduler')]);
    await stop('kube-apiserver');
    await stop('etcd');
  })();
  await settleAll([stop('temporal'), kube]);
  if (options.purge === true) {
    fs.rmSync(paths.root, { recursive: true, force: true });
    log(`removed ${paths.root}`);
  }
}

/** Where the stack is (whether or not it runs). */
export function stackEnv(options: BaseOptions = {}): StackInfo {
  return info(statePaths(options.stateDir ?? defaultStateDir()), []);
}

/** The shell lines `stack env` prints: `eval "$(kyuubi-pods stack env)"`. */
export function formatStackEnv(i: StackInfo): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    `export TEMPORAL_ADDRESS=${quote(i.temporalAddress)}`,
    `export TEMPORAL_NAMESPACE=${quote(i.temporalNamespace)}`,
    `export KUBECONFIG=${quote(i.kubeconfigPath)}`,
  ].join('\n');
}

/** Which recorded servers are alive, by PID (no network calls). */
export function stackStatus(options: BaseOptions = {}): Record<ServerName, number | undefined> {
  const paths = statePaths(options.stateDir ?? defaultStateDir());
  const names: ServerName[] = ['temporal', 'etcd', 'kube-apiserver', 'kube-scheduler', 'kwok'];
  return Object.fromEntries(names.map((n) => [n, aliveRecord(paths, n)?.pid])) as Record<ServerName, number | undefined>;
}

export async function stopTemporal(options: StopOneOptions = {}): Promise<void> {
  const { paths, log } = setup(options);
  if (await stopServer(paths, 'temporal', { signal: options.signal })) log(`temporal stopped (${options.signal ?? 'SIGTERM'})`);
}

export async function startTemporal(options: StartTemporalOptions = {}): Promise<void> {
  const { paths, log } = setup(options);
  const o = options.temporal ?? loadTemporalOptions(paths);
  await ensureServer('temporal', paths, log, {}, (bin) => spawnTemporal(paths, bin, o),
    (rec) => waitTemporal(paths, rec, options.timeoutMs ?? 180_000), []);
}

export async function stopApiserver(options: StopOneOptions = {}): Promise<void> {
  const { paths, log } = setup(options);
  if (await stopServer(paths, 'kube-apiserver', { signal: options.signal })) {
    log(`kube-apiserver stopped (${options.signal ?? 'SIGTERM'})`);
  }
}

/** Restarts the apiserver on the same etcd data; the scheduler and kwok reconnect by themselves. */
export async function startApiserver(options: BaseOptions & { timeoutMs?: number } = {}): Promise<void> {
  const { paths, log } = setup(options);
  await ensureServer('kube-apiserver', paths, log, {}, (bin) => spawnApiserver(paths, bin),
    (rec) => waitApiserver(paths, rec, options.timeoutMs ?? 180_000), []);
}
