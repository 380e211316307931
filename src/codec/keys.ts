/**
 * Encryption keys from KPL_ENCRYPTION_KEY: a comma-separated list of base64-encoded
 * 32-byte AES-256 keys. The first encrypts; every one decrypts, so a rotation puts the
 * new key first and keeps the old ones until no history that needs them is retained.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../config';
import { PAYLOAD_ENCRYPTION } from '../contract/names';

export const ENCRYPTION_KEY_VARIABLE = PAYLOAD_ENCRYPTION.keyVariable;
export const KEY_BYTES = PAYLOAD_ENCRYPTION.keyBytes;
const HOW_TO_MAKE_ONE = 'make one with `openssl rand -base64 32`';

export interface EncryptionKey {
  /** Stored beside every payload, so a reader knows which key to use without trying them all. */
  id: string;
  bytes: Buffer;
}

/**
 * Derived from the key, so nobody has to name keys and two installations with the same
 * key agree. A hash of a random 256-bit key reveals nothing useful about it; the prefix
 * keeps the id from being a plain SHA-256 of the key anyway.
 */
export function keyId(bytes: Buffer): string {
  const { keyIdDomain, keyIdHexChars } = PAYLOAD_ENCRYPTION;
  return createHash('sha256').update(`${keyIdDomain}\0`).update(bytes).digest('hex').slice(0, keyIdHexChars);
}

const oneKey = z.string().transform((text, ctx) => {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  // Buffer.from skips characters that are not base64; a round trip catches them.
  const strict = bytes.toString('base64') === trimmed;
  if (!strict || bytes.length !== KEY_BYTES) {
    // Never echo the value: it is (or is meant to be) a secret.
    const got = strict ? `decodes to ${bytes.length} bytes` : 'is not valid base64';
    ctx.addIssue({ code: 'custom', message: `must be base64 of ${KEY_BYTES} random bytes, but it ${got}: ${HOW_TO_MAKE_ONE}` });
    return z.NEVER;
  }
  return { id: keyId(bytes), bytes };
});

export const encryptionKeysSchema = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(oneKey).min(1));

/** Keys to use, or undefined when the variable is unset or empty (no encryption). */
export function loadEncryptionKeys(env: NodeJS.ProcessEnv = process.env): EncryptionKey[] | undefined {
  const text = env[ENCRYPTION_KEY_VARIABLE];
  if (text === undefined || text.trim() === '') return undefined;
  const parsed = encryptionKeysSchema.safeParse(text);
  if (!parsed.success) {
    const count = text.split(',').length;
    const lines = parsed.error.issues.map((issue) => {
      const index = typeof issue.path[0] === 'number' ? issue.path[0] : 0;
      return count > 1 ? `${ENCRYPTION_KEY_VARIABLE}: key ${index + 1} of ${count} ${issue.message}` : `${ENCRYPTION_KEY_VARIABLE}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
