/**
 * `npm run bench [-- NAME...]`: the benchmarks on a stack of their own. The stack's ports
 * are fixed when src/stack is first loaded, so the defaults go into the environment
 * before anything else is imported.
 */
import os from 'node:os';
import path from 'node:path';

process.env.KPL_STACK_PORT_OFFSET ||= '12000';
process.env.KPL_STACK_DIR ||= path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kyuubi-pod-lifecycle', 'bench-stack');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('./main') as typeof import('./main');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
