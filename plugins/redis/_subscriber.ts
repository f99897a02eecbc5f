/**
 * Sluice's own Pub/Sub connection to one Redis server: a socket, RESP2 (`_resp.ts`), and the five commands a
 * subscriber sends. A Pub/Sub consumer spends most of its CPU reading replies, and ioredis 6's reader is the
 * larger part of it (bench/README.md, "Where a Redis consumer's CPU goes"); this one reads a message as
 * three views of the socket's chunk. Commands, lists and streams stay on ioredis, and so do Pub/Sub through
 * Sentinel or a Cluster, which need its discovery, and a broker given ioredis options of its own (`client`),
 * which this connection would not honour.
 *
 * It logs in (`AUTH`), names itself (`CLIENT SETNAME sluice-pubsub`, as ioredis names its connections), and
 * after a lost connection tries again as ioredis does (`retryDelay`), then has its subscriptions renewed. A
 * command given while the connection is down is written once it is back; one the server had not answered
 * when it went down is written again: (un)subscribing twice is harmless.
 *
 * A subscriber only listens, so a server that vanished without closing (a host gone, a NAT or firewall that
 * forgot the connection) would leave it waiting on a silent channel for good: TCP keep-alive gives up only
 * after minutes of probes, and not on every runtime alike. So after `pingAfter` ms (the broker's
 * `pingInterval`, 30 s by default) in which nothing arrived it sends a `PING`, which Redis answers in
 * subscribed mode too, and if nothing arrives in the next `pingAfter` ms it drops the connection and
 * reconnects as after any loss: a dead connection is noticed within three times `pingAfter`. ioredis checks
 * nothing on its subscriber connections; the NATS, MQTT, RabbitMQ and Kafka clients all have a heartbeat of
 * their own.
 *
 * @module
 */

import { ConnectionError, type Logger } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { connectionFailure, retryDelay } from "./_client.ts";
import type { Endpoint } from "./options.ts";
import type { PubSubConnection, Receiver } from "./_pubsub.ts";
import { encodeCommand, ErrorReply, type Reply, ReplyReader } from "./_resp.ts";
import { scrub, secretsOf } from "./_secrets.ts";

/** A command written or waiting to be. */
interface Command {
  readonly args: readonly string[];
  /** Replies still to come: one per channel for (P)SUBSCRIBE and (P)UNSUBSCRIBE, else one. */
  remaining: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Redis's name for a message of a channel, and of a pattern; their lengths and first bytes tell them apart. */
const MESSAGE = 0x6d; // "message"
const PMESSAGE = 0x70; // "pmessage"

/**
 * Ms of silence after which the connection asks for a reply, and waits as long again for one: the default of
 * the broker's `pingInterval`.
 */
export const PING_AFTER = 30_000;

/** Sluice's Pub/Sub connection to a single server (not Sentinel, not a Cluster). */
export class Subscriber implements PubSubConnection {
  readonly #at: Endpoint;
  readonly #logger: Logger;
  readonly #timeout: number;
  readonly #pingAfter: number;
  readonly #secrets: string[];
  readonly #reader = new ReplyReader((reply) => this.#dispatch(reply));
  #socket: Socket | undefined;
  #ready = false;
  #closed = false;
  /** Written and not yet answered, in order. */
  #sent: Command[] = [];
  /** Given while the connection was down. */
  #waiting: Command[] = [];
  #receiver: Receiver | undefined;
  #attempts = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Chunks read on the connection: the liveness check sees whether any came since its last look. */
  #heard = 0;
  #liveness: ReturnType<typeof setInterval> | undefined;

  private constructor(at: Endpoint, logger: Logger, timeout: number, pingAfter: number) {
    this.#at = at;
    this.#logger = logger;
    this.#timeout = timeout;
    this.#pingAfter = pingAfter;
    this.#secrets = secretsOf(at.password);
  }

  /**
   * Connects and logs in; throws a ConnectionError naming the likely cause. `timeout` bounds each attempt to
   * connect; `pingAfter` is the silence after which the connection checks that the server is still there
   * (`0`: never).
   */
  static async open(
    at: Endpoint,
    logger: Logger,
    timeout: number,
    pingAfter = PING_AFTER,
  ): Promise<Subscriber> {
    const subscriber = new Subscriber(at, logger, timeout, pingAfter);
    try {
      await subscriber.#attempt();
    } catch (error) {
      subscriber.#closed = true;
      throw connectionFailure(at, scrub(error, subscriber.#secrets));
    }
    subscriber.#ready = true;
    return subscriber;
  }

  get ready(): boolean {
    return this.#ready;
  }

  listen(receiver: Receiver): void {
    this.#receiver = receiver;
  }

  subscribe(names: readonly string[], pattern: boolean): Promise<void> {
    return this.#command([pattern ? "PSUBSCRIBE" : "SUBSCRIBE", ...names], names.length);
  }

  unsubscribe(names: readonly string[], pattern: boolean): Promise<void> {
    return this.#command([pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", ...names], names.length);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    clearTimeout(this.#retry);
    clearInterval(this.#liveness);
    const error = this.#closedError();
    for (const command of this.#sent.splice(0).concat(this.#waiting.splice(0))) command.reject(error);
    const socket = this.#socket;
    if (!socket || socket.destroyed) return;
    const gone = new Promise((resolve) => socket.once("close", resolve));
    socket.destroy();
    await gone;
  }

  #command(args: readonly string[], replies: number): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      const command: Command = { args, remaining: replies, resolve, reject };
      if (this.#ready) this.#write(command);
      else this.#waiting.push(command);
    });
  }

  #closedError(): ConnectionError {
    return new ConnectionError(`The Pub/Sub connection to ${this.#at.safeUrl} is closed`);
  }

  #write(command: Command): void {
    this.#sent.push(command);
    this.#socket!.write(encodeCommand(command.args));
  }

