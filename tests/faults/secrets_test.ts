// Planted secrets: on every broker, a password in each form a user can pass it — in the URL given to the core's
// connect(), in the URL option of the plugin, in the plugin's own credential options — once right and once
// wrong, against a private broker that requires it. The right one must connect and publish; the wrong one
// must fail (within 30 s, with an error); and neither may appear anywhere in what the process wrote: its
// stdout and stderr with debug logs on, the error as console.error, String, util.inspect (hidden fields
// too), the runtime's inspector and JSON print it, and every cause's message and stack (see
// _secrets_child.ts). The search covers the password as written and URL-encoded.
//
// SQS's ElasticMQ checks no credentials: there the secret access key is planted, right against ElasticMQ, and
// against a closed port where the connection fails.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type RealBroker, realBroker } from "../_support/brokers.ts";
import {
  type PrivateBroker,
  privateBroker,
  type PrivateBrokerName,
  privateSkip,
} from "../_support/private/mod.ts";
import { freePort } from "../_support/private/_server.ts";
import { runScript, RUNTIMES } from "../_support/runtimes.ts";
import { record, RUNTIME } from "./_results.ts";
import type { SecretCase } from "./_secrets_child.ts";
import { faultsEnabled, unique } from "./_targets.ts";

const child = fileURLToPath(new URL("./_secrets_child.ts", import.meta.url));
const USER = "sluice";
/** Letters, digits and dashes only: every broker's password file takes them as they are. */
const secret = (what: string) => `${what}-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

/** The address of a broker's URL without its scheme, e.g. `127.0.0.1:6379`. */
const hostOf = (url: string) => new URL(url.replace(/^kafka:/, "http:")).host;

/** How one broker takes credentials: its cases for a password `pw`, right or wrong. */
interface SecretTarget {
  readonly label: string;
  /** The private broker it runs, or undefined for SQS (the shared ElasticMQ). */
  readonly private?: PrivateBrokerName;
  cases(url: string, pw: string, kind: "right" | "wrong"): SecretCase[];
}

const withUser = (url: string, pw: string, query = "") => {
  const [scheme, rest] = url.split("://");
  return `${scheme}://${USER}:${encodeURIComponent(pw)}@${rest}${query}`;
};

/** The case of a password in the URL given to the core's connect(). */
const inConnectUrl = (url: string, pw: string, kind: string): SecretCase => ({
  name: `${kind} password in connect() URL`,
  via: "connect",
  url: withUser(url, pw),
  channel: "secrets",
});

/**
 * Redis, MQTT and RabbitMQ take a password the same three ways: in connect()'s URL, in the plugin's `url`
 * option, and as its `username` and `password` options. `urlChannel` is where the second one publishes.
 */
const urlAndUser = (
  label: string,
  privateName: PrivateBrokerName,
  via: SecretCase["via"],
  urlChannel: string,
): SecretTarget => ({
  label,
  private: privateName,
  cases: (url, pw, kind) => [
    inConnectUrl(url, pw, kind),
    { name: `${kind} password in url option`, via, options: { url: withUser(url, pw) }, channel: urlChannel },
    {
      name: `${kind} username and password options`,
      via,
      options: { url, username: USER, password: pw },
      channel: "secrets",
    },
  ],
});

