/**
 * How every command ends: JSON or text on stdout, errors on stderr, exit 0 / 1 / 2.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CommanderError } from 'commander';
import { ZodError } from 'zod';
import { ConfigError } from '../config';
import { InvalidInputError } from '../contract/normalize';
import { describeIssues } from '../contract/schemas';

export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Bad input from the command line: exit 2, nothing done. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function print(value: unknown, json: boolean, text: (value: never) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text(value as never)}\n`);
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  if (error instanceof UsageError || error instanceof InvalidInputError || error instanceof ConfigError || error instanceof ZodError) {
    return EXIT.badInput;
  }
  return EXIT.failed;
}

export function describeError(error: unknown): string {
  if (error instanceof ZodError) return describeIssues(error);
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failed workflow as the operator needs it: the failure at the bottom of its chain (the
 * activity's ApplicationFailure, not "Workflow execution failed"); a failure of type
 * `badInputType` is bad input (exit 2). Anything else is rethrown as it is.
 */
export function explainWorkflowFailure(error: unknown, what: string, badInputType: string): never {
  if (!(error instanceof WorkflowFailedError)) throw error;
  let root: Error | undefined = error.cause;
  while (root?.cause instanceof Error) root = root.cause;
  if (root instanceof ApplicationFailure && root.type === badInputType) throw new UsageError(root.message);
  throw new Error(`${what} failed: ${root?.message ?? error.message}`);
}

/**
 * The local stack's module, loaded only by the commands that use it: it reads
 * KPL_STACK_PORT_OFFSET when loaded, and a bad value there must be exit 2 naming the
 * variable, not a crash of every command.
 */
export async function loadStack(): Promise<typeof import('../stack')> {
  try {
    return await import('../stack');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('KPL_STACK_')) throw new UsageError(error.message);
    throw error;
  }
}

/** Wraps a command's action so every failure becomes a message and an exit code. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      if (!(error instanceof CommanderError)) process.stderr.write(`error: ${describeError(error)}\n`);
      process.exitCode = exitCodeOf(error);
    }
  };
}
