/**
 * Kubernetes connection: KUBECONFIG (or ~/.kube/config) outside a cluster, the service
 * account inside one. Every API call goes through `call` so metrics see verb and status.
 */
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Metrics } from '../metrics';

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  /** Runs one API request, counting it by verb and status code. */
  call<T>(verb: string, request: () => Promise<T>): Promise<T>;
}

export function loadKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) {
    config.loadFromCluster();
  } else {
    config.loadFromDefault();
  }
  if (!config.getCurrentCluster()) {
    throw new Error('No Kubernetes cluster configured: set KUBECONFIG (see `kyuubi-pods stack env`) or run in a cluster');
  }
  return config;
}

export function createKube(metrics?: Metrics, config: KubeConfig = loadKubeConfig()): Kube {
  const core = config.makeApiClient(CoreV1Api);
  return {
    config,
    core,
    async call<T>(verb: string, request: () => Promise<T>): Promise<T> {
      try {
        const result = await request();
        metrics?.kubeRequests.inc({ verb, code: '200' });
        return result;
      } catch (error) {
        metrics?.kubeRequests.inc({ verb, code: String(statusCode(error) ?? 'error') });
        throw error;
      }
    },
  };
}

/** The HTTP status of a failed Kubernetes call, or undefined for a network-level failure. */
export function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The Kubernetes Status message of a failed call, for error texts. */
export function statusMessage(error: unknown): string {
  if (error instanceof ApiException) {
    try {
      const status = JSON.parse(String(error.body)) as { message?: string };
      if (status.message) return status.message;
    } catch {
      // body was not a Status: fall through to the exception's own message
    }
  }
  return error instanceof Error ? error.message : String(error);
}