  /**
   * One connection: resolves once the server took the login and the name, rejects with why it did not. If
   * it is lost later, the next attempt is scheduled.
   */
  #attempt(): Promise<void> {
    return new Promise((resolve, reject) => {
      const at = this.#at;
      const socket = at.tls
        ? connectTls({ host: at.host, port: at.port, ...at.tls })
        : connectTcp({ host: at.host, port: at.port });
      this.#socket = socket;
      this.#reader.reset();
      socket.setNoDelay(true);
      let up = false;
      let failure: Error | undefined;
      const fail = (error: Error): void => {
        failure ??= error;
        socket.destroy();
      };
      const timer = setTimeout(
        () => fail(new Error(`connect ETIMEDOUT: no answer within ${this.#timeout} ms`)),
        this.#timeout,
      );
      socket.once(at.tls ? "secureConnect" : "connect", () => {
        // TCP keep-alive probes after 30 s of silence, as ioredis sets them: a subscriber that only listens
        // otherwise never learns of a peer that vanished without closing. Set once connected, where every
        // runtime honours it.
        socket.setKeepAlive(true, 30_000);
        const login = at.password === undefined ? [] : [
          this.#login(at.username === undefined ? ["AUTH", at.password] : ["AUTH", at.username, at.password]),
        ];
        const name = this.#login(["CLIENT", "SETNAME", "sluice-pubsub"]).catch(() => undefined);
        Promise.all([...login, name]).then(() => {
          // The close of a connection that timed out fails the name it was waiting for, which is then taken
          // as given: nothing is up.
          if (socket.destroyed) return;
          clearTimeout(timer);
          up = true;
          if (this.#pingAfter > 0) this.#checkLiveness(socket);
          resolve();
        }, fail);
      });
      socket.on("data", (chunk: Uint8Array) => {
        this.#heard++;
        try {
          this.#reader.feed(chunk);
        } catch (error) {
          this.#logger.error(`Redis Pub/Sub connection to ${at.safeUrl}: ${describeError(error)}`);
          socket.destroy();
        }
      });
      socket.on("error", (error: Error) => void (failure ??= error));
      socket.once("close", () => {
        clearTimeout(timer);
        clearInterval(this.#liveness);
        if (up) return this.#lost(failure);
        // Commands of this attempt's login that had no reply.
        for (const command of this.#sent.splice(0)) {
          command.reject(failure ?? new Error("Connection closed"));
        }
        reject(failure ?? new Error("Connection closed before the login finished"));
      });
    });
  }

  /**
   * Checks every `pingAfter` ms that something arrived on `socket` since the last look; after a silent
   * period it sends a PING, and after a second one it drops the connection, which then reconnects.
   */
  #checkLiveness(socket: Socket): void {
    let heard = this.#heard;
    let pinged = false;
    this.#liveness = setInterval(() => {
      if (this.#heard !== heard) {
        heard = this.#heard;
        pinged = false;
      } else if (!pinged) {
        pinged = true;
        // Its reply is a command's, whatever it holds; rejected only when the connection closes.
        this.#command(["PING"], 1).catch(() => undefined);
      } else {
        socket.destroy(new Error(`no reply to a PING within ${this.#pingAfter} ms`));
      }
    }, this.#pingAfter);
  }

  /** Writes a login command at once, ahead of anything waiting for the connection. */
  #login(args: readonly string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#write({ args, remaining: 1, resolve, reject })).catch(
      (error: Error) => {
        // A password given to a server that has none: Redis refuses AUTH, and ioredis warns and goes on.
        if (!/without any password configured|no password is set/i.test(error.message)) throw error;
        this.#logger.warn(`Redis at ${this.#at.safeUrl} has no password, but one was given`);
      },
    );
  }

  /** The connection was lost: what was not answered waits for the next one, tried after a pause. */
  #lost(reason: Error | undefined): void {
    this.#ready = false;
    this.#waiting = this.#sent.splice(0).concat(this.#waiting);
    if (this.#closed) return;
    const why = reason === undefined ? "" : ` (${describeError(scrub(reason, this.#secrets))})`;
    this.#logger.warn(`Lost the pubsub connection to ${this.#at.safeUrl}${why}; reconnecting`);
    this.#again();
  }

  #again(): void {
    this.#attempts++;
    this.#retry = setTimeout(() => {
      this.#attempt().then(() => {
        if (this.#closed) return void this.#socket?.destroy();
        this.#attempts = 0;
        this.#ready = true;
        this.#logger.info(`Reconnected to ${this.#at.safeUrl} (pubsub connection)`);
        this.#receiver?.renew();
        for (const command of this.#waiting.splice(0)) this.#write(command);
      }, () => {
        if (!this.#closed) this.#again();
      });
    }, retryDelay(this.#attempts));
  }

  #dispatch(reply: Reply): void {
    if (Array.isArray(reply)) {
      const kind = reply[0];
      if (kind instanceof Uint8Array) {
        if (kind.length === 7 && kind[0] === MESSAGE) {
          return this.#receiver?.message(reply[1] as Uint8Array, reply[2] as Uint8Array);
        }
        if (kind.length === 8 && kind[0] === PMESSAGE) {
          return this.#receiver?.pmessage(
            reply[1] as Uint8Array,
            reply[2] as Uint8Array,
            reply[3] as Uint8Array,
          );
        }
      }
    }
    const command = this.#sent[0];
    if (command === undefined) return;
    if (reply instanceof ErrorReply) {
      this.#sent.shift();
      return command.reject(new Error(reply.message));
    }
    if (--command.remaining === 0) {
      this.#sent.shift();
      command.resolve();
    }
  }
}
