package kyuubi.podlifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The names of the kyuubi-pod-lifecycle contract, read from the generated
 * schema/contract.json on the classpath so nothing here re-types them.
 */
public record Contract(
    String taskQueue,
    String workflowType,
    String workflowIdTemplate,
    String engineStateQuery,
    String killUpdate,
    String engineTagAttribute,
    String namespaceAttribute,
    String engineStateAttribute,
    String inputSchemaFile,
    String invalidInputFailure) {

  static final String RESOURCE_DIR = "/schema/";

  public static Contract load(ObjectMapper json) {
    JsonNode c = resource(json, "contract.json");
    JsonNode enginePod = c.path("workflows").path("enginePod");
    JsonNode attributes = c.path("searchAttributes").path("names");
    return new Contract(
        text(c, "taskQueue"),
        text(enginePod, "type"),
        text(enginePod, "workflowId"),
        text(c.path("queries").path("engineState"), "name"),
        text(c.path("updates").path("kill"), "name"),
        text(attributes, "engineTag"),
        text(attributes, "namespace"),
        text(attributes, "engineState"),
        text(enginePod, "input"),
        text(c.path("failureTypes"), "invalidInput"));
  }

  /** The payload encryption format (the worker's KPL_ENCRYPTION_KEY codec). */
  public static JsonNode payloadEncryption(ObjectMapper json) {
    JsonNode format = resource(json, "contract.json").path("payloadEncryption");
    text(format, "keyVariable");
    return format;
  }

  /** The one workflow id an engine can have: what makes its launch idempotent. */
  public String workflowId(String namespace, String tag) {
    return workflowIdTemplate.replace("{namespace}", namespace).replace("{tag}", tag);
  }

  static JsonNode resource(ObjectMapper json, String file) {
    try (InputStream in = Contract.class.getResourceAsStream(RESOURCE_DIR + file)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE_DIR + file + " is not on the classpath: run `npm run schema`, then rebuild the jar");
      }
      return json.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE_DIR + file, e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new IllegalStateException(
          "schema/contract.json has no text field \"" + field + "\" where expected: regenerate it with `npm run schema`");
    }
    return value.asText();
  }
}
