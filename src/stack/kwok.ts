/**
 * kwok: the fake kubelet. It plays the stages in src/stack/kwok/ on pods bound to the
 * one fake node it manages, which this module creates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kubeRequest } from './kube-api';
import { HOST, PORTS, kwokStageDir, type StatePaths } from './paths';
import { assertPortsFree, spawnServer, waitReady, type PidRecord } from './processes';

export const FAKE_NODE_NAME = 'kwok-node-0';
const MANAGED_ANNOTATION = 'kwok.x-k8s.io/node';
const MANAGED_VALUE = 'fake';

/**
 * Room for the largest benchmark (12,000 fixture-sized drivers: 1 CPU, 1408Mi each)
 * on one node, so the scheduler never leaves a pod Pending for lack of space.
 */
const CAPACITY = { cpu: '32000', memory: '64Ti', pods: '20000' };

export function stageFiles(): string[] {
  const dir = kwokStageDir();
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`no kwok stage files in ${dir}`);
  return files;
}

export async function spawnKwok(paths: StatePaths, bin: string): Promise<PidRecord> {
  await assertPortsFree('kwok', HOST, [PORTS.kwok]);
  const args = [
    `--kubeconfig=${paths.kubeconfig}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${MANAGED_ANNOTATION}=${MANAGED_VALUE}`,
    // kwok's default pod CIDR is a /24: 254 pod IPs, far fewer than a benchmark's pods.
    '--cidr=10.244.0.0/16',
    // Without one the node has no InternalIP and pods no hostIP, unlike any real cluster.
    '--node-ip=10.243.0.1',
    // Its /healthz answers only once the controllers run: the readiness signal.
    `--server-address=${HOST}:${PORTS.kwok}`,
  ];
  for (const file of stageFiles()) args.push('-c', file);
  return spawnServer(paths, 'kwok', bin, args);
}

function nodeManifest(): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: FAKE_NODE_NAME,
      annotations: { [MANAGED_ANNOTATION]: MANAGED_VALUE, 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': FAKE_NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: { capacity: CAPACITY, allocatable: CAPACITY },
  };
}

/** Creates the fake node if it is missing (kwok then makes it Ready). */
export async function ensureFakeNode(paths: StatePaths): Promise<void> {
  const got = await kubeRequest(paths, 'GET', `/api/v1/nodes/${FAKE_NODE_NAME}`);
  if (got.status === 200) {
    await dropTaints(paths, JSON.parse(got.body) as NodeShape);
    return;
  }
  if (got.status !== 404) throw new Error(`GET node ${FAKE_NODE_NAME}: ${got.status} ${got.body.slice(0, 300)}`);
  const created = await kubeRequest(paths, 'POST', '/api/v1/nodes', nodeManifest());
  if (created.status !== 201 && created.status !== 409) {
    throw new Error(`create node ${FAKE_NODE_NAME}: ${created.status} ${created.body.slice(0, 300)}`);
  }
}

interface NodeShape {
  spec?: { taints?: { key?: string }[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/**
 * A node created while the apiserver still ran TaintNodesByCondition carries the
 * not-ready taint, which only kube-controller-manager (not run here) would lift.
 */
async function dropTaints(paths: StatePaths, node: NodeShape): Promise<void> {
  if ((node.spec?.taints ?? []).length === 0) return;
  const res = await kubeRequest(paths, 'PATCH', `/api/v1/nodes/${FAKE_NODE_NAME}`, [
    { op: 'remove', path: '/spec/taints' },
  ], 5000, 'application/json-patch+json');
  if (res.status !== 200) throw new Error(`untaint node ${FAKE_NODE_NAME}: ${res.status} ${res.body.slice(0, 300)}`);
}

export async function fakeNodeReady(paths: StatePaths): Promise<boolean> {
  const got = await kubeRequest(paths, 'GET', `/api/v1/nodes/${FAKE_NODE_NAME}`);
  if (got.status !== 200) throw new Error(`node ${FAKE_NODE_NAME}: ${got.status}`);
  const node = JSON.parse(got.body) as NodeShape;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') throw new Error(`node ${FAKE_NODE_NAME} is not Ready yet`);
  return true;
}

async function kwokAnswers(paths: StatePaths): Promise<boolean> {
  const res = await fetch(`http://${HOST}:${PORTS.kwok}/healthz`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`kwok /healthz answered ${res.status}`);
  return fakeNodeReady(paths);
}

export async function waitKwok(paths: StatePaths, rec: PidRecord, timeoutMs: number): Promise<void> {
  await ensureFakeNode(paths);
  await waitReady(() => kwokAnswers(paths), {
    dirs: paths,
    name: 'kwok',
    rec,
    timeoutMs,
    what: `http://${HOST}:${PORTS.kwok}/healthz and node ${FAKE_NODE_NAME} Ready`,
  });
}
