import { App, memory } from "@sluice/core";

export const broker = memory({ logLevel: "error" });
export const app = new App(broker);
export const started: string[] = [];

broker.subscriber("ping").handle(() => "pong");
app.afterStartup(() => void started.push("started"));
app.afterShutdown(() => void started.push("stopped"));
