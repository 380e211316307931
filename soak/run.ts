/**
 * `npm run soak [-- --preset short]`: the crash soak on a stack of its own (port offset
 * 14000, state in the temp dir unless KPL_STACK_PORT_OFFSET / KPL_STACK_DIR say otherwise).
 * Bounded in time; exits 1 on any violation. Stops the servers it started, and removes a
 * default state dir after a pass (after a failure it keeps it for the histories).
 */
import { randomInt } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { soakCommand, soakOptions } from './options';

const DEFAULT_PORT_OFFSET = '14000';
/** Stack up, first worker and the final checks get this much on top of the window and the drain. */
const OVERHEAD_BOUND_MS = 10 * 60_000;

async function main(): Promise<number> {
  const command = soakCommand().parse(process.argv);
  const options = soakOptions(command.opts(), () => randomInt(2 ** 31));
  if (!process.env.KPL_STACK_PORT_OFFSET) process.env.KPL_STACK_PORT_OFFSET = DEFAULT_PORT_OFFSET;
  const defaultDir = !process.env.KPL_STACK_DIR;
  if (defaultDir) process.env.KPL_STACK_DIR = path.join(os.tmpdir(), 'kyuubi-pods-soak-stack');
  const stateDir = path.resolve(process.env.KPL_STACK_DIR ?? '');

  // Only now: the stack's ports are fixed from KPL_STACK_PORT_OFFSET when its module loads.
  const { Soak } = await import('./soak');
  const { formatSummary, violations } = await import('./summary');
  const { stackDown } = await import('../src/stack');
  const soak = new Soak(options, stateDir);

  let passed = false;
  const cleanUp = async () => {
    await soak.stopWorkers().catch(() => undefined);
    if (options.keepStack || !soak.stack?.startedNow.length) {
      process.stdout.write(`stack left running in ${stateDir} (KPL_STACK_PORT_OFFSET=${process.env.KPL_STACK_PORT_OFFSET})\n`);
      return;
    }
    const purge = passed && defaultDir;
    await stackDown({ stateDir, purge, log: (line) => process.stdout.write(`[stack] ${line}\n`) });
    if (!purge) process.stdout.write(`state (SQLite histories, logs) kept in ${stateDir}\n`);
  };
  const abort = (why: string) => {
    process.stdout.write(`\nsoak aborted: ${why}\n`);
    const forced = setTimeout(() => process.exit(1), 60_000);
    forced.unref();
    void cleanUp().finally(() => process.exit(1));
  };
  const boundMs = options.launchWindowMs + options.drainTimeoutMs + OVERHEAD_BOUND_MS;
  setTimeout(() => abort(`still running after ${Math.round(boundMs / 1000)} s, its bound`), boundMs).unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));

  try {
    const facts = await soak.run();
    passed = violations(facts).length === 0;
    process.stdout.write(`\n${formatSummary(facts)}\n`);
  } catch (error) {
    process.stdout.write(`\nsoak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  await cleanUp();
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
