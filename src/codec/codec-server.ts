/**
 * Temporal's codec server protocol over node:http, so the Temporal UI and CLI can show
 * encrypted payloads in clear: POST /encode and /decode (also under a namespace prefix,
 * `/<namespace>/decode`, for the CLI's endpoint templating) take and return
 * `{"payloads": [...]}` in proto-JSON (metadata values and data base64). It decrypts
 * whatever it is sent: bind it where only the people allowed to read payloads reach it.
 */
import http from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { Logger } from '../logger';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
export const codecRequestSchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});
export type JsonPayload = z.infer<typeof codecRequestSchema>['payloads'][number];

export function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

export function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

/** `encode` or `decode` for a path the protocol serves, else undefined. */
export function codecOperation(url: string | undefined): 'encode' | 'decode' | undefined {
  const path = (url ?? '').split('?')[0] ?? '';
  const match = /^(?:\/[^/]+)?\/(encode|decode)\/?$/.exec(path);
  return match?.[1] as 'encode' | 'decode' | undefined;
}

/** CORS response headers for a request from `origin`: none unless it is allowed exactly. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (!origin || !allowed.includes(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    // The UI's "include cross-origin credentials" and "pass access token" settings need these.
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization',
    'access-control-max-age': '600',
  };
}

/** An origin as browsers send it: scheme, host, optional port, nothing else. */
export const originSchema = z
  .string()
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
    } catch {
      return false;
    }
  }, 'must be an origin such as http://localhost:8233 (scheme, host and port; no path, no trailing slash, no wildcard)');

export interface CodecServerOptions {
  codec: PayloadCodec;
  corsOrigins: readonly string[];
  logger?: Logger;
}

export function createCodecServer({ codec, corsOrigins, logger }: CodecServerOptions): http.Server {
  return http.createServer((request, response) => {
    const cors = corsHeaders(request.headers.origin, corsOrigins);
    const reply = (status: number, body?: unknown) => {
      response.writeHead(status, { ...cors, vary: 'Origin', ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const operation = codecOperation(request.url);
    if (!operation) return reply(404, { error: `No such endpoint ${request.url ?? ''}: POST /encode or /decode` });
    if (request.method === 'OPTIONS') return reply(204);
    if (request.method !== 'POST') return reply(405, { error: `${request.method ?? ''} ${request.url ?? ''}: use POST` });
    readBody(request)
      .then(async (text) => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return reply(400, { error: 'The body is not JSON: send {"payloads": [{"metadata": {...}, "data": "<base64>"}]}' });
        }
        const parsed = codecRequestSchema.safeParse(json);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
          return reply(400, { error: `Invalid codec request body: ${issues}` });
        }
        const payloads = parsed.data.payloads.map(fromJson);
        try {
          const result = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
          return reply(200, { payloads: result.map(toJson) });
        } catch (error) {
          // A payload this server cannot read (another key, altered): the caller's data, not our fault.
          logger?.warn({ err: error, operation, namespace: request.headers['x-namespace'] }, 'codec request failed');
          return reply(422, { error: error instanceof Error ? error.message : String(error) });
        }
      })
      .catch((error: unknown) => reply(error instanceof BodyTooLargeError ? 413 : 400, { error: String(error instanceof Error ? error.message : error) }));
  });
}

class BodyTooLargeError extends Error {}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keeps draining (no destroy) so the 413 answer still reaches the caller.
      if (size > MAX_BODY_BYTES) reject(new BodyTooLargeError(`The body is larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Listens and resolves with the bound port (0 picks a free one). */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
