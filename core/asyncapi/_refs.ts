/**
 * Local `$ref`s of a document, followed: what `diff` compares is what a reader of the document sees.
 *
 * @module
 */

/** Follows a value's local `$ref` (and the one it lands on, and so on); other values are returned as they are. */
export type Resolve = (value: unknown) => unknown;

/** The resolver of one document. A `$ref` that leads nowhere resolves to undefined. */
export function resolver(document: unknown): Resolve {
  return (value) => {
    for (let hops = 0; hops < 32; hops++) {
      const target = (value as { $ref?: unknown } | null)?.$ref;
      if (typeof value !== "object" || value === null || typeof target !== "string") return value;
      if (!target.startsWith("#")) return value;
      value = target.slice(1).split("/").slice(1).reduce<unknown>(
        (node, key) =>
          (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, "/").replace(/~0/g, "~")],
        document,
      );
    }
    return value;
  };
}

/** The last key of a `$ref`: the id of what it points to. */
export function refId(value: unknown): string | undefined {
  const target = (value as { $ref?: unknown } | null)?.$ref;
  if (typeof target !== "string") return undefined;
  const key = target.slice(target.lastIndexOf("/") + 1);
  return key.replace(/~1/g, "/").replace(/~0/g, "~");
}
