/**
 * Keeping credentials out of errors. ioredis attaches to a reply error the command it answers
 * (`command: { name: "auth", args: [user, password] }`), and a failed login rejects every waiting command
 * with that same error. Kept as the cause of a Sluice error, or handed on by a failed publish, it would show
 * the password wherever the error is printed: `console.error`, `util.inspect`, `JSON.stringify`.
 *
 * @module
 */

/** Commands whose arguments carry credentials. */
const CREDENTIAL_COMMANDS = new Set(["auth", "hello"]);

/** What replaces a credential. */
const REDACTED = "[redacted]";

/** The texts to hide: each secret, and its URL-encoded form. */
export function secretsOf(...candidates: unknown[]): string[] {
  const secrets = new Set<string>();
  for (const candidate of candidates) {
    if (typeof candidate !== "string" || candidate === "") continue;
    secrets.add(candidate);
    secrets.add(encodeURIComponent(candidate));
  }
  return [...secrets];
}

/** `text` with every secret replaced. */
export function redact(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) text = text.split(secret).join(REDACTED);
  return text;
}

/**
 * Removes credentials from an error and its causes, in place, so that whoever holds it (a waiting command's
 * caller, a Sluice error's `cause`) sees it without them: the arguments of AUTH and HELLO, and any secret the
 * server quoted in the message or stack. Returns the error.
 */
export function scrub<E>(error: E, secrets: readonly string[]): E {
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === "object" && e !== null && !seen.has(e); e = (e as Error).cause) {
    seen.add(e);
    const target = e as Error & { command?: { name?: unknown; args?: unknown } };
    const command = target.command;
    if (
      command && typeof command.name === "string" && CREDENTIAL_COMMANDS.has(command.name.toLowerCase()) &&
      Array.isArray(command.args)
    ) {
      target.command = { name: command.name, args: command.args.map(() => REDACTED) };
    }
    if (secrets.length === 0) continue;
    for (const key of ["message", "stack"] as const) {
      const text = target[key];
      if (typeof text === "string" && secrets.some((secret) => text.includes(secret))) {
        target[key] = redact(text, secrets);
      }
    }
  }
  return error;
}
