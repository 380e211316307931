/**
 * The worker's and CLI's own settings, from `KPL_*` environment variables, validated at
 * start so a typo fails loudly with the variable's name. Temporal's connection comes from
 * Temporal's own variables (@temporalio/envconfig); Kubernetes' from KUBECONFIG or the
 * in-cluster service account.
 */
import { z } from 'zod';
import { cleanupSchema, durationSchema, engineTagSchema, namespaceSchema, stateSourceSchema } from './contract/schemas';
import type { EnginePolicy } from './contract/messages';
import { ENGINE_TAG_LABEL, TASK_QUEUE } from './contract/names';

export const BUILT_IN_POLICY: EnginePolicy = {
  cleanup: 'ALL',
  // Kyuubi's kyuubi.kubernetes.terminatedApplicationRetainPeriod
  retainPeriodMs: 5 * 60_000,
  // Kyuubi has none (#7424); 10 minutes outlasts a slow image pull, not a FailedMount.
  pendingTimeoutMs: 10 * 60_000,
  // Kyuubi's kyuubi.engine.kubernetes.submit.timeout
  submitTimeoutMs: 30_000,
  stateSource: 'POD',
  stateContainer: 'spark-kubernetes-driver',
};

const namespaceList = z
  .string()
  .transform((text) => text.split(',').map((name) => name.trim()).filter(Boolean))
  .pipe(z.array(namespaceSchema).min(1, 'must name at least one namespace'));

const port = z.coerce.number().int().min(0).max(65535);

const envSchema = z.object({
  KPL_INSTANCE: engineTagSchema.default('default'),
  KPL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  KPL_NAMESPACES: namespaceList.optional(),
  KPL_DEFAULT_CLEANUP: cleanupSchema.optional(),
  KPL_DEFAULT_RETAIN_PERIOD: durationSchema.optional(),
  KPL_DEFAULT_PENDING_TIMEOUT: durationSchema.optional(),
  KPL_DEFAULT_SUBMIT_TIMEOUT: durationSchema.optional(),
  KPL_DEFAULT_MAX_LIFETIME: durationSchema.optional(),
  KPL_DEFAULT_STATE_SOURCE: stateSourceSchema.optional(),
  KPL_DEFAULT_STATE_CONTAINER: z.string().min(1).optional(),
  KPL_RECOVERY_INTERVAL: durationSchema.default(10 * 60_000),
  KPL_RECOVERY_ON_START: z.enum(['true', 'false']).default('true'),
  KPL_RECOVERY_SELECTOR: z.string().min(1).default(ENGINE_TAG_LABEL),
  KPL_RECOVERY_PAGE_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  KPL_WATCH_WINDOW: durationSchema.default(60 * 60_000),
  KPL_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(10_000),
  KPL_METRICS_PORT: port.default(9464),
  KPL_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  KPL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  KPL_SHUTDOWN_GRACE: durationSchema.default(30_000),
});

/** Every `KPL_*` variable the worker and CLI read (deploy files and docs are checked against it). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export interface Config {
  /** Value of the instance label on the pods this installation creates and recovers. */
  instance: string;
  /** The engine queue; another value isolates a second installation (or a test run) on one Temporal namespace. */
  taskQueue: string;
  /** Namespaces this installation may manage; undefined = any. */
  namespaces?: string[];
  defaultPolicy: EnginePolicy;
  recoveryIntervalMs: number;
  /** Run recovery and keep its Schedule current when the worker starts. */
  recoveryOnStart: boolean;
  /** Label selector of the pods recovery looks at (default: has kyuubi-unique-tag). */
  recoverySelector: string;
  recoveryPageSize: number;
  /** How long one watchPod activity waits for a change before it returns and is re-issued. */
  watchWindowMs: number;
  /**
   * Activity slots of the worker. Every running engine holds one for its whole life (its
   * watchPod), so this bounds the engines one worker follows: the SDK's default of 100
   * left engine 101 unwatched, its pod's changes unseen until a slot freed.
   */
  maxConcurrentActivities: number;
  /** 0 = no metrics endpoint. */
  metricsPort: number;
  metricsHost: string;
  logLevel: z.infer<typeof envSchema>['KPL_LOG_LEVEL'];
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (a blank line in an env file) means unset, not an invalid value.
  const set = Object.fromEntries(Object.entries(env).filter(([key, value]) => !key.startsWith('KPL_') || value !== ''));
  const parsed = envSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const [variable, ...inside] = issue.path.map(String);
      // A list variable's issue carries the entry's index; people count entries from 1.
      const entry = inside.length > 0 ? ` (entry ${Number(inside[0]) + 1})` : '';
      const value = /KEY|SECRET|TOKEN|PASSWORD/.test(variable ?? '') ? '(value hidden)' : JSON.stringify(set[variable ?? ''] ?? '');
      return `${variable}=${value}${entry}: ${issue.message}`;
    });
    throw new ConfigError(
      `Invalid configuration in the environment:\n${lines.join('\n')}\nFix or unset these variables; README "Configuration" lists them.`,
    );
  }
  const e = parsed.data;
  return {
    instance: e.KPL_INSTANCE,
    taskQueue: e.KPL_TASK_QUEUE,
    namespaces: e.KPL_NAMESPACES,
    defaultPolicy: {
      cleanup: e.KPL_DEFAULT_CLEANUP ?? BUILT_IN_POLICY.cleanup,
      retainPeriodMs: e.KPL_DEFAULT_RETAIN_PERIOD ?? BUILT_IN_POLICY.retainPeriodMs,
      pendingTimeoutMs: e.KPL_DEFAULT_PENDING_TIMEOUT ?? BUILT_IN_POLICY.pendingTimeoutMs,
      submitTimeoutMs: e.KPL_DEFAULT_SUBMIT_TIMEOUT ?? BUILT_IN_POLICY.submitTimeoutMs,
      maxLifetimeMs: e.KPL_DEFAULT_MAX_LIFETIME,
      stateSource: e.KPL_DEFAULT_STATE_SOURCE ?? BUILT_IN_POLICY.stateSource,
      stateContainer: e.KPL_DEFAULT_STATE_CONTAINER ?? BUILT_IN_POLICY.stateContainer,
    },
    recoveryIntervalMs: e.KPL_RECOVERY_INTERVAL,
    recoveryOnStart: e.KPL_RECOVERY_ON_START === 'true',
    recoverySelector: e.KPL_RECOVERY_SELECTOR,
    recoveryPageSize: e.KPL_RECOVERY_PAGE_SIZE,
    watchWindowMs: e.KPL_WATCH_WINDOW,
    maxConcurrentActivities: e.KPL_MAX_CONCURRENT_ACTIVITIES,
    metricsPort: e.KPL_METRICS_PORT,
    metricsHost: e.KPL_METRICS_HOST,
    logLevel: e.KPL_LOG_LEVEL,
    shutdownGraceMs: e.KPL_SHUTDOWN_GRACE,
  };
}
