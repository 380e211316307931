/**
 * deploy/ against the code it deploys: the Role grants exactly the verbs the worker uses,
 * the names refer to each other, the settings pass the worker's own validation, and the
 * kubelet waits longer than the worker drains.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config';
import { POD_VERBS } from '../../src/k8s/kube';
import { DEPLOY_DIR, renderDeploy } from '../helpers/deploy-manifests';

/**
 * After KPL_SHUTDOWN_GRACE the SDK cancels what still runs, waits for those activities to
 * return, stops the pod watches and closes its connections. Ten seconds covers that with
 * room to spare; less and the kubelet's SIGKILL can cut a pod delete in flight.
 */
const MIN_SHUTDOWN_MARGIN_MS = 10_000;

/** What is wrong with a grace period pair, or undefined when the kubelet waits long enough. */
function gracePeriodProblem(terminationGracePeriodSeconds: number | undefined, shutdownGraceMs: number): string | undefined {
  // Kubernetes' default when the field is absent.
  const kubeletWaitMs = (terminationGracePeriodSeconds ?? 30) * 1000;
  const margin = kubeletWaitMs - shutdownGraceMs;
  if (margin >= MIN_SHUTDOWN_MARGIN_MS) return undefined;
  return (
    `terminationGracePeriodSeconds (${kubeletWaitMs / 1000}s) leaves ${margin / 1000}s after KPL_SHUTDOWN_GRACE ` +
    `(${shutdownGraceMs / 1000}s); it needs at least ${MIN_SHUTDOWN_MARGIN_MS / 1000}s: raise it in deploy/deployment.yaml`
  );
}

/** The container's environment as the kubelet builds it: envFrom ConfigMap, then env, $(VAR) expanded. */
function containerEnv(container: V1Container, configMapData: Record<string, string>, namespace: string): Record<string, string> {
  const env: Record<string, string> = { ...configMapData };
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[variable.name] = namespace;
    else if (variable.value !== undefined) env[variable.name] = variable.value.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? `$(${name})`);
  }
  return env;
}

function worker(deployment: V1Deployment): V1Container {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  expect(containers).toHaveLength(1);
  return containers[0]!;
}

const deploy = renderDeploy();
const namespace = deploy.kustomization.namespace ?? 'default';

test('the Role grants exactly the verbs the worker uses, on pods only, with no wildcard', () => {
  expect(deploy.role.rules).toHaveLength(1);
  const [rule] = deploy.role.rules ?? [];
  expect(rule?.apiGroups).toEqual(['']);
  expect(rule?.resources).toEqual(['pods']);
  expect(rule?.resourceNames).toBeUndefined();
  expect(rule?.nonResourceURLs).toBeUndefined();
  expect([...(rule?.verbs ?? [])].sort()).toEqual([...POD_VERBS].sort());
});

test('the ServiceAccount, Role, RoleBinding and Deployment name each other', () => {
  const saName = deploy.serviceAccount.metadata?.name;
  expect(deploy.roleBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: deploy.role.metadata?.name });
  expect(deploy.roleBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: saName, namespace }]);
  expect(deploy.deployment.spec?.template.spec?.serviceAccountName).toBe(saName);
  const envFrom = worker(deploy.deployment).envFrom ?? [];
  expect(envFrom.map((source) => source.configMapRef?.name).filter(Boolean)).toEqual([deploy.configMap.metadata?.name]);
});

test('the kustomization lists every manifest in deploy/', () => {
  const manifests = readdirSync(DEPLOY_DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
  expect([...deploy.kustomization.resources].sort()).toEqual(manifests.sort());
});

test('the worker settings in deploy/ pass the worker’s own validation and match the container', () => {
  const env = containerEnv(worker(deploy.deployment), deploy.configMap.data ?? {}, namespace);
  const config = loadConfig(env);
  expect(config.namespaces).toEqual([namespace]);
  const metricsPort = worker(deploy.deployment).ports?.find((port) => port.name === 'metrics')?.containerPort;
  expect(config.metricsPort).toBe(metricsPort);
  expect(deploy.deployment.spec?.template.metadata?.annotations?.['prometheus.io/port']).toBe(String(metricsPort));
});

test('the kubelet waits for the worker to drain: terminationGracePeriodSeconds exceeds KPL_SHUTDOWN_GRACE with a margin', () => {
  const env = containerEnv(worker(deploy.deployment), deploy.configMap.data ?? {}, namespace);
  const { shutdownGraceMs } = loadConfig(env);
  expect(gracePeriodProblem(deploy.deployment.spec?.template.spec?.terminationGracePeriodSeconds, shutdownGraceMs)).toBeUndefined();
});

test.each([
  { seconds: 45, graceMs: 30_000, ok: true },
  { seconds: 40, graceMs: 30_000, ok: true },
  { seconds: 39, graceMs: 30_000, ok: false },
  { seconds: 30, graceMs: 30_000, ok: false },
  { seconds: undefined, graceMs: 30_000, ok: false },
  { seconds: undefined, graceMs: 20_000, ok: true },
  { seconds: 70, graceMs: 60_000, ok: true },
])('grace period $seconds s against KPL_SHUTDOWN_GRACE $graceMs ms: ok=$ok', ({ seconds, graceMs, ok }) => {
  const problem = gracePeriodProblem(seconds, graceMs);
  if (ok) expect(problem).toBeUndefined();
  else expect(problem).toMatch(/terminationGracePeriodSeconds .* raise it in deploy\/deployment.yaml/);
});

test('deploy/README.md says why each granted verb is needed', () => {
  const readme = readFileSync(path.join(DEPLOY_DIR, 'README.md'), 'utf8');
  for (const verb of POD_VERBS) expect(readme).toMatch(new RegExp(`^\\| \`${verb}\` \\| \\S`, 'm'));
});
