/**
 * Runs after every other integration test: `stack up` is idempotent through the CLI, and
 * `stack down` leaves no process of ours. A stack that was running before the tests is
 * started again afterwards, so a developer's session survives `npm test`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stackStatus, stackUp } from '../../src/stack';
import { TEST_TEMPORAL_OPTIONS } from '../helpers/stack-options';
import { CLI } from '../helpers/cli';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: process.env });
}

/** PIDs of live processes whose command line names the stack's state dir or binaries. */
function processesOfOurs(stateDir: string): number[] {
  const ours: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(stateDir) || cmdline.includes('kyuubi-pod-lifecycle/bin/')) ours.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return ours;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

// It stops the shared stack, so it runs only where asked (`npm test` asks): a developer's
// partial run of the integration project must not pull the stack from under others.
const stackDownTest = process.env.KPL_TEST_STACK_DOWN ? test : test.skip;

stackDownTest('stack up twice reuses every server; stack down leaves no process of ours', async () => {
  const first = cli('stack', 'up', '--json');
  expect(first.status).toBe(0);
  const before = stackStatus();
  const second = cli('stack', 'up', '--json');
  expect(second.status).toBe(0);
  const info = JSON.parse(second.stdout) as { startedNow: string[]; stateDir: string };
  expect(info.startedNow).toEqual([]);
  expect(stackStatus()).toEqual(before);
  const pids = Object.values(before).filter((pid): pid is number => pid !== undefined);
  expect(pids).toHaveLength(5);

  const down = cli('stack', 'down');
  expect(down.status).toBe(0);
  expect(pids.filter(isAlive)).toEqual([]);
  expect(processesOfOurs(info.stateDir)).toEqual([]);
  expect(Object.values(stackStatus()).filter(Boolean)).toEqual([]);
  expect(execFileSync('ls', [path.join(info.stateDir, 'pids')], { encoding: 'utf8' }).trim()).toBe('');

  if (!process.env.KPL_STACK_STARTED_BY_TESTS) await stackUp({ temporal: TEST_TEMPORAL_OPTIONS });
});
