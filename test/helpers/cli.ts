/**
 * The compiled `kyuubi-pods` binary, run as an operator runs it (`npm test` builds it first).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './env';

export const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface CliRun {
  /** null when the run was killed for taking longer than its timeout. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with the test's environment plus `env`; a run that hangs is killed after `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return runProcess(process.execPath, [CLI, ...args], env, timeoutMs);
}

/** Any command, as runCli runs ours: the test's environment plus `env`, output collected. */
export function runProcess(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
