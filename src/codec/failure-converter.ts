/**
 * The failure converter of an encrypting installation: failure messages and stack traces
 * move into an encoded attributes payload, which the codec then encrypts (otherwise an
 * error message quoting the input would sit in the history in plain text). Loaded by
 * path: the workflow bundle needs it inside the sandbox as well.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
