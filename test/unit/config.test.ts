/**
 * The worker's environment: defaults, and one message per bad variable that names it.
 */
import { BUILT_IN_POLICY, ConfigError, loadConfig } from '../../src/config';
import { TASK_QUEUE } from '../../src/contract/names';
import { portOffset } from '../../src/stack/paths';
import { temporalSettings } from '../../src/temporal';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      instance: 'default',
      taskQueue: TASK_QUEUE,
      namespaces: undefined,
      defaultPolicy: BUILT_IN_POLICY,
      recoveryIntervalMs: 10 * 60_000,
      recoveryOnStart: true,
      metricsPort: 9464,
      shutdownGraceMs: 30_000,
      logLevel: 'info',
    });
  });

  it('treats an empty variable as unset, as a blank line in an env file means', () => {
    expect(loadConfig({ KPL_METRICS_PORT: '', KPL_NAMESPACES: '' }).metricsPort).toBe(9464);
  });

  it('parses lists, durations and numbers', () => {
    const config = loadConfig({
      KPL_NAMESPACES: ' spark, etl ,',
      KPL_DEFAULT_RETAIN_PERIOD: 'PT2M',
      KPL_DEFAULT_MAX_LIFETIME: '12h',
      KPL_METRICS_PORT: '0',
      KPL_RECOVERY_ON_START: 'false',
    });
    expect(config.namespaces).toEqual(['spark', 'etl']);
    expect(config.defaultPolicy.retainPeriodMs).toBe(120_000);
    expect(config.defaultPolicy.maxLifetimeMs).toBe(12 * 3_600_000);
    expect(config.metricsPort).toBe(0);
    expect(config.recoveryOnStart).toBe(false);
  });

  it.each([
    ['KPL_METRICS_PORT', '70000'],
    ['KPL_METRICS_PORT', 'nine'],
    ['KPL_NAMESPACES', 'Spark_Jobs'],
    ['KPL_NAMESPACES', ','],
    ['KPL_DEFAULT_CLEANUP', 'SOMETIMES'],
    ['KPL_DEFAULT_RETAIN_PERIOD', '-5m'],
    ['KPL_DEFAULT_PENDING_TIMEOUT', '10 parsecs'],
    ['KPL_SHUTDOWN_GRACE', '30'],
    ['KPL_LOG_LEVEL', 'verbose'],
    ['KPL_RECOVERY_ON_START', 'yes'],
    ['KPL_RECOVERY_PAGE_SIZE', '0'],
    ['KPL_INSTANCE', 'not a label value!'],
  ])('rejects %s=%j with a message naming the variable', (name, value) => {
    const load = () => loadConfig({ [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^Invalid configuration[\\s\\S]*\\n${name}=${JSON.stringify(value)}( \\(entry \\d+\\))?: `));
  });

  it('names every bad variable at once, not only the first', () => {
    expect(() => loadConfig({ KPL_METRICS_PORT: 'x', KPL_LOG_LEVEL: 'loud' })).toThrow(/KPL_METRICS_PORT[\s\S]*KPL_LOG_LEVEL/);
  });

  it('ignores variables that are not ours', () => {
    expect(() => loadConfig({ PATH: '', HOME: 'x', KPLX: '1' })).not.toThrow();
  });
});

describe('portOffset (KPL_STACK_PORT_OFFSET)', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['10000', 10000],
  ])('%j → %d', (raw, offset) => expect(portOffset(raw)).toBe(offset));

  it.each(['-1', '1.5', 'ten', '50000'])('rejects %j naming the variable', (raw) => {
    expect(() => portOffset(raw)).toThrow(/KPL_STACK_PORT_OFFSET/);
  });
});

describe('temporalSettings (Temporal connection from Temporal environment variables)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('TEMPORAL_')) delete process.env[key];
    Object.assign(process.env, saved);
  });
  function withEnv(env: Record<string, string>) {
    for (const key of Object.keys(process.env)) if (key.startsWith('TEMPORAL_')) delete process.env[key];
    Object.assign(process.env, env);
    return temporalSettings();
  }

  it('defaults to the local dev server and the default namespace', () => {
    const settings = withEnv({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' });
    expect(settings.address).toBe('127.0.0.1:7233');
    expect(settings.namespace).toBe('default');
  });

  it('takes address, namespace and API key (which turns TLS on), as Temporal Cloud needs', () => {
    const settings = withEnv({
      TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
      TEMPORAL_ADDRESS: 'example.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'analytics.a1b2c',
      TEMPORAL_API_KEY: 'secret-key',
    });
    expect(settings).toMatchObject({ address: 'example.tmprl.cloud:7233', namespace: 'analytics.a1b2c' });
    expect(settings.connectionOptions).toMatchObject({ apiKey: 'secret-key', tls: true });
  });

  it('turns TLS on with TEMPORAL_TLS', () => {
    const settings = withEnv({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', TEMPORAL_TLS: 'true' });
    expect(settings.connectionOptions.tls).toBeTruthy();
  });
});
