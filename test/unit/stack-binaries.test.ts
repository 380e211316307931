/**
 * Binary resolution order (env var, PATH with the right version, cache, Go build) and
 * the error a failed build gives, without building anything real.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedBinaryPath, ensureBinary } from '../../src/stack/binaries';
import { goModuleDir, packageRoot } from '../../src/stack/paths';
import { BINARIES } from '../../src/stack/versions';

const saved = { ...process.env };
let tmp: string;
const quiet = (): void => undefined;

function script(file: string, body: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kpl-bin-'));
  process.env.XDG_CACHE_HOME = path.join(tmp, 'cache');
  process.env.PATH = path.join(tmp, 'path');
  delete process.env.KPL_KWOK_BIN;
  delete process.env.KPL_GO_BIN;
});

afterEach(() => {
  process.env = { ...saved };
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the env var wins, taken as is', async () => {
  process.env.KPL_KWOK_BIN = script(path.join(tmp, 'mine', 'kwok'), 'echo whatever');
  await expect(ensureBinary('kwok', quiet)).resolves.toBe(process.env.KPL_KWOK_BIN);
});

test('PATH is used only for the pinned version, else the per-version cache', async () => {
  const onPath = script(path.join(tmp, 'path', 'kwok'), `echo "kwok version v${BINARIES.kwok.version} go"`);
  await expect(ensureBinary('kwok', quiet)).resolves.toBe(onPath);

  script(onPath, 'echo "kwok version v0.1.0"');
  const cached = script(cachedBinaryPath(BINARIES.kwok), 'true');
  expect(cached).toBe(path.join(tmp, 'cache', 'kyuubi-pod-lifecycle', 'bin', `kwok-${BINARIES.kwok.version}`, 'kwok'));
  const lines: string[] = [];
  await expect(ensureBinary('kwok', (l) => lines.push(l))).resolves.toBe(cached);
  expect(lines.join('\n')).toContain('ignoring');
});

test('a refused download says what to install, and leaves no file under the real name', async () => {
  process.env.KPL_GO_BIN = script(path.join(tmp, 'go'), 'echo "go: module lookup: 403 Forbidden" >&2; exit 1');
  await expect(ensureBinary('kwok', quiet)).rejects.toThrow(/KPL_KWOK_BIN/);
  const dir = path.dirname(cachedBinaryPath(BINARIES.kwok));
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('the Go wrapper modules are found from the package root', () => {
  expect(fs.existsSync(path.join(packageRoot(), 'package.json'))).toBe(true);
  for (const name of ['etcd', 'kubernetes']) expect(fs.existsSync(path.join(goModuleDir(name), 'go.mod'))).toBe(true);
});
