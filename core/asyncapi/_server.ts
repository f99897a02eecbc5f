/**
 * The server of a broker: protocol and host from its driver, never a credential. Only the scheme, the hosts
 * and the path of the driver's URL are kept: user info, query and fragment, which may carry secrets, are not.
 *
 * @module
 */

import type { DocsBindings, Driver } from "../driver.ts";
import type { ServerObject } from "./types.ts";

/**
 * The parts of a broker URL the document may show. A driver's URL may list hosts (`kafka://h1:9092,h2:9092`)
 * or whole URLs (`nats://h1:4222,nats://h2:4222`); the hosts of all are kept, the path of the first.
 */
export function urlParts(url: string): { scheme?: string; host: string; pathname?: string } {
  const urls = url.split(/,(?=[a-z][a-z0-9+.-]*:\/\/)/i).map((one) =>
    /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(one)
  );
  const first = urls[0];
  if (!first) return { host: "" };
  // The user info ends at the last "@" of an authority: hosts have none, a password may.
  const hosts = urls.filter((m) => m !== null).map((m) => m![2]!.slice(m![2]!.lastIndexOf("@") + 1));
  const path = first[3]!;
  return {
    scheme: first[1]!.toLowerCase(),
    host: hosts.filter(Boolean).join(","),
    ...(path && path !== "/" ? { pathname: path } : {}),
  };
}

/** The AsyncAPI server of a driver, with the server bindings its docs gave. */
export function serverOf(driver: Driver, bindings: DocsBindings | undefined): ServerObject {
  const docs = driver.docs;
  const url = urlParts(driver.url);
  return {
    host: docs?.host ?? (url.host || driver.name),
    protocol: docs?.protocol ?? url.scheme ?? driver.name,
    ...(docs?.protocolVersion !== undefined ? { protocolVersion: docs.protocolVersion } : {}),
    ...(url.pathname !== undefined ? { pathname: url.pathname } : {}),
    ...(bindings && Object.keys(bindings).length > 0 ? { bindings } : {}),
  };
}
