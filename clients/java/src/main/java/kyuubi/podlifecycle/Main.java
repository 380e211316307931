package kyuubi.podlifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.codec.PayloadCodecException;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code java -jar kyuubi-pod-lifecycle-client.jar launch <input.json> | state <workflowId> |
 * kill <workflowId> [reason] | wait <workflowId>}: JSON on stdout; exit 0 on success, 1 on a
 * failed operation, 2 on bad input (nothing started). Reads TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, KPL_TASK_QUEUE and KPL_ENCRYPTION_KEY.
 */
public final class Main {
  private static final String USAGE =
      "usage: launch <input.json> | state <workflowId> | kill <workflowId> [reason] | wait <workflowId>";

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length < 2 || args.length > 3 || (args.length == 3 && !args[0].equals("kill"))) {
      System.err.println(USAGE);
      return 2;
    }
    String address = env("TEMPORAL_ADDRESS", "127.0.0.1:7233");
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(address).build());
    ObjectMapper json = new ObjectMapper();
    try {
      WorkflowClientOptions.Builder options =
          WorkflowClientOptions.newBuilder().setNamespace(env("TEMPORAL_NAMESPACE", "default"));
      // With the worker's KPL_ENCRYPTION_KEY, Temporal stores nothing of ours in plain text,
      // failure messages included (encodeFailureAttributes).
      PayloadEncryption.fromEnvironment(Contract.payloadEncryption(json))
          .ifPresent(codec -> options.setDataConverter(
              new CodecDataConverter(DefaultDataConverter.newDefaultInstance(), List.of(codec), true)));
      WorkflowClient client = WorkflowClient.newInstance(service, options.build());
      EnginePodLauncher launcher = new EnginePodLauncher(client, env("KPL_TASK_QUEUE", null));
      JsonNode out =
          switch (args[0]) {
            case "launch" -> json.valueToTree(launcher.launch(read(args[1])));
            case "state" -> launcher.state(args[1]);
            case "kill" -> launcher.kill(args[1], args.length == 3 ? args[2] : null);
            case "wait" -> launcher.await(args[1]);
            default -> throw new InvalidInputException("command: \"" + args[0] + "\" is unknown; " + USAGE);
          };
      System.out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(out));
      return 0;
    } catch (InvalidInputException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (WorkflowNotFoundException e) {
      System.err.println("workflowId: no engine workflow \"" + e.getExecution().getWorkflowId() + "\" in this namespace");
      return 1;
    } catch (WorkflowException e) {
      if (causedBy(e, DataConverterException.class) || causedBy(e, PayloadCodecException.class)) {
        // The answer came back, but this client cannot decrypt it (another KPL_ENCRYPTION_KEY).
        System.err.println(deepestMessage(e));
        return 1;
      }
      ApplicationFailure failure = applicationFailure(e);
      if (failure == null) {
        System.err.println(e.getMessage());
        return 1;
      }
      System.err.println(failure.getType() + ": " + failure.getOriginalMessage());
      return failure.getType().equals(Contract.load(json).invalidInputFailure()) ? 2 : 1;
    } catch (IOException e) {
      System.err.println(e.getMessage());
      return 1;
    } catch (DataConverterException | PayloadCodecException e) {
      // A payload this client cannot decrypt (another KPL_ENCRYPTION_KEY) or decode.
      System.err.println(deepestMessage(e));
      return 1;
    } finally {
      service.shutdown();
    }
  }

  private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return true;
    }
    return false;
  }

  private static String deepestMessage(Throwable error) {
    String message = error.getMessage();
    for (Throwable t = error.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null) message = t.getMessage();
    }
    return message;
  }

  /** What the workflow or an activity raised, under Temporal's wrapping exceptions. */
  private static ApplicationFailure applicationFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure failure) return failure;
    }
    return null;
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new InvalidInputException("input file: cannot read " + file + ": " + e.getMessage());
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
