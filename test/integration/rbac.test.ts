/**
 * deploy/'s RBAC on the real apiserver: the manifests are accepted; a worker holding only
 * the ServiceAccount's token runs an engine's whole life and a recovery pass; the token can
 * do nothing beyond the Role; and without `delete` the engine's pod stays, so these tests
 * can fail.
 */
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1PolicyRule,
  type V1ResourceRule,
  type V1Role,
} from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { POD_VERBS, statusCode } from '../../src/k8s/kube';
import type { RecoveryReport } from '../../src/recovery/plan';
import { recoveryWorkflowId } from '../../src/contract/names';
import { auditEventsOf, FAKE_KUBELET_USER_AGENT, type AuditEvent } from '../helpers/audit';
import { renderDeploy } from '../helpers/deploy-manifests';
import { untilNoPods } from '../helpers/engine';
import { driverManifest, eventually, kubeApi, newTag, podsWithTag, temporalClient, type TestWorker } from '../helpers/env';
import { createNamespace, createOrphan, podExists } from '../helpers/orphans';
import { endWorkflows, removeNamespace, untilTerminatedFor } from '../helpers/recovery';
import { adminKubeConfig, applyObject, deployIdentity, identityOf, startWorkerAs, type Identity } from '../helpers/service-account';

const RETAIN_MS = 1_000;
const WORKER_ENV = { KPL_DEFAULT_RETAIN_PERIOD: `${RETAIN_MS / 1000}s`, KPL_SHUTDOWN_GRACE: '2s' };

let core: CoreV1Api;
let admin: KubeConfig;
let objects: KubernetesObjectApi;
let temporal: Client;
const namespaces: string[] = [];
const workers: TestWorker[] = [];

beforeAll(async () => {
  core = kubeApi();
  admin = adminKubeConfig();
  objects = KubernetesObjectApi.makeApiClient(admin);
  temporal = await temporalClient();
});

afterAll(async () => {
  // Workflows first: a stopping worker waits out its grace for watches that ending them cancels.
  for (const ns of namespaces) await endWorkflows(temporal, ns);
  for (const worker of workers) await worker.stop();
  for (const ns of namespaces) {
    // No namespace controller runs locally: remove what the namespace holds ourselves.
    for (const object of renderDeploy(ns).objects) await objects.delete(object).catch(() => undefined);
    await core.deleteNamespacedServiceAccount({ namespace: ns, name: NOBODY }).catch(() => undefined);
    await removeNamespace(core, ns);
  }
  await temporal?.connection.close();
});

async function freshNamespace(prefix: string): Promise<string> {
  const ns = await createNamespace(core, prefix);
  namespaces.push(ns);
  return ns;
}

async function workerAs(identity: Identity, env: Record<string, string> = {}): Promise<TestWorker> {
  const worker = await startWorkerAs(identity.kubeConfig, { KPL_NAMESPACES: identity.namespace, ...WORKER_ENV, ...env });
  workers.push(worker);
  return worker;
}

/** Completed pod creates and deletes on one pod, leaving out the fake kubelet's final delete. */
async function requestsOn(ns: string, pod: string, expected: number): Promise<AuditEvent[]> {
  return eventually(async () => {
    const events = (await auditEventsOf(ns)).filter((e) => e.objectRef?.name === pod && !FAKE_KUBELET_USER_AGENT.test(e.userAgent ?? ''));
    return events.length >= expected ? events : undefined;
  }, `${expected} audited requests on pod ${ns}/${pod}`);
}

const NOBODY = 'nobody';
const podRule = (verbs: readonly string[]) => ({ apiGroups: [''], resources: ['pods'], verbs: [...verbs].sort() });
const normalRule = (rule: V1ResourceRule | V1PolicyRule) => ({
  apiGroups: rule.apiGroups ?? [],
  resources: [...(rule.resources ?? [])].sort(),
  verbs: [...rule.verbs].sort(),
  ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}),
});

