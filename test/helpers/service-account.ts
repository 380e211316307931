/**
 * The worker as deploy/ runs it, on the local apiserver: deploy/'s ServiceAccount, Role
 * and RoleBinding created in a test namespace, a token for that account from the
 * TokenRequest API, and a worker whose Kubernetes client authenticates with it.
 */
import { ApiException, CoreV1Api, KubeConfig, type KubernetesObject, type V1Role } from '@kubernetes/client-node';
import https from 'node:https';
import { createKube } from '../../src/k8s/kube';
import { renderDeploy } from './deploy-manifests';
import { startWorker, type TestWorker } from './env';

const FIELD_MANAGER = 'kyuubi-pod-lifecycle-tests';

export function adminKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

/** The kinds deploy/ holds, each served under its lower-cased plural. */
const APPLIED_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'ConfigMap']);

/**
 * Server-side apply of a manifest as written, as `kubectl apply --server-side
 * [--dry-run=server]` sends it, with strict field validation. Not through the client's
 * typed serializer: that drops unknown fields, so a misspelt field would never reach the
 * apiserver to be refused.
 */
export async function applyObject<T extends KubernetesObject>(config: KubeConfig, object: T, options: { dryRun?: boolean } = {}): Promise<T> {
  const { apiVersion, kind, metadata } = object;
  if (!kind || !APPLIED_KINDS.has(kind) || !apiVersion || !metadata?.name || !metadata.namespace) {
    throw new Error(`applyObject takes a namespaced ${[...APPLIED_KINDS].join('/')} with a name, not ${kind} ${metadata?.name}`);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
  const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true', fieldValidation: 'Strict', ...(options.dryRun ? { dryRun: 'All' } : {}) });
  const url = new URL(`${base}/namespaces/${metadata.namespace}/${kind.toLowerCase()}s/${metadata.name}?${query.toString()}`, cluster.server);
  const request: https.RequestOptions = { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml', accept: 'application/json' } };
  await config.applyToHTTPSOptions(request);
  const body = JSON.stringify(object);
  const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(url, request, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  if (response.status >= 300) throw new ApiException(response.status, `apply ${kind} ${metadata.namespace}/${metadata.name}`, response.text, {});
  return JSON.parse(response.text) as T;
}

export interface Identity {
  serviceAccount: string;
  namespace: string;
  /** The username the apiserver sees (audit log, RBAC messages). */
  username: string;
  token: string;
  kubeConfig: KubeConfig;
}

/**
 * Creates deploy/'s ServiceAccount, Role and RoleBinding in `namespace` (the Role changed
 * by `editRole` when given) and returns a token for the account.
 */
export async function deployIdentity(namespace: string, editRole: (role: V1Role) => V1Role = (role) => role): Promise<Identity> {
  const admin = adminKubeConfig();
  const deploy = renderDeploy(namespace);
  await applyObject(admin, deploy.serviceAccount);
  await applyObject(admin, editRole(deploy.role));
  await applyObject(admin, deploy.roleBinding);
  const serviceAccount = deploy.serviceAccount.metadata?.name ?? '';
  return identityOf(namespace, serviceAccount);
}

/** A token for an existing ServiceAccount and a KubeConfig that uses only it. */
export async function identityOf(namespace: string, serviceAccount: string): Promise<Identity> {
  const admin = adminKubeConfig();
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    // The minimum the apiserver accepts; a test is over long before.
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  return { serviceAccount, namespace, username: `system:serviceaccount:${namespace}:${serviceAccount}`, token, kubeConfig: tokenKubeConfig(admin, token, namespace) };
}

/** The admin kubeconfig's cluster (URL and CA), with a bearer token as the only credential. */
export function tokenKubeConfig(admin: KubeConfig, token: string, namespace: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the stack kubeconfig names no cluster: is KUBECONFIG set by the global setup?');
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'service-account', token }],
    contexts: [{ name: 'service-account', cluster: cluster.name, user: 'service-account', namespace }],
    currentContext: 'service-account',
  });
  return config;
}

/** A worker in this process, on a queue of its own, whose Kubernetes client is `kubeConfig`. */
export function startWorkerAs(kubeConfig: KubeConfig, env: Record<string, string> = {}): Promise<TestWorker> {
  return startWorker(env, { kube: createKube(undefined, kubeConfig) });
}
