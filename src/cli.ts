#!/usr/bin/env node
/**
 * `kyuubi-pods`: the operator's and developer's command line.
 */
import { Command } from 'commander';
import { CLI_NAME } from './contract/names';
import { registerCodecServerCommand } from './cli/codec-server';
import { registerDevCommand } from './cli/dev';
import { registerEngineCommands } from './cli/engines';
import { registerLaunch } from './cli/launch';
import { registerStackCommands, registerWorkerCommand } from './cli/operate';
import { registerRecoverCommand } from './cli/recover';
import { EXIT } from './cli/output';

export function buildProgram(): Command {
  const program = new Command(CLI_NAME)
    .description('Durable lifecycles for the Kubernetes pods Apache Kyuubi launches, on Temporal')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kyuubi-pods stack up && eval "$(kyuubi-pods stack env)"\n' +
        '  kyuubi-pods worker\n' +
        '  kyuubi-pods launch --tag 0f3c2b1e -n default -f driver.yaml --retain 1m --json\n' +
        '  kyuubi-pods list -n default --state RUNNING\n' +
        '\nEvery command takes --json. Exit codes: 0 ok, 1 the operation failed, 2 bad input (nothing done).\n' +
        'Run kyuubi-pods <command> --help for a command\'s flags and examples.',
    )
    .exitOverride((error) => {
      // Usage mistakes exit 2 (bad input); --help and --version exit 0.
      process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.badInput);
    });
  registerLaunch(program);
  registerEngineCommands(program);
  registerRecoverCommand(program);
  registerWorkerCommand(program);
  registerStackCommands(program);
  registerDevCommand(program);
  registerCodecServerCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT.failed;
    });
}