test('every deploy/ manifest is accepted by the apiserver (server-side apply, dryRun=All) and nothing is created', async () => {
  const ns = await freshNamespace('rbac-dry-run');
  const deploy = renderDeploy(ns);
  expect(deploy.objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Role', 'RoleBinding', 'ServiceAccount']);
  for (const object of deploy.objects) {
    const applied = await applyObject(admin, object, { dryRun: true });
    expect(applied).toMatchObject({ kind: object.kind, metadata: { name: object.metadata?.name, namespace: ns } });
  }
  for (const object of deploy.objects) {
    await expect(objects.read(object as KubernetesObject & { metadata: { name: string } })).rejects.toMatchObject({ code: 404 });
  }
  // The check has teeth: a misspelt field is refused, not dropped (here the one that would
  // silently give the worker the default 30 s to drain).
  const podSpec = deploy.deployment.spec?.template.spec;
  const { terminationGracePeriodSeconds: _renamed, ...rest } = podSpec ?? { containers: [] };
  const misspelt = { ...deploy.deployment, spec: { ...deploy.deployment.spec, template: { ...deploy.deployment.spec?.template, spec: { ...rest, terminationGracePeriod: 45 } } } };
  const refused: unknown = await applyObject(admin, misspelt, { dryRun: true }).catch((error: unknown) => error);
  // Server-side apply answers a field outside the schema with 500 (the typed patch cannot be built).
  expect(statusCode(refused)).toBe(500);
  expect((refused as ApiException<string>).body).toContain('.spec.template.spec.terminationGracePeriod: field not declared in schema');
});

describe('the worker holding only the ServiceAccount token of deploy/', () => {
  let ns: string;
  let identity: Identity;

  beforeAll(async () => {
    ns = await freshNamespace('rbac');
    identity = await deployIdentity(ns);
  });

  test('runs recovery, deleting an orphan, and an engine life from create to delete', async () => {
    const orphan = await createOrphan(core, ns, { exitAfter: '0s' });
    const orphanName = orphan.metadata?.name ?? '';
    await untilTerminatedFor(core, ns, [orphanName], RETAIN_MS);

    const worker = await workerAs(identity, { KPL_RECOVERY_ON_START: 'true' });
    const report = await eventually<RecoveryReport>(
      () => temporal.workflow.getHandle(recoveryWorkflowId(ns)).result().catch(() => undefined) as Promise<RecoveryReport | undefined>,
      'recovery report',
    );
    expect(report).toMatchObject({ namespace: ns, scanned: 1, deleted: 1, errors: 0 });
    await eventually(async () => ((await podExists(core, ns, orphan.metadata?.uid ?? '')) ? undefined : true), 'orphan gone');

    const engines = await worker.engines();
    const tag = newTag();
    const launched = await engines.launchEngine({ tag, namespace: ns, pod: driverManifest({ exitAfter: '2s' }), policy: { retainPeriod: '1s' } });
    const outcome = await engines.waitForEngine(launched);
    expect(outcome).toMatchObject({ state: 'FINISHED', podDeleted: true });
    await untilNoPods(core, ns, tag);

    // The apiserver's own record: the worker made its requests as the ServiceAccount.
    const onEngine = await requestsOn(ns, outcome.podName ?? '', 2);
    expect(onEngine.map((e) => [e.verb, e.user?.username, e.responseStatus?.code])).toEqual([
      ['create', identity.username, 201],
      ['delete', identity.username, 200],
    ]);
    const onOrphan = await requestsOn(ns, orphanName, 2);
    expect(onOrphan.filter((e) => e.verb === 'delete').map((e) => [e.user?.username, e.responseStatus?.code])).toEqual([[identity.username, 200]]);
  });

  test('can do nothing beyond the Role: its rules are exactly the verbs the code uses', async () => {
    const reviews = identity.kubeConfig.makeApiClient(AuthorizationV1Api);
    const allowed = async (verb: string, resource: string, namespace: string, subresource?: string, group = '') =>
      (await reviews.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace, verb, resource, subresource, group } } } }))
        .status?.allowed ?? false;

    for (const verb of POD_VERBS) expect([verb, await allowed(verb, 'pods', ns)]).toEqual([verb, true]);
    const denied: Parameters<typeof allowed>[] = [
      ['patch', 'pods', ns],
      ['update', 'pods', ns],
      ['deletecollection', 'pods', ns],
      ['get', 'pods', ns, 'log'],
      ['create', 'pods', ns, 'exec'],
      ['create', 'pods', ns, 'eviction'],
      ['update', 'pods', ns, 'status'],
      ['get', 'secrets', ns],
      ['list', 'secrets', ns],
      ['create', 'configmaps', ns],
      ['create', 'leases', ns, undefined, 'coordination.k8s.io'],
      ['update', 'roles', ns, undefined, 'rbac.authorization.k8s.io'],
      ['delete', 'pods', 'default'],
      ['create', 'pods', 'default'],
      ['list', 'pods', ''],
      ['create', 'namespaces', ''],
    ];
    for (const attributes of denied) expect([attributes, await allowed(...attributes)]).toEqual([attributes, false]);

    // Real requests, answered 403 (and a read of a missing pod 404: reading is allowed).
    const asWorker = identity.kubeConfig.makeApiClient(CoreV1Api);
    const refusal = (request: Promise<unknown>) => request.then(() => 'allowed', (error: unknown) => statusCode(error));
    expect(await refusal(asWorker.listNamespacedSecret({ namespace: ns }))).toBe(403);
    expect(await refusal(asWorker.deleteNamespacedPod({ namespace: 'default', name: 'any-pod' }))).toBe(403);
    expect(await refusal(asWorker.listPodForAllNamespaces())).toBe(403);
    const patch = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'any-pod', namespace: ns, labels: { touched: 'yes' } } };
    expect(await refusal(KubernetesObjectApi.makeApiClient(identity.kubeConfig).patch(patch, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch))).toBe(403);
    expect(await refusal(asWorker.readNamespacedPod({ namespace: ns, name: 'any-pod' }))).toBe(404);

    // What the account may do in its namespace, less what any account without a binding may
    // do there (discovery, self reviews): exactly one rule, the Role's.
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: NOBODY } } });
    const nobody = await identityOf(ns, NOBODY);
    const rulesOf = async (who: Identity) =>
      ((await who.kubeConfig.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace: ns } } })).status
        ?.resourceRules ?? []).map(normalRule);
    const baseline = new Set((await rulesOf(nobody)).map((rule) => JSON.stringify(rule)));
    const granted = (await rulesOf(identity)).filter((rule) => !baseline.has(JSON.stringify(rule)));
    expect(granted).toEqual([podRule(POD_VERBS)]);

    const role = await objects.read<V1Role>(renderDeploy(ns).role as V1Role & { metadata: { name: string } });
    expect((role.rules ?? []).map(normalRule)).toEqual([podRule(POD_VERBS)]);
  });
});

