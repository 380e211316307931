/**
 * The worker as operators run it: `node dist/src/cli.js worker` in a child process of its
 * own, so a test can SIGKILL it for real. Readiness is read from Temporal (a poller with
 * the child's identity on its queue), not from its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ROOT, eventually } from './env';

export const CLI = path.join(ROOT, 'dist/src/cli.js');
const TAIL_CHARS = 64 * 1024;

export interface WorkerProcessOptions {
  taskQueue: string;
  /** KPL_NAMESPACES: the namespaces this worker may manage and recovers at start. */
  namespaces: string[];
  /** More KPL_* settings; override the defaults below. */
  env?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerProcess {
  readonly pid: number;
  /** The Temporal SDK's default worker identity, `<pid>@<hostname>`. */
  readonly identity: string;
  readonly exited: Promise<Exit>;
  private exit?: Exit;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly taskQueue: string,
  ) {
    if (child.pid === undefined) throw new Error(`could not spawn ${CLI} worker`);
    this.pid = child.pid;
    this.identity = `${child.pid}@${hostname()}`;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    child.once('error', (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
  }

  static start(options: WorkerProcessOptions): WorkerProcess {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it)`);
    const child = spawn(process.execPath, [CLI, 'worker'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KPL_TASK_QUEUE: options.taskQueue,
        KPL_NAMESPACES: options.namespaces.join(','),
        KPL_METRICS_PORT: '0',
        KPL_RECOVERY_ON_START: 'true',
        KPL_LOG_LEVEL: 'info',
        // afterAll's SIGTERM should not wait the production default of 30 s.
        KPL_SHUTDOWN_GRACE: '2s',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child, options.taskQueue);
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** The last 64 KiB of the worker's stdout and stderr, for failure messages. */
  tail(chars = 4000): string {
    return this.output.slice(-chars);
  }

  /** Resolves once Temporal lists this process polling its queue for workflow tasks. */
  async ready(client: Client, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        if (!this.alive) {
          throw new Error(`worker ${this.pid} exited (${JSON.stringify(this.exit)}) before polling:\n${this.tail()}`);
        }
        return (await this.polling(client)) ? true : undefined;
      },
      `worker ${this.identity} polling ${this.taskQueue}`,
      timeoutMs,
    );
  }

  /** Whether Temporal has seen this process poll its queue for workflow tasks lately. */
  async polling(client: Client): Promise<boolean> {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: this.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (pollers ?? []).some((poller) => poller.identity === this.identity);
  }

  /** SIGKILL by default: the crash itself. Returns once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.alive) process.kill(this.pid, signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`; safe to call twice. */
  async stop(timeoutMs = 10_000): Promise<Exit> {
    if (!this.alive) return this.exited;
    process.kill(this.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first === 'late' && this.alive) process.kill(this.pid, 'SIGKILL');
    return this.exited;
  }
}
