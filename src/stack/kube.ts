/**
 * etcd, kube-apiserver (envtest-style flags) and kube-scheduler on loopback.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ETCD_URL, HOST, PORTS, type StatePaths } from './paths';
import { assertPortsFree, spawnServer, waitReady, type PidRecord } from './processes';
import { ensureCredentials, insecureGet, kubeRequest, writeKubeconfig } from './kube-api';

export interface KubeOptions {
  /**
   * etcd `--unsafe-no-fsync`: faster for large benchmarks, but writes acknowledged just
   * before a machine crash may be lost. Off by default.
   */
  etcdUnsafeNoFsync?: boolean;
}

export async function spawnEtcd(paths: StatePaths, bin: string, o: KubeOptions): Promise<PidRecord> {
  await assertPortsFree('etcd', HOST, [PORTS.etcdClient, PORTS.etcdPeer]);
  fs.mkdirSync(paths.etcdData, { recursive: true, mode: 0o700 });
  const peer = `http://${HOST}:${PORTS.etcdPeer}`;
  const args = [
    '--name', 'kpl',
    '--data-dir', paths.etcdData,
    '--listen-client-urls', ETCD_URL,
    '--advertise-client-urls', ETCD_URL,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `kpl=${peer}`,
    '--initial-cluster-state', 'new',
    // 12,000-pod benchmarks leave many revisions; the apiserver compacts every 5 min.
    '--quota-backend-bytes', String(8 * 1024 ** 3),
    '--log-level', 'warn',
  ];
  if (o.etcdUnsafeNoFsync === true) args.push('--unsafe-no-fsync');
  return spawnServer(paths, 'etcd', bin, args);
}

export async function etcdAnswers(): Promise<boolean> {
  const res = await fetch(`${ETCD_URL}/health`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { health?: unknown };
  return res.ok && body.health === 'true';
}

export async function waitEtcd(paths: StatePaths, rec: PidRecord, timeoutMs: number): Promise<void> {
  await waitReady(etcdAnswers, { dirs: paths, name: 'etcd', rec, timeoutMs, what: `${ETCD_URL}/health` });
}

/**
 * The audit policy of the local apiserver: pod creates and deletes only, at Metadata level
 * (who, what, when, response code; no bodies), and no RequestReceived stage, so every
 * request is one line. Tests count DELETEs per pod in it; everything else stays out to
 * keep the log small during 12,000-pod benchmarks.
 */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["pods"]
    verbs: ["create", "delete", "deletecollection"]
  - level: None
`;

/** Megabytes before the audit log rotates, and rotated files kept (tests read them too). */
export const AUDIT_LOG_MAX_MB = 100;
export const AUDIT_LOG_MAX_BACKUPS = 3;

export function writeAuditPolicy(paths: StatePaths): void {
  fs.mkdirSync(path.dirname(paths.auditPolicy), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.dirname(paths.auditLog), { recursive: true });
  fs.writeFileSync(paths.auditPolicy, AUDIT_POLICY);
}

export async function spawnApiserver(paths: StatePaths, bin: string): Promise<PidRecord> {
  await assertPortsFree('kube-apiserver', HOST, [PORTS.apiserver]);
  ensureCredentials(paths);
  writeAuditPolicy(paths);
  const args = [
    `--etcd-servers=${ETCD_URL}`,
    `--bind-address=${HOST}`,
    // With no default route the apiserver cannot pick an address itself.
    `--advertise-address=${HOST}`,
    `--secure-port=${PORTS.apiserver}`,
    `--cert-dir=${paths.certDir}`,
    `--token-auth-file=${paths.tokenAuthFile}`,
    '--authorization-mode=RBAC',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${paths.serviceAccountKey}`,
    `--service-account-signing-key-file=${paths.serviceAccountKey}`,
    '--allow-privileged=true',
    // No controller-manager runs: nothing would create the default ServiceAccounts a pod
    // names, nor lift the not-ready taint that TaintNodesByCondition puts on a new node.
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
    // A loopback advertise address cannot go into the `kubernetes` Endpoints.
    '--endpoint-reconciler-type=none',
    '--anonymous-auth=false',
    `--audit-policy-file=${paths.auditPolicy}`,
    `--audit-log-path=${paths.auditLog}`,
    '--audit-log-format=json',
    // The log backend blocks (its default), yet ResponseComplete is written as the handler
    // returns, possibly just after the client has its answer: readers poll.
    `--audit-log-maxsize=${AUDIT_LOG_MAX_MB}`,
    `--audit-log-maxbackup=${AUDIT_LOG_MAX_BACKUPS}`,
  ];
  return spawnServer(paths, 'kube-apiserver', bin, args);
}

export async function apiserverAnswers(paths: StatePaths): Promise<boolean> {
  const ready = await kubeRequest(paths, 'GET', '/readyz');
  if (ready.status !== 200) throw new Error(`/readyz answered ${ready.status}: ${ready.body.slice(0, 300)}`);
  // The apiserver creates `default` itself, shortly after /readyz turns green.
  const ns = await kubeRequest(paths, 'GET', '/api/v1/namespaces/default');
  if (ns.status !== 200) throw new Error(`namespace default: ${ns.status}`);
  return true;
}

export async function waitApiserver(paths: StatePaths, rec: PidRecord, timeoutMs: number): Promise<void> {
  await waitReady(() => apiserverAnswers(paths), {
    dirs: paths,
    name: 'kube-apiserver',
    rec,
    timeoutMs,
    what: `https://${HOST}:${PORTS.apiserver}/readyz and namespace default`,
  });
  writeKubeconfig(paths);
}

export async function spawnScheduler(paths: StatePaths, bin: string): Promise<PidRecord> {
  await assertPortsFree('kube-scheduler', HOST, [PORTS.scheduler]);
  const args = [
    `--kubeconfig=${paths.kubeconfig}`,
    `--bind-address=${HOST}`,
    `--secure-port=${PORTS.scheduler}`,
    `--cert-dir=${path.join(paths.kube, 'scheduler-certs')}`,
    // One scheduler, no lease round trips before it starts binding pods.
    '--leader-elect=false',
    // The default 50 QPS would take minutes to bind a 12,000-pod benchmark.
    '--kube-api-qps=5000',
    '--kube-api-burst=10000',
  ];
  return spawnServer(paths, 'kube-scheduler', bin, args);
}

export async function schedulerAnswers(): Promise<boolean> {
  const res = await insecureGet(PORTS.scheduler, '/healthz');
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}: ${res.body.slice(0, 200)}`);
  return true;
}

export async function waitScheduler(paths: StatePaths, rec: PidRecord, timeoutMs: number): Promise<void> {
  await waitReady(schedulerAnswers, {
    dirs: paths,
    name: 'kube-scheduler',
    rec,
    timeoutMs,
    what: `https://${HOST}:${PORTS.scheduler}/healthz`,
  });
}
