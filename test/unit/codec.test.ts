import { randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA_KEY, PayloadDecryptionError, isEncrypted, keyId, loadEncryptionKeys } from '../../src/codec';
import { codecOperation, codecRequestSchema, corsHeaders, fromJson, originSchema, toJson } from '../../src/codec/codec-server';
import { ConfigError } from '../../src/config';

const newKey = () => randomBytes(32).toString('base64');
const keysOf = (text: string) => loadEncryptionKeys({ KPL_ENCRYPTION_KEY: text })!;
const text = (payload: Payload) => Buffer.from(payload.data ?? []).toString('utf8');
const meta = (payload: Payload, key: string) => Buffer.from(payload.metadata?.[key] ?? []).toString('utf8');

describe('loadEncryptionKeys', () => {
  it.each<[string, string | undefined]>([
    ['unset', undefined],
    ['empty', ''],
    ['blank', '  '],
  ])('%s means no encryption', (_name, value) => {
    expect(loadEncryptionKeys(value === undefined ? {} : { KPL_ENCRYPTION_KEY: value })).toBeUndefined();
  });

  it('reads one key, and a list whose first key encrypts', () => {
    const [a, b] = [newKey(), newKey()];
    expect(keysOf(a).map((k) => k.bytes.toString('base64'))).toEqual([a]);
    expect(keysOf(` ${b} , ${a} `).map((k) => k.bytes.toString('base64'))).toEqual([b, a]);
  });

  it.each<[string, string, RegExp]>([
    ['16 bytes', randomBytes(16).toString('base64'), /^KPL_ENCRYPTION_KEY: must be base64 of 32 random bytes, but it decodes to 16 bytes: make one with `openssl rand -base64 32`$/m],
    ['64 bytes', randomBytes(64).toString('base64'), /decodes to 64 bytes/],
    ['not base64', 'this is not a key!', /is not valid base64/],
    ['hex', randomBytes(32).toString('hex'), /KPL_ENCRYPTION_KEY: must be base64 of 32 random bytes/],
    ['a bad second key', `${newKey()},abc`, /^KPL_ENCRYPTION_KEY: key 2 of 2 must be base64 of 32 random bytes/m],
    ['an empty list entry', `${newKey()},,${newKey()}`, /key 2 of 3 .*decodes to 0 bytes/],
  ])('rejects %s, naming the variable and how to make a key', (_name, value, message) => {
    const load = () => loadEncryptionKeys({ KPL_ENCRYPTION_KEY: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it('never echoes the value in its error', () => {
    const secret = randomBytes(31).toString('base64');
    let message = '';
    try {
      loadEncryptionKeys({ KPL_ENCRYPTION_KEY: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('decodes to 31 bytes');
    expect(message).not.toContain(secret);
  });
});

describe('keyId', () => {
  it('is derived from the key: stable, 16 hex characters, different per key', () => {
    const key = randomBytes(32);
    expect(keyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyId(Buffer.from(key))).toBe(keyId(key));
    expect(keyId(randomBytes(32))).not.toBe(keyId(key));
  });
});

describe('AesGcmCodec', () => {
  const plain = defaultPayloadConverter.toPayload({ env: [{ name: 'SECRET', value: 'marker-42' }] });

  it('encrypts: encrypted encoding, the key id, no plaintext, and decrypts back', async () => {
    const keys = keysOf(newKey());
    const codec = new AesGcmCodec(keys);
    const [encoded] = await codec.encode([plain]);
    expect(meta(encoded!, METADATA_ENCODING_KEY)).toBe(ENCRYPTED_ENCODING);
    expect(meta(encoded!, KEY_ID_METADATA_KEY)).toBe(keys[0]!.id);
    expect(Object.keys(encoded!.metadata ?? {}).sort()).toEqual([METADATA_ENCODING_KEY, KEY_ID_METADATA_KEY].sort());
    expect(Buffer.from(encoded!.data!).includes('marker-42')).toBe(false);
    expect(Buffer.from(encoded!.data!).includes('json/plain')).toBe(false);
    const [decoded] = await codec.decode([encoded!]);
    expect(meta(decoded!, METADATA_ENCODING_KEY)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ env: [{ name: 'SECRET', value: 'marker-42' }] });
  });

  it('uses a fresh IV per payload: the same value encrypts differently every time', async () => {
    const codec = new AesGcmCodec(keysOf(newKey()));
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
  });

  it('round-trips empty data and binary payloads', async () => {
    const codec = new AesGcmCodec(keysOf(newKey()));
    const payloads = [defaultPayloadConverter.toPayload(undefined), defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 255]))];
    const decoded = await codec.decode(await codec.encode(payloads));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([undefined, new Uint8Array([0, 1, 255])]);
  });

  it('after a rotation, the new key encrypts and the old one still decrypts old payloads', async () => {
    const [oldKey, newer] = [newKey(), newKey()];
    const [oldPayload] = await new AesGcmCodec(keysOf(oldKey)).encode([plain]);
    const rotated = new AesGcmCodec(keysOf(`${newer},${oldKey}`));
    const [fresh] = await rotated.encode([plain]);
    expect(meta(fresh!, KEY_ID_METADATA_KEY)).toBe(keysOf(newer)[0]!.id);
    const decoded = await rotated.decode([oldPayload!, fresh!]);
    expect(decoded.map((p) => text(p))).toEqual([text(plain), text(plain)]);
  });

  it('a codec without the key names the key id it lacks and the variable to fix', async () => {
    const writer = keysOf(newKey());
    const [encoded] = await new AesGcmCodec(writer).encode([plain]);
    const reader = new AesGcmCodec(keysOf(newKey()));
    const decode = reader.decode([encoded!]);
    await expect(decode).rejects.toThrow(PayloadDecryptionError);
    await expect(reader.decode([encoded!])).rejects.toThrow(`key id ${writer[0]!.id}: KPL_ENCRYPTION_KEY has keys`);
  });

  it.each<[string, (data: Buffer) => Buffer]>([
    ['a flipped ciphertext bit', (d) => Buffer.concat([d.subarray(0, 20), Buffer.from([d[20]! ^ 1]), d.subarray(21)])],
    ['a flipped tag bit', (d) => Buffer.concat([d.subarray(0, d.length - 1), Buffer.from([d[d.length - 1]! ^ 1])])],
    ['a truncated payload', (d) => d.subarray(0, 20)],
  ])('refuses %s', async (_name, alter) => {
    const codec = new AesGcmCodec(keysOf(newKey()));
    const [encoded] = await codec.encode([plain]);
    await expect(codec.decode([{ ...encoded!, data: alter(Buffer.from(encoded!.data!)) }])).rejects.toThrow(PayloadDecryptionError);
  });

  it('passes payloads that are not encrypted through decode (histories from before encryption)', async () => {
    const codec = new AesGcmCodec(keysOf(newKey()));
    expect(isEncrypted(plain)).toBe(false);
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});

describe('codec server protocol helpers', () => {
  it('proto-JSON payloads round-trip through fromJson/toJson with base64 fields', () => {
    const json = toJson(defaultPayloadConverter.toPayload('hi'));
    expect(json).toEqual({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') });
    expect(defaultPayloadConverter.fromPayload(fromJson(json))).toBe('hi');
  });

  it.each<[unknown, boolean]>([
    [{ payloads: [] }, true],
    [{ payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'IjEi' }] }, true],
    [{ payloads: [{}] }, true],
    [{}, false],
    [{ payloads: [{ data: 'not base64!' }] }, false],
    [{ payloads: [{ metadata: { encoding: 'json plain' } }] }, false],
  ])('request body %j valid: %s', (body, valid) => {
    expect(codecRequestSchema.safeParse(body).success).toBe(valid);
  });

  it.each<[string | undefined, string | undefined]>([
    ['/decode', 'decode'],
    ['/encode', 'encode'],
    ['/default/decode', 'decode'],
    ['/decode?x=1', 'decode'],
    ['/decode/', 'decode'],
    ['/', undefined],
    ['/a/b/decode', undefined],
    ['/decoder', undefined],
    [undefined, undefined],
  ])('path %s serves %s', (url, operation) => {
    expect(codecOperation(url)).toBe(operation);
  });

  it('CORS answers only an allowed origin, exactly', () => {
    const allowed = ['http://localhost:8233'];
    const headers = corsHeaders('http://localhost:8233', allowed);
    expect(headers['access-control-allow-origin']).toBe('http://localhost:8233');
    expect(headers['access-control-allow-headers']).toContain('X-Namespace');
    expect(corsHeaders('http://localhost:8234', allowed)).toEqual({});
    expect(corsHeaders('http://evil.example', allowed)).toEqual({});
    expect(corsHeaders(undefined, allowed)).toEqual({});
  });

  it.each<[string, boolean]>([
    ['http://localhost:8233', true],
    ['https://temporal.example.com', true],
    ['http://localhost:8233/', false],
    ['*', false],
    ['localhost:8233', false],
    ['http://localhost:8233/ui', false],
  ])('origin %s valid: %s', (origin, valid) => {
    expect(originSchema.safeParse(origin).success).toBe(valid);
  });
});
