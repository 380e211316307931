/**
 * A PayloadCodec that encrypts every payload with AES-256-GCM. The wire format is the one
 * Temporal's encryption samples use in every SDK (the protobuf-serialized payload,
 * encrypted; a random 12-byte IV before the ciphertext and the 16-byte tag after it;
 * metadata `encoding: binary/encrypted` and `encryption-key-id`), so a JVM caller can
 * implement the same codec with the Java SDK.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PAYLOAD_ENCRYPTION } from '../contract/names';
import type { EncryptionKey } from './keys';

export const ENCRYPTED_ENCODING = PAYLOAD_ENCRYPTION.encoding;
export const KEY_ID_METADATA_KEY = PAYLOAD_ENCRYPTION.keyIdMetadataKey;
const CIPHER = 'aes-256-gcm';
const IV_BYTES = PAYLOAD_ENCRYPTION.ivBytes;
const TAG_BYTES = PAYLOAD_ENCRYPTION.tagBytes;

export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

const utf8 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export function isEncrypted(payload: Payload): boolean {
  return utf8(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, EncryptionKey>;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(private readonly keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('AesGcmCodec needs at least one key');
    this.byId = new Map(keys.map((key) => [key.id, key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  encrypt(payload: Payload): Payload {
    const key = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key.bytes, iv);
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA_KEY]: Buffer.from(key.id),
      },
      data,
    };
  }

  decrypt(payload: Payload): Payload {
    const id = utf8(payload.metadata?.[KEY_ID_METADATA_KEY]);
    const key = id === undefined ? undefined : this.byId.get(id);
    if (!key) {
      const known = [...this.byId.keys()].join(', ');
      throw new PayloadDecryptionError(
        `Cannot decrypt a payload encrypted with key id ${id ?? '(none)'}: KPL_ENCRYPTION_KEY has keys ${known}. ` +
          'Add the key that encrypted it to KPL_ENCRYPTION_KEY (comma-separated; the first encrypts, all decrypt).',
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`Cannot decrypt a payload of ${data.length} bytes with key id ${id}: it is shorter than an IV and a tag`);
    }
    const decipher = createDecipheriv(CIPHER, key.bytes, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`Cannot decrypt a payload with key id ${id}: its authentication tag does not match (the payload was altered)`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}
