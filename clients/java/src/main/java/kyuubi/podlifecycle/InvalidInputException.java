package kyuubi.podlifecycle;

/** The caller's input is wrong; nothing was started. The message names every bad field. */
public class InvalidInputException extends RuntimeException {
  public InvalidInputException(String message) {
    super(message);
  }
}
