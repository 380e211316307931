/**
 * Kubernetes connection: KUBECONFIG (or ~/.kube/config) outside a cluster, the service
 * account inside one. Every API call goes through `call` so metrics see verb and status.
 */
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import type { Metrics } from '../metrics';

/**
 * Every verb the worker uses on pods, and so exactly what deploy/role.yaml grants (a unit
 * test holds the two equal). `call` accepts only these; the informer's `watch` is the one
 * request that bypasses it. Adding a verb here means granting it in deployed Roles.
 */
export const POD_VERBS = ['get', 'list', 'watch', 'create', 'delete'] as const;
export type PodVerb = (typeof POD_VERBS)[number];

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  /**
   * Runs one API request on pods, counting it by verb and HTTP status code. Pass `options`
   * on to the client call: its middleware reads the status the apiserver answered (201 for
   * a create, 200 or 202 for a delete), which a resolved promise does not tell.
   */
  call<T>(verb: PodVerb, request: (options: ConfigurationOptions) => Promise<T>): Promise<T>;
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
    async call<T>(verb: PodVerb, request: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
      let answered: number | undefined;
      const status: ObservableMiddleware = {
        pre: (context) => new Observable(Promise.resolve(context)),
        post: (context) => {
          answered = context.httpStatusCode;
          return new Observable(Promise.resolve(context));
        },
      };
      try {
        const result = await request({ middleware: [status], middlewareMergeStrategy: 'append' });
        // A caller that ignored `options` still succeeded: 2xx is all that is known then.
        metrics?.kubeRequests.inc({ verb, code: String(answered ?? '2xx') });
        return result;
      } catch (error) {
        metrics?.kubeRequests.inc({ verb, code: String(answered ?? statusCode(error) ?? 'error') });
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
