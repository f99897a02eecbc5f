import { App, memory } from "@sluice/core";

export const broker = memory({ logLevel: "error" });
export const app = new App(broker);

// A handler still running when SIGTERM comes: the app drains it while /ready answers 503.
broker.subscriber("slow").handle(async () => {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  console.log("slow handler done");
});
app.afterStartup(() => broker.publish("work", "slow"));
