/**
 * Finds or builds the server binaries: env var, then PATH (right version only), then the
 * per-version cache, else a Go build into that cache.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binCacheDir, goModuleDir } from './paths';
import { BINARIES, type BinaryName, type BinarySpec } from './versions';

export type LogFn = (line: string) => void;

export function cachedBinaryPath(spec: BinarySpec): string {
  return path.join(binCacheDir(), `${spec.name}-${spec.version}`, spec.name);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function versionOutput(file: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 15_000 }, (_err, stdout, stderr) => {
      resolve(`${stdout}\n${stderr}`);
    });
  });
}

/** Resolves one binary, building it when nothing usable exists. */
export async function ensureBinary(name: BinaryName, log: LogFn): Promise<string> {
  const spec = BINARIES[name];
  const fromEnv = process.env[spec.envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    // An explicit choice is trusted as is, version included.
    if (!isExecutable(fromEnv)) {
      throw new Error(`${spec.envVar}=${fromEnv} is not an executable file; fix or unset it`);
    }
    return path.resolve(fromEnv);
  }
  const onPath = findOnPath(spec.name);
  if (onPath !== undefined) {
    // A distro etcd 3.4 or an older temporal on PATH would half work; only take the pinned one.
    if ((await versionOutput(onPath)).includes(spec.versionMarker)) return onPath;
    log(`ignoring ${onPath}: not ${spec.name} ${spec.version}`);
  }
  const cached = cachedBinaryPath(spec);
  if (isExecutable(cached)) return cached;
  await buildBinary(spec, cached, log);
  return cached;
}

export async function ensureBinaries(names: BinaryName[], log: LogFn): Promise<Record<BinaryName, string>> {
  const out = {} as Record<BinaryName, string>;
  // One after another: Go already uses every core, and kube-scheduler reuses the
  // apiserver's build cache.
  for (const name of names) out[name] = await ensureBinary(name, log);
  return out;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const REFUSED = /(403 Forbidden|404 Not Found|410 Gone|not found: |unrecognized import path|dial tcp|no such host|i\/o timeout|checksum mismatch|SECURITY ERROR)/;

async function buildBinary(spec: BinarySpec, target: string, log: LogFn): Promise<void> {
  const go = process.env.KPL_GO_BIN ?? findOnPath('go');
  if (go === undefined) {
    throw new Error(
      `${spec.name} ${spec.version} is not built yet and no Go toolchain is on PATH. ` +
        `Install Go (>= 1.26), or put ${spec.name} ${spec.version} on PATH, or set ${spec.envVar}.`,
    );
  }
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  // Temp names in the same dir make the final rename atomic: a killed build leaves no
  // file under the real name.
  const tmp = path.join(dir, `.${spec.name}.${process.pid}.${Date.now()}.tmp`);
  let args: string[];
  let cwd: string;
  const env: NodeJS.ProcessEnv = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  if (spec.build.kind === 'install') {
    fs.mkdirSync(tmp);
    env.GOBIN = tmp;
    args = ['install', '-trimpath'];
    cwd = dir;
  } else {
    cwd = goModuleDir(spec.build.moduleDir);
    if (!fs.existsSync(path.join(cwd, 'go.mod'))) throw new Error(`Go wrapper module missing: ${cwd}/go.mod`);
    // No VCS stamp: the wrapper sits in our repo, which may have no commit yet.
    args = ['build', '-trimpath', '-buildvcs=false', '-mod=readonly', '-o', tmp];
  }
  if (spec.build.ldflags.length > 0) args.push(`-ldflags=${spec.build.ldflags.join(' ')}`);
  args.push(spec.build.pkg);
  log(`building ${spec.name} ${spec.version} with Go into ${dir} (a cold build takes minutes)`);
  const started = Date.now();
  const { code, output } = await runGo(go, args, cwd, env, spec.name, log);
  try {
    if (code !== 0) {
      const hint = REFUSED.test(output)
        ? `Go could not download the modules for ${spec.name} ${spec.version} (module proxy refused or unreachable). ` +
          `Install ${spec.name} ${spec.version} yourself and set ${spec.envVar} to it, or put it on PATH.`
        : `Set ${spec.envVar} to a prebuilt ${spec.name} ${spec.version} to skip the build.`;
      throw new Error(`go ${args.join(' ')} (in ${cwd}) failed with exit ${code}. ${hint}\n${tail(output, 25)}`);
    }
    const built = spec.build.kind === 'install' ? path.join(tmp, spec.name) : tmp;
    if (!isExecutable(built)) throw new Error(`go ${args.join(' ')} succeeded but produced no ${built}`);
    fs.renameSync(built, target);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`built ${spec.name} ${spec.version} in ${Math.round((Date.now() - started) / 1000)} s`);
}

function runGo(
  go: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  what: string,
  log: LogFn,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let downloads = 0;
    const started = Date.now();
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      downloads += (text.match(/go: downloading/g) ?? []).length;
      output = (output + text).slice(-64_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(`still building ${what} (${secs} s, ${downloads} modules downloaded)`);
    }, 30_000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(new Error(`cannot run ${go}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}
