/**
 * A certificate that does not verify is a configuration error no retry cures, but kafkajs wraps every socket
 * error in a retriable connection error and tries again for about half a minute (with the default 8 retries)
 * before the app learns why. So, before kafkajs connects, one TLS handshake with the same settings goes to the
 * bootstrap brokers in turn: a certificate error there fails the connection at once, naming it; any other
 * outcome (a handshake, a refused or silent port) leaves the connection and its retries to kafkajs.
 *
 * @module
 */
import net from "node:net";
import tls from "node:tls";
import type { KafkaTlsOptions } from "./options.ts";

/** What Node, Deno and Bun say when a certificate does not verify or names another host. */
const CERTIFICATE =
  /certificate|altname|self[- ]signed|unable to verify|unknown ?issuer|not ?valid ?for ?name|CERT_/i;

function handshake(
  host: string,
  port: number,
  ssl: KafkaTlsOptions,
  timeout: number,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let socket: tls.TLSSocket;
    const done = (error: Error | undefined) => {
      clearTimeout(timer);
      socket?.destroy();
      resolve(error);
    };
    const timer = setTimeout(() => done(undefined), timeout);
    try {
      // As kafkajs's own socket factory connects: the host as server name unless it is an address.
      socket = tls.connect(
        { host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl } as tls.ConnectionOptions,
      );
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    socket.once("secureConnect", () => done(undefined));
    socket.once("error", (error: Error) => done(error));
  });
}

/**
 * The certificate error of the first bootstrap broker whose TLS handshake fails with one, if any broker's
 * does before another's succeeds.
 */
export async function certificateError(
  brokers: readonly string[],
  ssl: true | KafkaTlsOptions,
  timeout: number,
): Promise<Error | undefined> {
  for (const broker of brokers) {
    const colon = broker.lastIndexOf(":");
    const host = broker.slice(0, colon).replace(/^\[|\]$/g, "");
    const port = Number(broker.slice(colon + 1));
    const error = await handshake(host, port, ssl === true ? {} : ssl, timeout);
    if (error === undefined) return undefined;
    const code = (error as { code?: unknown }).code;
    if (CERTIFICATE.test(`${error.message} ${typeof code === "string" ? code : ""}`)) return error;
  }
  return undefined;
}
