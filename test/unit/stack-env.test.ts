/**
 * What `stack env` prints and how the Temporal dev server is started, without starting it.
 */
import * as path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../src/contract/names';
import { formatStackEnv, stackEnv } from '../../src/stack';
import { statePaths } from '../../src/stack/paths';
import { temporalArgs } from '../../src/stack/temporal';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

test('KPL_STACK_DIR moves the state dir, and env prints eval-able exports', () => {
  process.env.KPL_STACK_DIR = '/tmp/kpl stack';
  const info = stackEnv();
  expect(info.stateDir).toBe('/tmp/kpl stack');
  expect(info.kubeconfigPath).toBe(path.join('/tmp/kpl stack', 'kubeconfig'));
  expect(formatStackEnv(info)).toBe(
    [
      'export TEMPORAL_ADDRESS=127.0.0.1:7233',
      'export TEMPORAL_NAMESPACE=default',
      "export KUBECONFIG='/tmp/kpl stack/kubeconfig'",
    ].join('\n'),
  );
});

test('XDG_CACHE_HOME is honoured for the default state dir', () => {
  delete process.env.KPL_STACK_DIR;
  process.env.XDG_CACHE_HOME = '/xdg';
  expect(stackEnv().stateDir).toBe('/xdg/kyuubi-pod-lifecycle/stack');
});

test('temporal start-dev gets loopback, the SQLite file, our search attributes and dynamic config', () => {
  const paths = statePaths('/s');
  const args = temporalArgs(paths, {
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60, 'some.flag': 'x' },
    sqlitePragmas: { journal_mode: 'WAL' },
  });
  const joined = args.join(' ');
  expect(joined).toContain('server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 --db-filename /s/temporal.sqlite');
  for (const name of Object.values(SEARCH_ATTRIBUTES)) expect(joined).toContain(`--search-attribute ${name}=Keyword`);
  expect(joined).toContain('--dynamic-config-value limit.historyCount.suggestContinueAsNew=60');
  expect(joined).toContain('--dynamic-config-value some.flag="x"');
  expect(joined).toContain('--sqlite-pragma journal_mode=WAL');
});