const TARGETS: readonly SecretTarget[] = [
  urlAndUser("Redis", "redis", "redis", "s"),
  {
    label: "NATS",
    private: "nats",
    cases: (url, pw, kind) => [
      inConnectUrl(url, pw, kind),
      {
        name: `${kind} user and pass options`,
        via: "nats",
        options: { servers: url, user: USER, pass: pw },
        channel: "secrets",
      },
    ],
  },
  urlAndUser("MQTT", "mqtt", "mqtt", "s"),
  urlAndUser("RabbitMQ", "amqp", "rabbitmq", "secrets"),
  {
    label: "Kafka",
    private: "kafka",
    cases: (url, pw, kind) => [
      {
        name: `${kind} SCRAM password in connect() URL`,
        via: "connect",
        url: withUser(url, pw, "?sasl=scram-sha-256"),
        channel: "secrets",
      },
      {
        name: `${kind} PLAIN password in sasl options`,
        via: "kafka",
        options: { brokers: [hostOf(url)], sasl: { mechanism: "plain", username: USER, password: pw } },
        channel: "secrets",
      },
      {
        name: `${kind} SCRAM password in sasl options`,
        via: "kafka",
        options: {
          brokers: [hostOf(url)],
          sasl: { mechanism: "scram-sha-256", username: USER, password: pw },
        },
        channel: "secrets",
      },
    ],
  },
  {
    label: "SQS (ElasticMQ)",
    cases: (url, pw, kind) => [
      {
        name: `${kind === "right" ? "secret key" : "secret key, closed port,"} in connect() URL`,
        via: "connect",
        url: `sqs://AKIDSLUICE:${encodeURIComponent(pw)}@${hostOf(url)}`,
        channel: unique("secrets"),
      },
      {
        name: `${kind === "right" ? "secret key" : "secret key, closed port,"} in credentials option`,
        via: "sqs",
        options: { url, credentials: { accessKeyId: "AKIDSLUICE", secretAccessKey: pw } },
        channel: unique("secrets"),
      },
    ],
  },
];

/** Runs `cases` in a child process of this runtime; resolves with its whole output. */
async function run(cases: readonly SecretCase[]): Promise<string> {
  const runtime = RUNTIMES.find((r) => r.name === RUNTIME.name)!;
  const running = runScript(runtime, child, [], { env: { FAULTS_SECRET_CASES: JSON.stringify(cases) } });
  const timer = setTimeout(() => running.kill(), 150_000);
  const done = await running.finished;
  clearTimeout(timer);
  return `${done.stdout}\n${done.stderr}`;
}

/** The lines of `output` that show `planted`, as written or URL-encoded. */
function leaks(output: string, planted: readonly string[]): string[] {
  const forms = planted.flatMap((p) => [p, encodeURIComponent(p), btoa(`${USER}:${p}`)]);
  return output.split("\n").filter((line) => forms.some((f) => line.includes(f))).map((l) => l.slice(0, 300));
}

for (const target of faultsEnabled() ? TARGETS : []) {
  const skip = target.private ? privateSkip(target.private) : false;
  describe(`planted secrets stay secret: ${target.label}`, { skip }, () => {
    let server: PrivateBroker | undefined;
    let shared: RealBroker | undefined;
    let url = "";
    let closedUrl = "";
    const right = secret("Right");
    before(async () => {
      if (target.private) {
        server = await privateBroker(target.private, { users: { [USER]: right } });
        url = server.url;
      } else {
        shared = await realBroker("sqs");
        assert.ok(shared, "a real SQS (ElasticMQ)");
        url = shared.url;
        closedUrl = `sqs://127.0.0.1:${await freePort()}`;
      }
    });
    after(async () => {
      await server?.dispose();
      await shared?.stop();
    });

    it("connects with the right password, fails with a wrong one, and prints neither", {
      timeout: 300_000,
    }, async () => {
      const wrong = secret("Wrong");
      const rightCases = target.cases(url, right, "right");
      const wrongCases = target.cases(closedUrl || url, wrong, "wrong");
      const output = await run([...rightCases, ...wrongCases]);
      const outcome = (c: SecretCase) =>
        new RegExp(`^case ${c.name.replace(/[()]/g, "\\$&")}: (.*)$`, "m").exec(output)?.[1];
      const outcomes = Object.fromEntries([...rightCases, ...wrongCases].map((c) => [c.name, outcome(c)]));
      const found = leaks(output, [right, wrong]);
      record("secrets", target.label, { broker: target.label, outcomes, leaks: found.length });
      const summary = `${JSON.stringify(outcomes, null, 2)}\n${output.slice(-3000)}`;
      assert.deepEqual(found, [], "the planted password shows in the output");
      for (const c of rightCases) assert.equal(outcomes[c.name], "ok", `${c.name}: ${summary}`);
      for (const c of wrongCases) {
        assert.match(outcomes[c.name] ?? "", /^failed /, `${c.name}: ${summary}`);
        assert.doesNotMatch(outcomes[c.name]!, /NotSettled/, `${c.name}: ${summary}`);
      }
    });
  });
}
