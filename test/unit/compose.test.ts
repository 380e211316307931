/**
 * docker-compose.yml, .env.example and the README repeat names and numbers that live in
 * the code; these checks keep them from drifting apart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';
import { SEARCH_ATTRIBUTES } from '../../src/contract/names';
import { parseDuration } from '../../src/contract/duration';
import { ENCRYPTION_KEY_VARIABLE } from '../../src/codec/keys';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  environment?: Record<string, string>;
  stop_grace_period?: string;
  ports?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** `${NAME:-default}` → default; a plain value → itself. */
function composeDefault(value: string): string {
  const match = /^\$\{[A-Z_]+:-(.*)\}$/.exec(value);
  return match ? match[1]! : value;
}

/** Variables only compose itself reads (host ports, the container's uid), never the worker. */
const COMPOSE_ONLY = new Set(['KPL_UID', 'KPL_GID', 'KPL_METRICS_HOST_PORT', 'KPL_CODEC_HOST_PORT']);
/** What the worker process reads: its config, and the key its data converter uses. */
const WORKER_VARIABLES = [...CONFIG_VARIABLES, ENCRYPTION_KEY_VARIABLE];

describe('docker-compose.yml', () => {
  it('registers exactly the search attributes of the contract', () => {
    const listed = composeDefault(service('temporal-setup').environment!.SEARCH_ATTRIBUTES!).split(/\s+/).filter(Boolean);
    expect(listed.sort()).toEqual(Object.values(SEARCH_ATTRIBUTES).sort());
  });

  it('pins temporalio/server and temporalio/admin-tools to the same version (the schema job must match the server)', () => {
    const tag = (name: string) => service(name).image!.split(':')[1];
    expect(tag('temporal-schema')).toBe(tag('temporal'));
    expect(tag('temporal-setup')).toBe(tag('temporal'));
  });

  it("stops the worker only after its own shutdown grace, so running activities can finish", () => {
    const worker = service('worker');
    const grace = parseDuration(composeDefault(worker.environment!.KPL_SHUTDOWN_GRACE!));
    expect(parseDuration(worker.stop_grace_period!)).toBeGreaterThan(grace);
  });

  it('passes the worker only variables it reads, with values it accepts', () => {
    const env = service('worker').environment!;
    const ours = Object.keys(env).filter((name) => name.startsWith('KPL_'));
    expect(ours.filter((name) => !WORKER_VARIABLES.includes(name))).toEqual([]);
    const defaults = Object.fromEntries(ours.filter((name) => CONFIG_VARIABLES.includes(name)).map((name) => [name, composeDefault(env[name]!)]));
    expect(() => loadConfig(defaults)).not.toThrow();
  });

  it('gives the codec server the same key as the worker', () => {
    expect(service('codec-server').environment![ENCRYPTION_KEY_VARIABLE]).toMatch(/^\$\{KPL_ENCRYPTION_KEY[:?]/);
    expect(service('worker').environment![ENCRYPTION_KEY_VARIABLE]).toMatch(/^\$\{KPL_ENCRYPTION_KEY[:-]/);
  });

  it('publishes the metrics port the worker serves', () => {
    const worker = service('worker');
    const port = String(loadConfig({ KPL_METRICS_PORT: composeDefault(worker.environment!.KPL_METRICS_PORT!) }).metricsPort);
    expect(worker.ports!.map((mapping) => mapping.split(':').pop())).toContain(port);
  });
});

describe('.env.example', () => {
  it('names only variables that compose or the worker read', () => {
    const names = [...read('.env.example').matchAll(/^#?\s*(KPL_[A-Z_]+)=/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !WORKER_VARIABLES.includes(name) && !COMPOSE_ONLY.has(name))).toEqual([]);
  });
});

describe('README', () => {
  it('documents every KPL_* variable the worker reads', () => {
    const readme = read('README.md');
    expect(WORKER_VARIABLES.filter((name) => !readme.includes(name))).toEqual([]);
  });
});
