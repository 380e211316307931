/**
 * Detached server processes: spawn with a log file, record the PID, check liveness, stop
 * only what we recorded.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type ServerName = 'temporal' | 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kwok';

export interface PidRecord {
  pid: number;
  bin: string;
  args: string[];
  startedAt: string;
}

export interface ProcessDirs {
  pids: string;
  logs: string;
}

export const pidFile = (dirs: ProcessDirs, name: ServerName): string => path.join(dirs.pids, `${name}.pid`);
export const logFile = (dirs: ProcessDirs, name: ServerName): string => path.join(dirs.logs, `${name}.log`);

export function readPid(dirs: ProcessDirs, name: ServerName): PidRecord | undefined {
  try {
    const rec = JSON.parse(fs.readFileSync(pidFile(dirs, name), 'utf8')) as PidRecord;
    return typeof rec.pid === 'number' && rec.pid > 0 ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** The PID runs and is ours to signal: not gone, not a zombie (only its parent's wait is missing), not another user's (EPERM). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/**
 * Alive and still the program we started: a recycled PID must never be mistaken for our
 * server (nor killed by `down`). Zombies count as dead.
 */
export function isOurs(rec: PidRecord): boolean {
  if (!exists(rec.pid)) return false;
  // Without /proc there is no cmdline to compare: a live PID is all that can be known.
  if (!fs.existsSync('/proc/self')) return true;
  try {
    const argv0 = fs.readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0 === rec.bin;
  } catch {
    return false;
  }
}

export function aliveRecord(dirs: ProcessDirs, name: ServerName): PidRecord | undefined {
  const rec = readPid(dirs, name);
  return rec !== undefined && isOurs(rec) ? rec : undefined;
}

export function spawnServer(dirs: ProcessDirs, name: ServerName, bin: string, args: string[]): PidRecord {
  fs.mkdirSync(dirs.pids, { recursive: true });
  fs.mkdirSync(dirs.logs, { recursive: true });
  const logPath = logFile(dirs, name);
  const fd = fs.openSync(logPath, 'a');
  try {
    fs.writeSync(fd, `\n===== ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
    // Detached into its own session and unref'd: the server outlives the CLI or Jest
    // process that started it, and a Ctrl-C in that terminal does not reach it.
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], cwd: path.dirname(dirs.pids) });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not spawn ${bin}; see ${logPath}`);
    // A spawn failure (ENOENT...) is reported asynchronously; liveness checks catch it.
    child.on('error', () => undefined);
    const rec: PidRecord = { pid: child.pid, bin, args, startedAt: new Date().toISOString() };
    fs.writeFileSync(pidFile(dirs, name), JSON.stringify(rec));
    return rec;
  } finally {
    fs.closeSync(fd);
  }
}

export interface StopOptions {
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}

/** Stops the recorded process (its whole process group), then forgets it. */
export async function stopServer(dirs: ProcessDirs, name: ServerName, options: StopOptions = {}): Promise<boolean> {
  const rec = readPid(dirs, name);
  if (rec === undefined) return false;
  let stopped = false;
  if (isOurs(rec)) {
    signalGroup(rec.pid, options.signal ?? 'SIGTERM');
    // Identity was checked before signalling. From here, wait for the PID itself: while a
    // process exits its cmdline reads empty, so isOurs() says "gone" before it is.
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (exists(rec.pid) && Date.now() < deadline) await sleep(50);
    if (exists(rec.pid)) {
      signalGroup(rec.pid, 'SIGKILL');
      while (exists(rec.pid)) await sleep(50);
    }
    stopped = true;
  }
  fs.rmSync(pidFile(dirs, name), { force: true });
  return stopped;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // The child leads its own group (detached), so -pid reaches it and any helper it forked.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export function logTail(dirs: ProcessDirs, name: ServerName, lines = 20): string {
  try {
    const text = fs.readFileSync(logFile(dirs, name), 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface WaitOptions {
  dirs: ProcessDirs;
  name: ServerName;
  rec: PidRecord;
  timeoutMs: number;
  what: string;
}

/**
 * Polls `check` until it returns true. Fails at once if the process dies, and with the log
 * tail on timeout, so the error says what failed and where to look.
 */
export async function waitReady(check: () => Promise<boolean>, o: WaitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let lastError = '';
  for (;;) {
    if (!isOurs(o.rec)) {
      throw new Error(
        `${o.name} exited while starting (${o.what}). Log ${logFile(o.dirs, o.name)}:\n${logTail(o.dirs, o.name)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${o.name} did not become ready within ${Math.round(o.timeoutMs / 1000)} s (${o.what}` +
          `${lastError === '' ? '' : `; last error: ${lastError}`}). ` +
          `Log ${logFile(o.dirs, o.name)}:\n${logTail(o.dirs, o.name)}`,
      );
    }
    await sleep(200);
  }
}

/** True when something accepts TCP connections on host:port. */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (used: boolean): void => {
      socket.destroy();
      resolve(used);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Refuses to start a server whose port another program holds: it would fail confusingly. */
export async function assertPortsFree(name: ServerName, host: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    // A server we just killed may hold its port a moment longer: a multi-threaded
    // process's leader turns zombie before its last thread lets the sockets go.
    const deadline = Date.now() + 10_000;
    while ((await portInUse(host, port)) && Date.now() < deadline) await sleep(100);
    if (await portInUse(host, port)) {
      throw new Error(
        `cannot start ${name}: ${host}:${port} is already in use by a process this stack did not start. ` +
          `Stop that process (e.g. another Temporal dev server or etcd) and run stack up again.`,
      );
    }
  }
}
