/**
 * A throwaway certificate authority for the secured brokers, made with `openssl`: a CA, a server certificate
 * it signs for `localhost` and `127.0.0.1`, and a second, unrelated CA (what a client trusting the wrong
 * authority holds). The keys are P-256 (quick to make, accepted by every broker here); everything lives in
 * one folder and is valid for 30 days.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The files of a secured broker's PKI (PEM). */
export interface Pki {
  readonly dir: string;
  /** The CA certificate clients must trust. */
  readonly ca: string;
  /** The server certificate (signed by `ca`, for localhost and 127.0.0.1). */
  readonly cert: string;
  /** The server's private key (PKCS #8, unencrypted). */
  readonly key: string;
  /** The server's key followed by its certificate: a PEM key store, as Kafka reads one. */
  readonly keystore: string;
  /** Another CA, which signed nothing the servers present. */
  readonly wrongCa: string;
}

function openssl(dir: string, ...args: string[]): void {
  const run = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (run.error) throw new Error(`openssl could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function selfSignedCa(dir: string, name: string, subject: string): void {
  openssl(
    dir,
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "30",
    "-subj",
    subject,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
}

/** Makes the PKI in `dir` (created if missing); files already there are kept. */
export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  const pki: Pki = {
    dir,
    ca: join(dir, "ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    keystore: join(dir, "server-keystore.pem"),
    wrongCa: join(dir, "wrong-ca.pem"),
  };
  if ([pki.ca, pki.cert, pki.key, pki.keystore, pki.wrongCa].every((file) => existsSync(file))) return pki;
  selfSignedCa(dir, "ca", "/O=Sluice tests/CN=Sluice test CA");
  selfSignedCa(dir, "wrong-ca", "/O=Somebody else/CN=Unrelated CA");
  openssl(dir, "req", ...KEY, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(
    join(dir, "server.ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "",
    ].join("\n"),
  );
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "30",
    "-extfile",
    "server.ext",
  );
  writeFileSync(pki.keystore, readFileSync(pki.key, "utf8") + readFileSync(pki.cert, "utf8"));
  return pki;
}
