/**
 * The crash soak: engine lifecycles of every kind launched over a window while the worker
 * is SIGKILLed every few seconds, the Temporal dev server is SIGKILLed and restarted on
 * its SQLite file, and the kube-apiserver is down for a while; then every engine must
 * have closed as its annotations imply, with no pod, no running workflow and no workflow
 * task failure left. Imported by run.ts after the stack's port offset is in the environment.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { EngineAlreadyEndedError, EngineClient, InvalidInputError, type EngineOutcome } from '../src/client';
import { enginePodWorkflowId } from '../src/contract/names';
import { stackUp, startApiserver, startTemporal, stopApiserver, stopTemporal, type LogFn, type StackInfo } from '../src/stack';
import { isTransient, retryTransient } from '../test/helpers/crash';
import { driverManifest } from '../test/helpers/env';
import type { SoakOptions } from './options';
import { SOAK_KILL_REASON, checkOutcome, closeDueMs, planLifecycles, rng, type Lifecycle } from './plan';
import type { ChaosFacts, EngineFacts, SoakFacts } from './summary';
import { podsLeft, scanHistories, stillRunning, timeline } from './verify';
import { WorkerSupervisor } from './worker';

interface Driven {
  life: Lifecycle;
  workflowId: string;
  launchedMs?: number;
  launchError?: string;
  killSentMs?: number;
  closed?: { status: string; closeMs?: number };
}

const RETRY_BOUND_MS = 180_000;
const since = (t0: number) => `+${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;

export class Soak {
  private readonly started = Date.now();
  private readonly runId = randomBytes(3).toString('hex');
  private readonly chaos: ChaosFacts = {
    workerSpawns: 0, workerKills: 0, workerReadyMs: [], workerOwnExits: [], workersNotReadyInTime: 0,
    launchRetries: 0, killRetries: 0, killErrors: {},
  };
  private readonly phasesMs: Record<string, number> = {};
  private temporalOutage?: [number, number];
  private supervisor?: WorkerSupervisor;
  private client?: Client;
  stack?: StackInfo;

  constructor(
    private readonly o: SoakOptions,
    private readonly stateDir: string,
  ) {}

  private say(line: string): void {
    process.stdout.write(`[soak ${since(this.started)}] ${line}\n`);
  }

  async run(): Promise<SoakFacts> {
    const log: LogFn = (line) => this.say(`stack: ${line}`);
    let t = Date.now();
    this.stack = await stackUp({ stateDir: this.stateDir, log, etcdUnsafeNoFsync: true });
    this.phasesMs['stack up'] = Date.now() - t;
    process.env.TEMPORAL_ADDRESS = this.stack.temporalAddress;
    process.env.TEMPORAL_NAMESPACE = this.stack.temporalNamespace;
    process.env.KUBECONFIG = this.stack.kubeconfigPath;

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(this.stack.kubeconfigPath);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const connection = await Connection.connect({ address: this.stack.temporalAddress });
    const client = (this.client = new Client({ connection, namespace: this.stack.temporalNamespace }));
    const taskQueue = `soak-${this.runId}`;
    const engines = new EngineClient(client, taskQueue);

    const namespaces = Array.from({ length: this.o.namespaces }, (_, i) => `soak-${this.runId}-${i}`);
    for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } });
    const plan = planLifecycles({ lifecycles: this.o.lifecycles, launchWindowMs: this.o.launchWindowMs, namespaces, runId: this.runId, seed: this.o.seed });
    this.say(`run ${this.runId}, seed ${this.o.seed}: ${plan.length} lifecycles over ${this.o.launchWindowMs / 1000} s in ${namespaces.join(', ')}; ` +
      `task queue ${taskQueue}; stack ${this.stateDir}`);

    t = Date.now();
    const supervisor = (this.supervisor = new WorkerSupervisor(client, {
      taskQueue, namespaces, logDir: path.join(this.stateDir, 'logs', `soak-${this.runId}`),
      killAfterMs: this.o.killEveryMs, readyTimeoutMs: 120_000,
    }, rng(this.o.seed ^ 0x5eed)));
    await supervisor.start();
    this.phasesMs['first worker ready'] = Date.now() - t;

    const t0 = Date.now();
    const driven: Driven[] = plan.map((life) => ({ life, workflowId: enginePodWorkflowId(life.namespace, life.tag) }));
    const progress = setInterval(() => this.say(this.progressLine(driven)), 15_000);
    const chaos = Promise.all([this.apiserverOutage(t0), this.temporalRestart(t0)]);
    await Promise.all(driven.map((d) => this.drive(engines, d, t0)));
    await chaos;
    this.phasesMs['launches and kills'] = Date.now() - t0;

    t = Date.now();
    await this.drain(client, driven, t0 + this.o.launchWindowMs + this.o.drainTimeoutMs);
    this.phasesMs.drain = Date.now() - t;
    clearInterval(progress);

    t = Date.now();
    supervisor.calm();
    const engineFacts = await this.judge(engines, driven);
    await this.showSlowest(client, engineFacts, 2);
    // Recovery runs need a live worker to end; the last one is left alone now.
    const serving = await until(() => supervisor.serving(), 120_000);
    if (!serving) this.say('warning: no worker polling after the kills stopped');
    const left = await podsLeft(core, namespaces, 60_000);
    const running = await stillRunning(client, 90_000);
    const history = await scanHistories(client);
    this.phasesMs.verify = Date.now() - t;
    await this.stopWorkers();
    this.phasesMs.total = Date.now() - this.started;
    return { seed: this.o.seed, engines: engineFacts, chaos: this.chaos, history, podsLeft: left, stillRunning: running, phasesMs: this.phasesMs };
  }

  /** Ends the worker loop and closes the client; safe to call twice. */
  async stopWorkers(): Promise<void> {
    const supervisor = this.supervisor;
    this.supervisor = undefined;
    if (supervisor) {
      await supervisor.stop();
      const stats = supervisor.stats;
      const [from, to] = this.temporalOutage ?? [Infinity, -Infinity];
      Object.assign(this.chaos, {
        workerSpawns: stats.spawned,
        workerKills: stats.kills,
        workerReadyMs: stats.readyMs,
        workersNotReadyInTime: stats.notReadyInTime,
        // A worker started while Temporal is down cannot connect and exits 1, as it should.
        workerOwnExits: stats.ownExits
          .filter((exit) => !(exit.at >= from && exit.at <= to + 15_000))
          .map((exit) => `pid ${exit.pid} at ${since(this.started)} code ${exit.code} signal ${exit.signal}; log ${exit.log}`),
      });
    }
    await this.client?.connection.close().catch(() => undefined);
    this.client = undefined;
  }

  private progressLine(driven: Driven[]): string {
    const launched = driven.filter((d) => d.launchedMs !== undefined).length;
    const stats = this.supervisor?.stats;
    return `launched ${launched}/${driven.length}, worker kills ${stats?.kills ?? 0}, starts ${stats?.spawned ?? 0}`;
  }

  /** Launches one engine at its time and, for `kill`, kills it later through the update. */
  private async drive(engines: EngineClient, d: Driven, t0: number): Promise<void> {
    await sleep(Math.max(0, t0 + d.life.launchAtMs - Date.now()));
    const { life } = d;
    const input = { tag: life.tag, namespace: life.namespace, pod: driverManifest(life.annotations), policy: life.policy };
    const deadline = Date.now() + RETRY_BOUND_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await engines.launchEngine(input);
        break;
      } catch (error) {
        // A retry after a start whose reply was lost finds the workflow: it is launched.
        if (attempt > 1 && error instanceof InvalidInputError && /already ran/.test(error.message)) break;
        if (!isTransient(error) || Date.now() > deadline) {
          d.launchError = (error as Error).message;
          return;
        }
        this.chaos.launchRetries++;
        await sleep(Math.min(250 * attempt, 2_000));
      }
    }
    d.launchedMs = Date.now();
    if (life.killAfterMs === undefined) return;
    await sleep(life.killAfterMs);
    d.killSentMs = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await engines.killEngine(life, SOAK_KILL_REASON);
        return;
      } catch (error) {
        // Ended before our first try means the kill raced nothing we sent: the outcome check judges it.
        if (error instanceof EngineAlreadyEndedError) return;
        const name = (error as Error).name || 'Error';
        this.chaos.killErrors[name] = (this.chaos.killErrors[name] ?? 0) + 1;
        if (Date.now() > d.killSentMs + RETRY_BOUND_MS) return;
        this.chaos.killRetries++;
        await sleep(Math.min(500 * attempt, 3_000));
      }
    }
  }

  private async apiserverOutage(t0: number): Promise<void> {
    await sleep(Math.max(0, t0 + this.o.apiserverAt * this.o.launchWindowMs - Date.now()));
    const log: LogFn = (line) => this.say(`stack: ${line}`);
    const downAt = Date.now();
    await stopApiserver({ stateDir: this.stateDir, signal: 'SIGKILL', log });
    this.say(`kube-apiserver down for ${this.o.apiserverDownMs / 1000} s`);
    await sleep(Math.max(0, downAt + this.o.apiserverDownMs - Date.now()));
    const restartAt = Date.now();
    await startApiserver({ stateDir: this.stateDir, log });
    this.chaos.apiserver = { downMs: Date.now() - downAt, answeringAfterMs: Date.now() - restartAt };
    this.say('kube-apiserver answering again');
  }

  private async temporalRestart(t0: number): Promise<void> {
    await sleep(Math.max(0, t0 + this.o.temporalAt * this.o.launchWindowMs - Date.now()));
    const log: LogFn = (line) => this.say(`stack: ${line}`);
    const downAt = Date.now();
    this.temporalOutage = [downAt, Infinity];
    await stopTemporal({ stateDir: this.stateDir, signal: 'SIGKILL', log });
    await sleep(Math.max(0, downAt + this.o.temporalDownMs - Date.now()));
    const restartAt = Date.now();
    await startTemporal({ stateDir: this.stateDir, log });
    this.temporalOutage = [downAt, Date.now()];
    this.chaos.temporal = { downMs: Date.now() - downAt, answeringAfterMs: Date.now() - restartAt };
    this.say('temporal answering again');
  }

  /** Waits until every launched engine's workflow has closed, or the deadline. */
  private async drain(client: Client, driven: Driven[], deadline: number): Promise<void> {
    let lastSaid = 0;
    for (;;) {
      const open = driven.filter((d) => d.launchedMs !== undefined && !d.closed);
      for (const d of open) {
        const description = await retryTransient(() => client.workflow.getHandle(d.workflowId).describe(), `describe ${d.workflowId}`);
        if (description.status.name !== 'RUNNING' && description.status.name !== 'CONTINUED_AS_NEW') {
          d.closed = { status: description.status.name, closeMs: description.closeTime?.getTime() };
        }
      }
      const still = driven.filter((d) => d.launchedMs !== undefined && !d.closed);
      if (still.length === 0 || Date.now() > deadline) return;
      if (Date.now() - lastSaid > 15_000) {
        lastSaid = Date.now();
        this.say(`draining: ${still.length} open, e.g. ${still.slice(0, 3).map((d) => d.workflowId).join(', ')}`);
      }
      await sleep(2_000);
    }
  }

  /** The histories of the engines that closed latest after they were due, to see where the time went. */
  private async showSlowest(client: Client, facts: EngineFacts[], count: number): Promise<void> {
    const slowest = [...facts].sort((a, b) => (b.closeLagMs ?? -Infinity) - (a.closeLagMs ?? -Infinity)).slice(0, count);
    for (const engine of slowest) {
      if (engine.closeLagMs === undefined) continue;
      const lines = await timeline(client, engine.workflowId, this.started).catch((error: unknown) => [String(error)]);
      this.say(`slowest: ${engine.workflowId} (${engine.kind}) closed ${(engine.closeLagMs / 1000).toFixed(1)} s after due:\n    ${lines.join('\n    ')}`);
    }
  }

  /** Each engine's facts: outcome against its expectation, and when it closed. */
  private async judge(engines: EngineClient, driven: Driven[]): Promise<EngineFacts[]> {
    const facts: EngineFacts[] = [];
    for (const d of driven) {
      const base = { kind: d.life.kind, workflowId: d.workflowId };
      if (d.launchError !== undefined) {
        facts.push({ ...base, ended: 'NOT_LAUNCHED', problems: [`launch failed: ${d.launchError}`] });
        continue;
      }
      if (!d.closed) {
        facts.push({ ...base, ended: 'RUNNING', problems: ['still running after the drain timeout'] });
        continue;
      }
      if (d.closed.status !== 'COMPLETED') {
        facts.push({ ...base, ended: d.closed.status, problems: [`workflow ${d.closed.status}, not COMPLETED`] });
        continue;
      }
      const outcome = await retryTransient<EngineOutcome>(() => engines.waitForEngine(d.life), `outcome of ${d.workflowId}`);
      const due = closeDueMs(d.life, outcome, d.killSentMs);
      const closeMs = d.closed.closeMs;
      facts.push({
        ...base,
        ended: outcome.state,
        closeLagMs: due !== undefined && closeMs !== undefined ? closeMs - due : undefined,
        lifeMs: closeMs !== undefined && d.launchedMs !== undefined ? closeMs - d.launchedMs : undefined,
        problems: checkOutcome(d.life.expect, outcome),
      });
    }
    return facts;
  }
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(500);
  }
  return false;
}
