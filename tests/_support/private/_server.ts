/**
 * One server process of a private broker: spawned in its own process group on loopback, stopped with SIGTERM
 * (as an orchestrator stops a container), killed with SIGKILL, started again with the same data. A failed or
 * killed test leaves no broker behind: every group still alive when the test process exits is killed, and a
 * watchdog shell kills the group once the test process is gone, however it ended.
 */
import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";

/** How to run one server. */
export interface ServerSpec {
  /** A short name for messages, e.g. `redis-server`. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Resolves once the server serves (`output` is what it wrote so far); rejects after `timeout` ms. */
  ready(timeout: number, output: () => string): Promise<void>;
  /** Milliseconds to wait for `ready`. */
  readonly readyTimeout: number;
  /** Milliseconds a graceful stop may take before the group is killed. */
  readonly stopTimeout?: number;
}

const alive = new Set<number>();
let exitHook = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** A server process that can be stopped and started again. */
export class Server {
  readonly #spec: ServerSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #output = "";

  constructor(spec: ServerSpec) {
    this.#spec = spec;
    if (!exitHook) {
      exitHook = true;
      process.on("exit", () => alive.forEach((pid) => killGroup(pid, "SIGKILL")));
    }
  }

  /** Whether the process runs. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The last lines the server wrote, for failure messages. */
  output(): string {
    return this.#output.split("\n").slice(-40).join("\n");
  }

  /** Starts the process and resolves once it serves. */
  async start(): Promise<void> {
    if (this.#child) return;
    const spec = this.#spec;
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    // Each start's output on its own, so that `ready` reads only this start's lines.
    this.#output = "";
    const append = (chunk: unknown) => {
      this.#output += String(chunk);
      if (this.#output.length > 1_000_000) this.#output = this.#output.slice(-500_000);
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    this.#child = child;
    const pid = child.pid!;
    alive.add(pid);
    const watchdog = spawn(
      "sh",
      [
        "-c",
        'while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -KILL -"$1" 2>/dev/null',
        String(process.pid),
        String(pid),
      ],
      { stdio: "ignore", detached: true },
    );
    watchdog.unref();
    this.#exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        alive.delete(pid);
        if (this.#child === child) this.#child = undefined;
        try {
          process.kill(watchdog.pid!, "SIGKILL");
        } catch {
          // Already gone.
        }
        resolve();
      })
    );
    const died = this.#exited.then(() => {
      throw new Error(`${spec.label} exited while starting:\n${this.output()}`);
    });
    try {
      await Promise.race([spec.ready(spec.readyTimeout, () => this.#output), died]);
    } catch (error) {
      killGroup(pid, "SIGKILL");
      await this.#exited;
      throw new Error(`${spec.label} did not start: ${(error as Error).message}\n${this.output()}`);
    } finally {
      died.catch(() => undefined);
    }
  }

  /** SIGTERM, then waits for the process to exit (SIGKILL after `stopTimeout`). */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  /** SIGKILL to the whole group, then waits for the exit. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    // The group: a broker's launcher script and the processes it started go together.
    killGroup(child.pid!, signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#spec.stopTimeout ?? 30_000);
    });
    const timedOut = await Promise.race([this.#exited.then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) {
      killGroup(child.pid!, "SIGKILL");
      await this.#exited;
    }
    // Children the server left in its group (a launcher's helpers) go too.
    killGroup(child.pid!, "SIGKILL");
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => typeof address === "object" && address ? resolve(address.port) : reject());
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/**
 * Connects to 127.0.0.1:`port`, writes `hello` and resolves with the first bytes answered, or undefined when
 * the connection fails, closes or stays silent for a second.
 */
export function probe(port: number, hello: Uint8Array | string): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const done = (answer: Uint8Array | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), 1000);
    socket.once("connect", () => socket.write(hello));
    socket.once("data", (chunk: Uint8Array) => done(chunk));
    socket.once("error", () => done(undefined));
    socket.once("close", () => done(undefined));
  });
}

/** Polls `check` every 50 ms until it holds; rejects after `timeout` ms naming `what`. */
export async function poll(check: () => Promise<boolean>, timeout: number, what: string): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