test('without `delete` in the Role the engine cannot delete its pod; granted again, the retried delete succeeds', async () => {
  const ns = await freshNamespace('rbac-no-delete');
  const withoutDelete = (role: V1Role): V1Role => ({ ...role, rules: role.rules?.map((r) => ({ ...r, verbs: r.verbs.filter((v) => v !== 'delete') })) });
  const identity = await deployIdentity(ns, withoutDelete);
  // Every refused delete is an activity failure the SDK logs as a warning: expected here.
  const worker = await workerAs(identity, { KPL_LOG_LEVEL: 'error' });
  const engines = await worker.engines();
  const tag = newTag();
  const launched = await engines.launchEngine({ tag, namespace: ns, pod: driverManifest({ exitAfter: '1s' }), policy: { retainPeriod: '1s' } });
  const handle = temporal.workflow.getHandle(launched.workflowId);

  const failing = await eventually(async () => {
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    return pending.find((a) => a.activityType?.name === 'deletePod' && (a.attempt ?? 0) >= 2);
  }, 'deletePod retrying after a failure', 60_000);
  // The Status inside the failure is JSON-escaped (once or twice): match around the quotes.
  expect(failing.lastFailure?.message).toMatch(/HTTP-Code: 403/);
  expect(failing.lastFailure?.message).toMatch(new RegExp(`User \\W*${identity.username}\\W* cannot delete resource \\W*pods`));
  expect((await handle.describe()).status.name).toBe('RUNNING');
  const [pod, ...others] = await podsWithTag(core, ns, tag);
  expect(others).toHaveLength(0);
  expect(pod?.status?.phase).toBe('Succeeded');
  expect(pod?.metadata?.deletionTimestamp).toBeUndefined();
  const refused = await requestsOn(ns, pod?.metadata?.name ?? '', 2);
  expect(refused.filter((e) => e.verb === 'delete').map((e) => [e.user?.username, e.responseStatus?.code])).toContainEqual([identity.username, 403]);

  // Granting `delete` is all it takes: the activity's next retry deletes exactly that pod.
  await applyObject(admin, renderDeploy(ns).role);
  const outcome = await engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'FINISHED', podDeleted: true, podUid: pod?.metadata?.uid });
  await untilNoPods(core, ns, tag);
});
