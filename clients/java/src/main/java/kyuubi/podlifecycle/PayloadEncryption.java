package kyuubi.podlifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The worker's payload encryption (KPL_ENCRYPTION_KEY), byte for byte: AES-256-GCM over the
 * serialized payload as {@code IV | ciphertext | tag}, the key's id in the metadata. Every
 * constant comes from schema/contract.json's {@code payloadEncryption}, so the two sides
 * cannot drift. The first key encrypts; all of them decrypt (rotation).
 */
public final class PayloadEncryption implements PayloadCodec {
  private static final String ENCODING_METADATA_KEY = "encoding";
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Key(String id, SecretKeySpec spec) {}

  private final String keyVariable;
  private final String encoding;
  private final String keyIdMetadataKey;
  private final int ivBytes;
  private final int tagBits;
  private final Key encryptingKey;
  private final Map<String, Key> keysById = new LinkedHashMap<>();

  private PayloadEncryption(JsonNode format, String keyList) {
    this.keyVariable = format.path("keyVariable").asText();
    this.encoding = format.path("encoding").asText();
    this.keyIdMetadataKey = format.path("keyIdMetadataKey").asText();
    this.ivBytes = format.path("ivBytes").asInt();
    this.tagBits = format.path("tagBytes").asInt() * 8;
    String[] texts = keyList.split(",");
    for (int i = 0; i < texts.length; i++) {
      byte[] bytes = decodeKey(format, texts[i].trim(), i, texts.length);
      Key key = new Key(keyId(format, bytes), new SecretKeySpec(bytes, "AES"));
      keysById.putIfAbsent(key.id(), key);
    }
    this.encryptingKey = keysById.values().iterator().next();
  }

  /** The codec the environment asks for, or empty when the key variable is unset or blank. */
  public static Optional<PayloadEncryption> fromEnvironment(JsonNode format) {
    String value = System.getenv(format.path("keyVariable").asText());
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(new PayloadEncryption(format, value));
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    List<Payload> encoded = new ArrayList<>(payloads.size());
    for (Payload payload : payloads) encoded.add(encrypt(payload));
    return encoded;
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    List<Payload> decoded = new ArrayList<>(payloads.size());
    for (Payload payload : payloads) decoded.add(isEncrypted(payload) ? decrypt(payload) : payload);
    return decoded;
  }

  private boolean isEncrypted(Payload payload) {
    ByteString value = payload.getMetadataMap().get(ENCODING_METADATA_KEY);
    return value != null && value.toStringUtf8().equals(encoding);
  }

  private Payload encrypt(Payload payload) {
    byte[] iv = new byte[ivBytes];
    RANDOM.nextBytes(iv);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, encryptingKey.spec(), new GCMParameterSpec(tagBits, iv));
      // Java's GCM output is the ciphertext with the tag appended: IV | ciphertext | tag.
      byte[] sealed = cipher.doFinal(payload.toByteArray());
      return Payload.newBuilder()
          .putMetadata(ENCODING_METADATA_KEY, ByteString.copyFromUtf8(encoding))
          .putMetadata(keyIdMetadataKey, ByteString.copyFromUtf8(encryptingKey.id()))
          .setData(ByteString.copyFrom(iv).concat(ByteString.copyFrom(sealed)))
          .build();
    } catch (GeneralSecurityException e) {
      throw new PayloadCodecException("cannot encrypt a payload with key id " + encryptingKey.id(), e);
    }
  }

  private Payload decrypt(Payload payload) {
    ByteString id = payload.getMetadataMap().get(keyIdMetadataKey);
    Key key = id == null ? null : keysById.get(id.toStringUtf8());
    if (key == null) {
      throw new PayloadCodecException(
          "Cannot decrypt a payload encrypted with key id " + (id == null ? "(none)" : id.toStringUtf8()) + ": "
              + keyVariable + " has keys " + String.join(", ", keysById.keySet())
              + ". Add the key that encrypted it to " + keyVariable + " (comma-separated; the first encrypts, all decrypt).");
    }
    byte[] data = payload.getData().toByteArray();
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(tagBits, data, 0, ivBytes));
      return Payload.parseFrom(cipher.doFinal(data, ivBytes, data.length - ivBytes));
    } catch (GeneralSecurityException | InvalidProtocolBufferException e) {
      throw new PayloadCodecException("Cannot decrypt a payload with key id " + key.id() + ": it was altered or is not ours", e);
    }
  }

  private static byte[] decodeKey(JsonNode format, String text, int index, int count) {
    String variable = format.path("keyVariable").asText();
    String which = count > 1 ? variable + ": key " + (index + 1) + " of " + count : variable;
    int keyBytes = format.path("keyBytes").asInt();
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      bytes = null;
    }
    if (bytes == null || bytes.length != keyBytes) {
      // Never echo the value: it is (or is meant to be) a secret.
      String got = bytes == null ? "is not valid base64" : "decodes to " + bytes.length + " bytes";
      throw new InvalidInputException(
          which + " must be base64 of " + keyBytes + " random bytes, but it " + got
              + ": make one with `openssl rand -base64 " + keyBytes + "`");
    }
    return bytes;
  }

  /** The id the worker derives from the same key, so both sides name it alike. */
  private static String keyId(JsonNode format, byte[] key) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update((format.path("keyIdDomain").asText() + "\0").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha256.digest(key)).substring(0, format.path("keyIdHexChars").asInt());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }
}
