/**
 * Payload encryption, assembled: the data converter every client and worker of an
 * installation with KPL_ENCRYPTION_KEY uses.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import type { EncryptionKey } from './keys';

export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA_KEY, PayloadDecryptionError, isEncrypted } from './aes-gcm-codec';
export { ENCRYPTION_KEY_VARIABLE, keyId, loadEncryptionKeys, type EncryptionKey } from './keys';

/**
 * The failure converter's module, for `bundleWorkflowCode({ failureConverterPath })`:
 * a prebuilt workflow bundle must include it, or failures raised inside workflows keep
 * their messages in plain text.
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** Undefined without keys: the SDK's default converter, exactly as before encryption existed. */
export function encryptingDataConverter(keys: readonly EncryptionKey[] | undefined): DataConverter | undefined {
  if (!keys) return undefined;
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
