/**
 * The Python FastStream peer (peer/peer.py) as a child process: one per broker, serving every case of a test
 * file. Commands go to its stdin as JSON lines; its answers and what its subscribers received come back the
 * same way on stdout.
 */
import { Buffer } from "node:buffer";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";

/** A body as the peer describes it: FastStream's decoded value, with its Python type told apart. */
export type PyBody =
  | { readonly json: unknown }
  | { readonly text: string }
  | { readonly bytes: string }
  | { readonly model: string; readonly json: unknown }
  | { readonly none: true }
  | { readonly batch: readonly PyBody[] };

/** A message as FastStream read it. */
export interface PyMessage {
  readonly body: PyBody;
  /** The body's bytes, base64 (one per message for a batch). */
  readonly raw: string | string[];
  readonly headers: Record<string, unknown>;
  readonly batch_headers?: Record<string, unknown>[] | null;
  readonly content_type: string | null;
  readonly correlation_id: string | null;
  readonly reply_to: string | null;
  readonly message_id: string | null;
  /** Kafka: the record keys (base64) and partitions. */
  readonly keys?: (string | null)[];
  readonly partitions?: (number | null)[];
  readonly routing_key?: string;
  readonly subject?: string;
  readonly topic?: string;
}

/** One FastStream subscriber of the peer: `broker.subscriber(*args, **kwargs)(handler)`. */
export interface PySubscriber {
  /** The name its messages are reported under. */
  readonly id: string;
  /**
   * `order` (the body validated as the pydantic model Order), `orders` (a batch of them), `any` (whatever
   * FastStream decodes), `quote` (an Order, answered with a pydantic Quote).
   */
  readonly handler: "order" | "orders" | "any" | "quote";
  readonly args?: readonly unknown[];
  readonly kwargs?: Record<string, unknown>;
  /** Which of the peer's brokers (MQTT: "5.0" or "3.1.1"). */
  readonly via?: string;
}

/** Bytes as the peer's arguments carry them. */
export const pyBytes = (bytes: Uint8Array | string): { $bytes: string } => ({
  $bytes: Buffer.from(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes).toString("base64"),
});

/** A body for the peer to publish. */
export const py = {
  json: (json: unknown): PyBody => ({ json }),
  text: (text: string): PyBody => ({ text }),
  bytes: (bytes: Uint8Array): PyBody => ({ bytes: Buffer.from(bytes).toString("base64") }),
  order: (json: { id: number; item: string; qty: number }): PyBody => ({ model: "Order", json }),
  none: (): PyBody => ({ none: true }),
};

/** Decodes base64 from the peer. */
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

const script = fileURLToPath(new URL("./peer/peer.py", import.meta.url));

interface Waiter {
  readonly sub: string;
  readonly resolve: (message: PyMessage) => void;
}

/** A running peer. */
export class Peer {
  readonly #child: ChildProcess;
  readonly #got = new Map<string, PyMessage[]>();
  readonly #waiters: Waiter[] = [];
  readonly #answers = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #exited: Promise<number | null>;
  #stderr = "";
  #next = 0;
  #ready!: Promise<void>;

  private constructor(python: string, broker: string, url: string, subscribers: readonly PySubscriber[]) {
    this.#child = spawn(python, [script, broker, url, JSON.stringify({ subscribers })], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    let exited!: (code: number | null) => void;
    this.#exited = new Promise((resolve) => (exited = resolve));
    this.#ready = new Promise((resolve, reject) => {
      let buffer = "";
      this.#child.stdout!.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        let newline;
        while ((newline = buffer.indexOf("\n")) !== -1) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.startsWith("{")) this.#line(JSON.parse(line), resolve);
          else if (line.trim()) this.#stderr += `${line}\n`;
        }
      });
      this.#child.stderr!.on("data", (chunk: Buffer) => (this.#stderr += chunk.toString("utf8")));
      this.#child.on("exit", (code) => {
        exited(code);
        const error = new Error(`the FastStream peer exited (${code}):\n${this.stderrTail()}`);
        reject(error);
        for (const { reject } of this.#answers.values()) reject(error);
        this.#answers.clear();
      });
    });
  }

  /** Starts peer.py with `python` for `broker` at `url`; resolves once its subscribers are running. */
  static async start(
    python: string,
    broker: "kafka" | "rabbit" | "nats" | "redis" | "mqtt",
    url: string,
    subscribers: readonly PySubscriber[],
    timeout = 60_000,
  ): Promise<Peer> {
    const peer = new Peer(python, broker, url, subscribers);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        peer.#ready,
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`the FastStream peer did not start in ${timeout} ms:\n${peer.stderrTail()}`)),
            timeout,
          );
        }),
      ]);
    } catch (error) {
      await peer.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return peer;
  }

  #line(line: Record<string, unknown>, ready: () => void): void {
    if (line.event === "ready") return ready();
    if (line.event === "got") {
      const message = line as unknown as PyMessage & { sub: string };
      const waiter = this.#waiters.findIndex((w) => w.sub === message.sub);
      if (waiter !== -1) this.#waiters.splice(waiter, 1)[0]!.resolve(message);
      else this.#got.set(message.sub, [...(this.#got.get(message.sub) ?? []), message]);
      return;
    }
    const answer = this.#answers.get(line.id as number);
    if (!answer) return;
    this.#answers.delete(line.id as number);
    if (line.ok) answer.resolve(line.result);
    else answer.reject(new Error(`FastStream: ${line.error}`));
  }

  /** The last lines FastStream logged, for failure messages. */
  stderrTail(lines = 30): string {
    return this.#stderr.trim().split("\n").slice(-lines).join("\n");
  }

  /** Sends one command and waits for its answer. */
  #call(command: Record<string, unknown>, timeout = 30_000): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#answers.delete(id);
        reject(new Error(`no answer from the FastStream peer to ${command.op} in ${timeout} ms`));
      }, timeout);
      this.#answers.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.#child.stdin!.write(JSON.stringify({ ...command, id }) + "\n");
    });
  }

  /** `broker.publish(body, **kwargs)` on the peer's broker `via`. */
  async publish(body: PyBody, kwargs: Record<string, unknown>, via?: string): Promise<void> {
    await this.#call({ op: "publish", body, kwargs, ...(via ? { via } : {}) });
  }

  /** `broker.publish_batch(*bodies, **kwargs)`. */
  async publishBatch(bodies: readonly PyBody[], kwargs: Record<string, unknown>): Promise<void> {
    await this.#call({ op: "publish_batch", bodies, kwargs });
  }

  /** `broker.request(body, **kwargs)`: the reply, as FastStream read it. */
  async request(
    body: PyBody,
    kwargs: Record<string, unknown>,
    via?: string,
    args: readonly unknown[] = [],
  ): Promise<PyMessage> {
    return await this.#call({ op: "request", body, args, kwargs, ...(via ? { via } : {}) }) as PyMessage;
  }

  /** The next message subscriber `sub` received (already or within `timeout` ms). */
  next(sub: string, timeout = 15_000): Promise<PyMessage> {
    const queued = this.#got.get(sub);
    if (queued?.length) return Promise.resolve(queued.shift()!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        sub,
        resolve: (message) => (clearTimeout(timer), resolve(message)),
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `FastStream's subscriber ${sub} got nothing in ${timeout} ms; its log:\n${this.stderrTail()}`,
          ),
        );
      }, timeout);
      this.#waiters.push(waiter);
    });
  }

  /** Ends the peer: stdin closes, FastStream stops its broker; killed if it takes longer than 10 s. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
