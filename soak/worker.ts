/**
 * The worker under fire: `kyuubi-pods worker` as a child process, SIGKILLed a random 5–15 s
 * after it starts polling and started again at once, until told to stop. Each process
 * writes its own log file, so a failure can be traced to the worker that served it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface WorkerSettings {
  taskQueue: string;
  namespaces: string[];
  logDir: string;
  /** SIGKILL this long after the worker polls: [min, max] ms, uniform. */
  killAfterMs: [number, number];
  /** A worker not polling by then is killed and replaced. */
  readyTimeoutMs: number;
}

interface Child {
  process: ChildProcess;
  identity: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: () => boolean;
  log: string;
}

export interface SupervisorStats {
  spawned: number;
  kills: number;
  readyMs: number[];
  /** Exits we did not cause: a worker crashing on its own (or refusing to start). */
  ownExits: { pid: number; at: number; code: number | null; signal: string | null; log: string }[];
  notReadyInTime: number;
}

function startChild(settings: WorkerSettings, n: number): Child {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run soak does it)`);
  mkdirSync(settings.logDir, { recursive: true });
  const log = path.join(settings.logDir, `worker-${String(n).padStart(3, '0')}.log`);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(process.execPath, [CLI, 'worker'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KPL_TASK_QUEUE: settings.taskQueue,
        KPL_NAMESPACES: settings.namespaces.join(','),
        KPL_METRICS_PORT: '0',
        KPL_RECOVERY_ON_START: 'true',
        KPL_LOG_LEVEL: 'info',
        KPL_SHUTDOWN_GRACE: '2s',
      },
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${CLI} worker; see ${log}`);
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        done = true;
        resolve({ code, signal });
      }),
    );
    child.once('error', () => undefined);
    return { process: child, identity: `${child.pid}@${hostname()}`, exited, alive: () => !done, log };
  } finally {
    closeSync(fd);
  }
}

async function polling(client: Client, taskQueue: string, identity: string): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (pollers ?? []).some((poller) => poller.identity === identity);
}

/** Ready (polling), exited, or not ready in time. Errors of the probe (Temporal down) just retry. */
async function untilReady(client: Client, settings: WorkerSettings, child: Child): Promise<'ready' | 'exited' | 'late'> {
  const deadline = Date.now() + settings.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (!child.alive()) return 'exited';
    if (await polling(client, settings.taskQueue, child.identity).catch(() => false)) return 'ready';
    await sleep(250);
  }
  return 'late';
}

export class WorkerSupervisor {
  readonly stats: SupervisorStats = { spawned: 0, kills: 0, readyMs: [], ownExits: [], notReadyInTime: 0 };
  private current?: Child;
  private killing = true;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private firstReady?: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly settings: WorkerSettings,
    private readonly random: () => number,
  ) {}

  /** Starts the kill-and-restart loop; resolves once the first worker polls. */
  start(): Promise<void> {
    let resolveFirst!: () => void;
    this.firstReady = new Promise((resolve) => (resolveFirst = resolve));
    this.loop = this.run(resolveFirst);
    return Promise.race([this.firstReady, this.loop.then(() => Promise.reject(new Error('worker loop ended before any worker was ready')))]);
  }

  /** Ends the kills; the worker then running (or the next one started) is left to serve. */
  calm(): void {
    this.killing = false;
    this.wake?.();
  }

  /** Whether a live worker is polling right now. */
  async serving(): Promise<boolean> {
    const child = this.current;
    return child !== undefined && child.alive() && (await polling(this.client, this.settings.taskQueue, child.identity).catch(() => false));
  }

  /** SIGTERM the last worker (SIGKILL if it lingers) and end the loop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.killing = false;
    this.wake?.();
    const child = this.current;
    if (child?.alive()) {
      child.process.kill('SIGTERM');
      const late = sleep(10_000).then(() => 'late' as const);
      if ((await Promise.race([child.exited, late])) === 'late' && child.alive()) child.process.kill('SIGKILL');
      await child.exited;
    }
    await this.loop;
  }

  private async run(firstReady: () => void): Promise<void> {
    while (!this.stopped) {
      const child = startChild(this.settings, ++this.stats.spawned);
      this.current = child;
      const startedAt = Date.now();
      const ready = await untilReady(this.client, this.settings, child);
      if (ready === 'exited') {
        await this.noteOwnExit(child);
        await sleep(1_000);
        continue;
      }
      if (ready === 'late') {
        this.stats.notReadyInTime++;
        child.process.kill('SIGKILL');
        await child.exited;
        continue;
      }
      const readyAt = Date.now();
      this.stats.readyMs.push(readyAt - startedAt);
      firstReady();
      const [min, max] = this.settings.killAfterMs;
      const killAt = readyAt + min + this.random() * (max - min);
      // Once calm (the end of the soak) this worker is kept until it dies or the soak stops.
      while (!this.stopped && child.alive() && !(this.killing && Date.now() >= killAt)) {
        const wait = this.killing ? killAt - Date.now() : 60_000;
        await Promise.race([child.exited, sleep(wait), new Promise<void>((resolve) => (this.wake = resolve))]);
      }
      if (this.stopped) return;
      if (!child.alive()) {
        await this.noteOwnExit(child);
        continue;
      }
      child.process.kill('SIGKILL');
      await child.exited;
      this.stats.kills++;
    }
  }

  private async noteOwnExit(child: Child): Promise<void> {
    const exit = await child.exited;
    if (this.stopped) return;
    this.stats.ownExits.push({ pid: child.process.pid ?? 0, at: Date.now(), code: exit.code, signal: exit.signal, log: child.log });
  }
}
