/**
 * deploy/ as `kubectl kustomize deploy/` renders it, without kubectl: the kustomization's
 * resources with its namespace, labels, image and generated ConfigMap applied. Only the
 * transformations deploy/kustomization.yaml uses are implemented; an unknown one fails,
 * so the tests cannot silently check something other than what users apply.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';

// Not env.ts's ROOT: unit tests use this file, and env.ts pulls in the worker.
export const DEPLOY_DIR = path.resolve(__dirname, '../../deploy');

interface Kustomization {
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: { name: string; literals?: string[] }[];
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images', 'configMapGenerator']);

export interface DeployManifests {
  kustomization: Kustomization;
  serviceAccount: V1ServiceAccount;
  role: V1Role;
  roleBinding: V1RoleBinding;
  deployment: V1Deployment;
  /** The generated settings ConfigMap (named without kustomize's content hash). */
  configMap: V1ConfigMap;
  /** Everything above but the kustomization, in apply order. */
  objects: KubernetesObject[];
}

export function readYaml<T>(file: string): T {
  return parseYaml(readFileSync(path.join(DEPLOY_DIR, file), 'utf8')) as T;
}

export function readKustomization(): Kustomization {
  const kustomization = readYaml<Kustomization>('kustomization.yaml');
  const unknown = Object.keys(kustomization).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length) throw new Error(`deploy/kustomization.yaml uses ${unknown.join(', ')}: teach test/helpers/deploy-manifests.ts to render it`);
  return kustomization;
}

/** `KEY=value` literals of a configMapGenerator entry as a data map. */
export function literalsToData(literals: string[] = []): Record<string, string> {
  return Object.fromEntries(
    literals.map((literal) => {
      const at = literal.indexOf('=');
      if (at <= 0) throw new Error(`configMapGenerator literal "${literal}" is not KEY=value`);
      return [literal.slice(0, at), literal.slice(at + 1)];
    }),
  );
}

function findKind<T extends KubernetesObject>(objects: KubernetesObject[], kind: string): T {
  const found = objects.filter((object) => object.kind === kind);
  if (found.length !== 1) throw new Error(`deploy/ should hold exactly one ${kind}, found ${found.length}`);
  return found[0] as T;
}

/** The rendered manifests, placed in `namespace` (the kustomization's own by default). */
export function renderDeploy(namespace?: string): DeployManifests {
  const kustomization = readKustomization();
  const targetNamespace = namespace ?? kustomization.namespace;
  const extraLabels = Object.assign({}, ...(kustomization.labels ?? []).map((entry) => entry.pairs)) as Record<string, string>;
  const place = <T extends KubernetesObject>(object: T): T => ({
    ...object,
    metadata: {
      ...object.metadata,
      ...(targetNamespace ? { namespace: targetNamespace } : {}),
      labels: { ...object.metadata?.labels, ...extraLabels },
    },
  });

  const resources = kustomization.resources.map((file) => place(readYaml<KubernetesObject>(file)));
  const generated = (kustomization.configMapGenerator ?? []).map((generator) =>
    place<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data: literalsToData(generator.literals) }),
  );
  const objects = [...resources, ...generated].map((object) => {
    if (object.kind === 'RoleBinding') {
      const binding = object as V1RoleBinding;
      // Kustomize gives a ServiceAccount subject without a namespace the target namespace.
      const subjects = binding.subjects?.map((s) => (s.kind === 'ServiceAccount' && !s.namespace ? { ...s, namespace: targetNamespace } : s));
      return { ...binding, subjects } as KubernetesObject;
    }
    if (object.kind === 'Deployment') return withImages(object, kustomization.images ?? []);
    return object;
  });

  return {
    kustomization,
    serviceAccount: findKind(objects, 'ServiceAccount'),
    role: findKind(objects, 'Role'),
    roleBinding: findKind(objects, 'RoleBinding'),
    deployment: findKind(objects, 'Deployment'),
    configMap: findKind(objects, 'ConfigMap'),
    objects,
  };
}

function withImages(deployment: V1Deployment, images: NonNullable<Kustomization['images']>): V1Deployment {
  const podSpec = deployment.spec?.template.spec;
  if (!podSpec) return deployment;
  const containers = podSpec.containers.map((container) => {
    const [name] = (container.image ?? '').split(':');
    const image = images.find((i) => i.name === name);
    if (!image) return container;
    return { ...container, image: `${image.newName ?? name}:${image.newTag ?? 'latest'}` };
  });
  return { ...deployment, spec: { ...deployment.spec!, template: { ...deployment.spec!.template, spec: { ...podSpec, containers } } } };
}
