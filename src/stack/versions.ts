/**
 * Every version the local stack builds or runs, in one place. A bump changes the cache
 * path of the binary, so the next `stack up` rebuilds it.
 */

export const TEMPORAL_CLI_VERSION = '1.5.1';
export const ETCD_VERSION = '3.6.16';
export const KUBERNETES_VERSION = '1.36.3';
export const KWOK_VERSION = '0.8.0';

export type BinaryName = 'temporal' | 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kwok';

/** How Go produces a binary: `go install pkg@version`, or `go build` inside a wrapper module. */
export type GoBuild =
  | { kind: 'install'; pkg: string; ldflags: string[] }
  | { kind: 'module'; moduleDir: string; pkg: string; ldflags: string[] };

export interface BinarySpec {
  name: BinaryName;
  version: string;
  envVar: string;
  /** Text that `<binary> --version` prints for the right version (checked for PATH hits). */
  versionMarker: string;
  build: GoBuild;
}

// Without these, /version reports v0.0.0 and clients that gate features on it misbehave.
const kubeLdflags = [
  `-X k8s.io/component-base/version.gitVersion=v${KUBERNETES_VERSION}`,
  `-X k8s.io/component-base/version.gitMajor=${KUBERNETES_VERSION.split('.')[0] ?? ''}`,
  `-X k8s.io/component-base/version.gitMinor=${KUBERNETES_VERSION.split('.')[1] ?? ''}`,
];

export const BINARIES: Record<BinaryName, BinarySpec> = {
  temporal: {
    name: 'temporal',
    version: TEMPORAL_CLI_VERSION,
    envVar: 'KPL_TEMPORAL_BIN',
    versionMarker: `temporal version ${TEMPORAL_CLI_VERSION}`,
    build: {
      kind: 'install',
      pkg: `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
      // The release stamps its version this way; without it `--version` says 0.0.0-DEV.
      ldflags: [`-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`],
    },
  },
  etcd: {
    name: 'etcd',
    version: ETCD_VERSION,
    envVar: 'KPL_ETCD_BIN',
    versionMarker: `etcd Version: ${ETCD_VERSION}`,
    build: { kind: 'module', moduleDir: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', ldflags: [] },
  },
  'kube-apiserver': {
    name: 'kube-apiserver',
    version: KUBERNETES_VERSION,
    envVar: 'KPL_KUBE_APISERVER_BIN',
    versionMarker: `Kubernetes v${KUBERNETES_VERSION}`,
    build: {
      kind: 'module',
      moduleDir: 'kubernetes',
      pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
      ldflags: kubeLdflags,
    },
  },
  'kube-scheduler': {
    name: 'kube-scheduler',
    version: KUBERNETES_VERSION,
    envVar: 'KPL_KUBE_SCHEDULER_BIN',
    versionMarker: `Kubernetes v${KUBERNETES_VERSION}`,
    build: {
      kind: 'module',
      moduleDir: 'kubernetes',
      pkg: 'k8s.io/kubernetes/cmd/kube-scheduler',
      ldflags: kubeLdflags,
    },
  },
  kwok: {
    name: 'kwok',
    version: KWOK_VERSION,
    envVar: 'KPL_KWOK_BIN',
    versionMarker: `kwok version v${KWOK_VERSION}`,
    build: { kind: 'install', pkg: `sigs.k8s.io/kwok/cmd/kwok@v${KWOK_VERSION}`, ldflags: [] },
  },
};
