// Options: validated at once with messages that name the option; the sqs:// URL form; no credentials in
// what is shown.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { features, optionsFromUrl, plugin, sqs } from "../mod.ts";
import { clientSettings } from "../options.ts";

describe("sqs options", () => {
  it("reads endpoint, region and credentials from the URL, and shows it without credentials", () => {
    const s = clientSettings({ url: "sqs://AKIA:s3cret@127.0.0.1:9324?region=eu-west-1" }, {});
    assert.equal(s.endpoint, "http://127.0.0.1:9324");
    assert.equal(s.region, "eu-west-1");
    assert.deepEqual(s.credentials, { accessKeyId: "AKIA", secretAccessKey: "s3cret" });
    assert.doesNotMatch(s.display, /s3cret|AKIA/);
    const broker = sqs({ url: "sqs://AKIA:s3cret@127.0.0.1:9324" });
    assert.doesNotMatch(broker.driver.url, /s3cret/);
  });

  it("uses TLS except on loopback, unless tls says otherwise", () => {
    assert.equal(
      clientSettings({ url: "sqs://sqs.eu-west-1.amazonaws.com" }, {}).endpoint,
      "https://sqs.eu-west-1.amazonaws.com",
    );
    assert.equal(
      clientSettings({ url: "sqs://elasticmq:9324?tls=false" }, {}).endpoint,
      "http://elasticmq:9324",
    );
    assert.equal(
      clientSettings({ url: "sqs://localhost:9324?tls=true" }, {}).endpoint,
      "https://localhost:9324",
    );
  });

  it("takes the region from the environment, and AWS's own endpoint for sqs://", () => {
    const s = clientSettings({ url: "sqs://" }, { AWS_REGION: "ap-south-1" });
    assert.equal(s.endpoint, undefined);
    assert.equal(s.region, "ap-south-1");
    assert.equal(s.credentials, undefined);
  });

  it("signs with placeholder credentials for a local server when none are configured", () => {
    assert.equal(clientSettings({ url: "sqs://127.0.0.1:9324" }, {}).credentials?.accessKeyId, "local");
    assert.equal(
      clientSettings({ url: "sqs://127.0.0.1:9324" }, { AWS_ACCESS_KEY_ID: "k" }).credentials,
      undefined,
    );
  });

  it("refuses bad broker options at once, naming the option", () => {
    assert.throws(
      () => sqs({ waitTimeSeconds: 30 }),
      (e: unknown) => e instanceof OptionError && /waitTimeSeconds/.test(e.message),
    );
    assert.throws(
      () => sqs({ queues: { q: { deadLetter: { queue: "d", maxReceiveCount: 0 } } } }),
      /maxReceiveCount/,
    );
    assert.throws(() => sqs({ queues: { "bad name": {} } }), /not a valid SQS queue name/);
    assert.throws(() => sqs({ url: "sqs://h?tls=maybe" }), /tls must be true or false/);
  });

  it("refuses bad subscriber and publish options, wildcards and invalid queue names", async () => {
    const broker = sqs({ logLevel: "error" });
    broker.subscriber("fine", { visibilityTimeout: -1 }).handle(() => {});
    await assert.rejects(testBroker(broker), /visibilityTimeout/);
    const other = sqs({ logLevel: "error" });
    other.subscriber("logs-{level}").handle(() => {});
    await assert.rejects(testBroker(other), /SQS has no wildcards/);
    const third = sqs({ logLevel: "error" });
    await using br = await testBroker(third);
    await assert.rejects(br.publish("x", "a.b"), /not a valid SQS queue name/);
    await assert.rejects(br.publish("x", "q", { delaySeconds: 901 }), /delaySeconds/);
    await assert.rejects(br.publish("x", "q.fifo", { delaySeconds: 5 }), /not allowed on the FIFO queue/);
  });

  it("refuses unknown options with the closest known name, the core's included", async () => {
    assert.throws(
      () => sqs({ waitTimeSecond: 5 } as never),
      (e: unknown) =>
        e instanceof OptionError &&
        /Invalid SQS broker option: .*unknown option "waitTimeSecond": did you mean "waitTimeSeconds"\?/
          .test(e.message),
    );
    assert.throws(
      () => sqs({ queues: { q: { visibilityTimout: 5 } } } as never),
      /unknown option "visibilityTimout": did you mean "visibilityTimeout"\?/,
    );
    // The core's options are accepted beside the plugin's.
    sqs({ waitTimeSeconds: 5, logLevel: "error", requestTimeout: 1000 });
    for (
      const [options, pattern] of [
        [{ hearbeat: false }, /unknown option "hearbeat": did you mean "heartbeat"\?/],
        [{ concurency: 2 }, /unknown option "concurency": did you mean "concurrency"\?/],
      ] as const
    ) {
      const broker = sqs({ logLevel: "error" });
      broker.subscriber("fine", options as never).handle(() => {});
      await assert.rejects(testBroker(broker), (e: unknown) => {
        assert.ok(e instanceof OptionError);
        assert.match(e.message, /Invalid SQS subscriber option of fine/);
        assert.match(e.message, pattern);
        return true;
      });
    }
    await using br = await testBroker(sqs({ logLevel: "error" }));
    await assert.rejects(
      br.publish("x", "q", { groupID: "a" } as never),
      /Invalid SQS publish option of q: .*unknown option "groupID": did you mean "groupId"\?/,
    );
  });

  it("reads the broker options of an sqs:// URL, and refuses other URLs without the credentials", () => {
    // A URL object is given back as the runtime writes it (Bun adds a "/" path before the query).
    const url = new URL("sqs://AKIA:s3cret@127.0.0.1:9324?region=eu-west-1");
    assert.deepEqual(optionsFromUrl(url), { url: url.toString() });
    assert.deepEqual(optionsFromUrl("sqs://127.0.0.1:9324?tls=false"), {
      url: "sqs://127.0.0.1:9324?tls=false",
    });
    assert.throws(
      () => optionsFromUrl("https://AKIA:s3cret@sqs.example.com"),
      (e: unknown) =>
        e instanceof OptionError && /not an sqs:\/\/ URL/.test(e.message) && !/s3cret/.test(e.message),
    );
  });

  it("states its features for the conformance suite: competing consumers and redelivery only", () => {
    assert.deepEqual(features(), { wildcards: false, groups: true, fanout: false, redelivery: true });
  });

  it("registers the sqs: scheme", async () => {
    assert.deepEqual(plugin.schemes, ["sqs"]);
    const broker = await plugin.create(new URL("sqs://127.0.0.1:9324?region=x"), {});
    assert.equal(broker.driver.name, "sqs");
  });
});
