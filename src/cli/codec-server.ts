/**
 * `kyuubi-pods codec-server`: decrypts payloads for the Temporal UI and CLI with the
 * installation's KPL_ENCRYPTION_KEY.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { AesGcmCodec, ENCRYPTION_KEY_VARIABLE, loadEncryptionKeys } from '../codec';
import { createCodecServer, listen, originSchema } from '../codec/codec-server';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { UsageError, action, print } from './output';

/** The local stack's UI, under both names a browser may use for it. */
const DEFAULT_ORIGINS = 'http://localhost:8233,http://127.0.0.1:8233';

const optionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  corsOrigin: z
    .string()
    .transform((text) => text.split(',').map((origin) => origin.trim()).filter(Boolean))
    .pipe(z.array(originSchema)),
});

interface CodecServerOptions {
  port: string;
  host: string;
  corsOrigin: string;
  json?: boolean;
}

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description('serve Temporal\'s codec server protocol (POST /encode, /decode) so the Temporal UI and CLI show encrypted payloads')
    .option('--port <port>', 'port to listen on (0 = any free port)', '8888')
    .option('--host <host>', 'address to listen on; it decrypts for anyone who reaches it', '127.0.0.1')
    .option('--cors-origin <origins>', 'comma-separated origins of the Temporal UI allowed to call it', DEFAULT_ORIGINS)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `\nNeeds ${ENCRYPTION_KEY_VARIABLE} (the workers' keys). Then point the UI at it: Settings > Codec Server,\n` +
        'or `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888`; the CLI: `temporal workflow show --codec-endpoint ...`.',
    )
    .action(action(runCodecServer));
}

async function runCodecServer(raw: CodecServerOptions): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const names: Record<string, string> = { port: '--port', host: '--host', corsOrigin: '--cors-origin' };
    throw new UsageError(parsed.error.issues.map((issue) => `${names[String(issue.path[0])] ?? ''}: ${issue.message}`).join('\n'));
  }
  const keys = loadEncryptionKeys();
  if (!keys) throw new UsageError(`${ENCRYPTION_KEY_VARIABLE} is not set: the codec server needs the workers' keys (comma-separated base64, the first encrypts)`);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const { port, host, corsOrigin } = parsed.data;
  const server = createCodecServer({ codec: new AesGcmCodec(keys), corsOrigins: corsOrigin, logger });
  const bound = await listen(server, port, host);
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  print({ endpoint, corsOrigins: corsOrigin, keyIds: keys.map((key) => key.id) }, Boolean(raw.json), () => `codec server on ${endpoint} (CORS: ${corsOrigin.join(', ') || 'none'})`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      // A browser's keep-alive connection would otherwise hold the process open.
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
