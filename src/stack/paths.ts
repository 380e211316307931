/**
 * Where the local stack keeps things (cache, state, package files) and which loopback
 * ports it listens on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PACKAGE_NAME } from '../contract/names';

export const HOST = '127.0.0.1';

/**
 * Fixed ports: clients (tests, the CLI, a user's shell after `stack env`) must find the
 * servers without asking us. etcd and the scheduler use non-default ports so a user's
 * own etcd or cluster components on the default ones do not clash.
 * `KPL_STACK_PORT_OFFSET` shifts them all, so a second stack (the soak, the benchmarks)
 * can run beside the one the tests and a developer share; give it its own `KPL_STACK_DIR`.
 */
export const PORT_OFFSET = portOffset(process.env.KPL_STACK_PORT_OFFSET);

export const PORTS = {
  temporal: 7233 + PORT_OFFSET,
  temporalUi: 8233 + PORT_OFFSET,
  etcdClient: 12379 + PORT_OFFSET,
  etcdPeer: 12380 + PORT_OFFSET,
  apiserver: 6443 + PORT_OFFSET,
  scheduler: 12259 + PORT_OFFSET,
  kwok: 12260 + PORT_OFFSET,
} as const;

export function portOffset(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const offset = Number(raw);
  if (!Number.isInteger(offset) || offset < 0 || offset > 20_000) {
    throw new Error(
      `KPL_STACK_PORT_OFFSET=${JSON.stringify(raw)} is not a whole number from 0 to 20000; ` +
        'set it to e.g. 10000 to move every stack port up by 10000 (a smaller offset can land on the other stack\'s ports), or unset it.',
    );
  }
  return offset;
}

export const TEMPORAL_ADDRESS = `${HOST}:${PORTS.temporal}`;
export const TEMPORAL_NAMESPACE = 'default';
export const UI_URL = `http://${HOST}:${PORTS.temporalUi}`;
export const APISERVER_URL = `https://${HOST}:${PORTS.apiserver}`;
export const ETCD_URL = `http://${HOST}:${PORTS.etcdClient}`;

export function cacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, PACKAGE_NAME);
}

export function binCacheDir(): string {
  return path.join(cacheRoot(), 'bin');
}

export function defaultStateDir(): string {
  const fromEnv = process.env.KPL_STACK_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? path.resolve(fromEnv) : path.join(cacheRoot(), 'stack');
}

let cachedPackageRoot: string | undefined;

/**
 * The directory holding our package.json. Found by walking up because this file runs
 * both as `src/stack/*.ts` (Jest) and as `dist/src/stack/*.js` (after tsc).
 */
export function packageRoot(): string {
  if (cachedPackageRoot !== undefined) return cachedPackageRoot;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: unknown };
        if (pkg.name === PACKAGE_NAME) {
          cachedPackageRoot = dir;
          return dir;
        }
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    }
    dir = parent;
  }
}

/** The Go wrapper modules live in the package source, shipped with it (package.json `files`). */
export function goModuleDir(name: string): string {
  return path.join(packageRoot(), 'src', 'stack', 'go', name);
}

export function kwokStageDir(): string {
  return path.join(packageRoot(), 'src', 'stack', 'kwok');
}

/** Layout of the state dir. */
export function statePaths(stateDir: string) {
  const kube = path.join(stateDir, 'kube');
  return {
    root: stateDir,
    pids: path.join(stateDir, 'pids'),
    logs: path.join(stateDir, 'logs'),
    temporalDb: path.join(stateDir, 'temporal.sqlite'),
    temporalConfig: path.join(stateDir, 'temporal-options.json'),
    etcdData: path.join(stateDir, 'etcd'),
    kube,
    certDir: path.join(kube, 'certs'),
    token: path.join(kube, 'admin-token'),
    tokenAuthFile: path.join(kube, 'tokens.csv'),
    serviceAccountKey: path.join(kube, 'sa.key'),
    kubeconfig: path.join(stateDir, 'kubeconfig'),
    auditPolicy: path.join(kube, 'audit-policy.yaml'),
    /** JSON lines, one audit event each: pod creates and deletes only (see kube.ts). */
    auditLog: path.join(stateDir, 'logs', 'kube-apiserver-audit.log'),
  };
}
export type StatePaths = ReturnType<typeof statePaths>;
