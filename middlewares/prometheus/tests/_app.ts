// An app that goes through every status the Prometheus middleware counts, shared by its tests.
import { BatchFailure, memory, silentLogger } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { prometheusMiddleware, type PrometheusOptions, type Registry } from "@sluice/prometheus";

class CardDeclined extends Error {}

/** Runs messages through every status and every path, and returns the registry's text. */
export async function exerciseEveryStatus(options: PrometheusOptions = {}): Promise<{
  text: string;
  registry: Registry;
}> {
  const metrics = prometheusMiddleware({ appName: "shop", ...options });
  const broker = memory({ logger: silentLogger, middlewares: [metrics] });
  broker.subscriber("orders").publisher("audit").handle((order) => order); // acked, then published
  broker.subscriber("audit").handle(() => {});
  broker.subscriber("payments").handle(() => {
    throw new CardDeclined("card declined"); // error
  });
  broker.subscriber("returns", { ack: "manual" }).handle((_body, ctx) =>
    ctx.message.redelivered ? ctx.message.ack() : ctx.message.nack() // nacked, then acked
  );
  broker.subscriber("spam", { ack: "manual" }).handle((_body, ctx) => ctx.message.reject()); // rejected
  broker.subscriber("rows", { batch: { size: 3, timeout: 20 } }).handle(() => {
    throw new BatchFailure([1], new RangeError("row 1")); // 1 error, 2 acked
  });
  broker.subscriber("prices").handle((item) => ({ item, cents: 250 })); // its reply is not counted

  await using br = await testBroker(broker);
  await br.publish({ id: 1 }, "orders");
  await br.publish({ amount: 10 }, "payments");
  await br.publish({ id: 2 }, "returns");
  await br.publish("buy now", "spam");
  await br.broker.publishBatch([1, 2, 3], "rows");
  await br.request("tea", "prices", { timeout: 1000 });
  await br.publish({}, "orders", { unknownOption: true } as never).catch(() => undefined); // publish error
  await br.settled();
  return { text: metrics.registry.metrics(), registry: metrics.registry };
}

/** The samples of a text exposition: `name{labels}` → value. */
export function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    map.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return map;
}
