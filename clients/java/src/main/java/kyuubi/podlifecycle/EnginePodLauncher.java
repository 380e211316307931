package kyuubi.podlifecycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Starts, queries and kills kyuubi-pod-lifecycle engines the way Kyuubi's server would:
 * untyped workflow stubs by the contract's names, inputs checked against the generated JSON
 * Schema first, so a bad input starts nothing. The worker validates again and is authoritative.
 */
public final class EnginePodLauncher {

  /** The engine's workflow; launching the same tag again while it runs returns the same one. */
  public record Launched(String workflowId, String runId) {}

  private final WorkflowClient client;
  private final String taskQueue;
  private final Contract contract;
  private final JsonSchema inputSchema;
  /** Each named definition's description, which says more than its regex would. */
  private final Map<String, String> definitions = new TreeMap<>();
  private final ObjectMapper json = new ObjectMapper();

  /** @param taskQueue the worker's queue; null means the contract's default. */
  public EnginePodLauncher(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.contract = Contract.load(json);
    this.taskQueue = taskQueue != null ? taskQueue : contract.taskQueue();
    JsonNode schema = Contract.resource(json, contract.inputSchemaFile());
    this.inputSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
    schema.path("$defs").fields().forEachRemaining(def -> {
      if (def.getValue().has("description")) definitions.put(def.getKey(), def.getValue().get("description").asText());
    });
  }

  public Contract contract() {
    return contract;
  }

  /** Starts the engine's workflow with the input as its single argument. */
  public Launched launch(String inputJson) {
    JsonNode input = validate(inputJson);
    String tag = input.get("tag").asText();
    String namespace = input.get("namespace").asText();
    String workflowId = contract.workflowId(namespace, tag);
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setTaskQueue(taskQueue)
            .setWorkflowId(workflowId)
            .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
            // A closed engine's id is never reused: a new engine needs a new tag, as in Kyuubi.
            .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .setTypedSearchAttributes(
                SearchAttributes.newBuilder()
                    .set(SearchAttributeKey.forKeyword(contract.engineTagAttribute()), tag)
                    .set(SearchAttributeKey.forKeyword(contract.namespaceAttribute()), namespace)
                    .set(SearchAttributeKey.forKeyword(contract.engineStateAttribute()), "PENDING")
                    .build())
            .build();
    WorkflowStub stub = client.newUntypedWorkflowStub(contract.workflowType(), options);
    try {
      WorkflowExecution execution = stub.start(input);
      return new Launched(execution.getWorkflowId(), execution.getRunId());
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new InvalidInputException(
          "tag: engine " + tag + " in " + namespace + " already ran (workflow " + workflowId + "): use a new tag");
    }
  }

  /** The engineState query: the engine's snapshot as JSON. */
  public JsonNode state(String workflowId) {
    return stub(workflowId).query(contract.engineStateQuery(), JsonNode.class);
  }

  /** The kill update: returns the snapshot once the pod's delete is accepted. */
  public JsonNode kill(String workflowId, String reason) {
    ObjectNode request = json.createObjectNode();
    if (reason != null) request.put("reason", reason);
    return stub(workflowId).update(contract.killUpdate(), JsonNode.class, request);
  }

  /** Waits for the engine's outcome (its final snapshot). */
  public JsonNode await(String workflowId) {
    return stub(workflowId).getResult(JsonNode.class);
  }

  private WorkflowStub stub(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId, Optional.empty(), Optional.of(contract.workflowType()));
  }

  private String describe(ValidationMessage problem) {
    String location = String.valueOf(problem.getSchemaLocation());
    for (Map.Entry<String, String> def : definitions.entrySet()) {
      if (location.contains("/$defs/" + def.getKey() + "/")) {
        return problem.getInstanceLocation() + ": is not a valid " + def.getKey() + ". " + def.getValue();
      }
    }
    return problem.getMessage();
  }

  private JsonNode validate(String inputJson) {
    JsonNode input;
    try {
      input = json.readTree(inputJson);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException("input: is not JSON: " + e.getOriginalMessage());
    }
    String problems =
        inputSchema.validate(input).stream()
            .map(this::describe)
            .sorted()
            .collect(Collectors.joining("\n"));
    if (!problems.isEmpty()) throw new InvalidInputException("Invalid engine input:\n" + problems);
    return input;
  }
}
