/**
 * Connecting with the NATS client's Node.js transport, guarded against one runtime difference.
 *
 * When a connection ends on the client's side — a refused login, `close()`, a reconnect that drops the old
 * socket — the transport removes every listener of its socket and destroys it. Under Deno the destroyed
 * socket can still report the read error of that connection (`read ECONNRESET`, the server having reset
 * it) afterwards; an `error` event with no listener is an uncaught exception, so a process that caught the
 * `ConnectionError` of a wrong password died a moment later. The transport here gives each socket it is done
 * with a listener that ignores such late errors: the client has already seen the connection end.
 *
 * @module
 */

import type { NatsConnection, NodeConnectionOptions } from "@nats-io/transport-node";
import type { Socket } from "node:net";
import { importClient } from "@sluice/core/kit";

const ignore = (): void => {};

function ignoreLateErrors(socket: Socket | undefined): void {
  if (socket && socket.listenerCount("error") === 0) socket.on("error", ignore);
}

/** `connect()` of `@nats-io/transport-node`, on the guarded transport. */
export async function connectNats(options: NodeConnectionOptions): Promise<NatsConnection> {
  const client = await importClient("@nats-io/transport-node", () => import("@nats-io/transport-node"));
  const { NodeTransport, nodeResolveHost } = await importClient(
    "@nats-io/transport-node",
    () => import("@nats-io/transport-node/lib/node_transport.js"),
  );

  class GuardedTransport extends NodeTransport {
    override close(err?: Error): Promise<void> {
      return this.#guarded(() => super.close(err));
    }
    override disconnect(): void {
      this.#guarded(() => super.disconnect());
    }
    override discard(): void {
      this.#guarded(() => super.discard());
    }
    /** Ends the connection with `end`, then guards its socket, now and once the transport is closed. */
    #guarded<T>(end: () => T): T {
      const socket = this.socket as Socket | undefined;
      const result = end();
      ignoreLateErrors(socket);
      void this.closed().then(() => ignoreLateErrors(socket));
      return result;
    }
  }

  // What the client's own connect() does, with this transport in place of its own.
  client.setTransportFactory({ factory: () => new GuardedTransport(), dnsResolveFn: nodeResolveHost });
  return client.NatsConnectionImpl.connect(options);
}
