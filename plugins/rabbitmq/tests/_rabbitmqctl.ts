// Runs rabbitmqctl against the RabbitMQ that scripts/brokers started (its private node and cookie), to
// drop connections from the server side or restart the broker's application. Undefined when unavailable.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";

const home = process.env.SLUICE_BROKERS_HOME ?? `${process.env.HOME ?? "/root"}/.cache/sluice/brokers`;
const envFile = `${home}/conf/rabbitmq-env.conf`;
const bin = "/usr/lib/rabbitmq/bin/rabbitmqctl";

/** Runs `rabbitmqctl args…`; resolves with its output. */
export type Rabbitmqctl = (...args: string[]) => Promise<string>;

/** rabbitmqctl for the local broker, or undefined (with the reason) when it cannot be run. */
export function rabbitmqctl(): { run?: Rabbitmqctl; why?: string } {
  if (!existsSync(bin)) return { why: `no ${bin}` };
  if (!existsSync(envFile)) return { why: `no ${envFile}: start RabbitMQ with scripts/brokers up amqp` };
  const env = {
    ...process.env,
    RABBITMQ_CONF_ENV_FILE: envFile,
    HOME: `${home}/data/amqp/home`,
    ERL_EPMD_ADDRESS: "127.0.0.1",
  };
  const run: Rabbitmqctl = (...args) =>
    new Promise((resolve, reject) => {
      execFile(bin, ["-q", ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`rabbitmqctl ${args.join(" ")} failed: ${stderr || error.message}`));
        else resolve(String(stdout));
      });
    });
  return { run };
}
