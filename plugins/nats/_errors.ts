/**
 * Errors of the NATS plugin.
 *
 * @module
 */

import { TimeoutError } from "@sluice/core";

/**
 * Nobody listens on the subject of a request: NATS says so at once instead of letting it time out. It is a
 * {@linkcode TimeoutError}, so code that handles a missing reply handles this too.
 */
export class NoRespondersError extends TimeoutError {}
