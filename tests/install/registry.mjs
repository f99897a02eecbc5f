// A package registry on loopback that serves the tarballs of scripts/pack.mjs, so that npm, Bun and Deno
// install @sluice/* with the commands a user types (`npm install @sluice/core`, `bun add`, `deno add npm:`,
// `deno run npm:@sluice/cli`), exactly as if the packages were published. Only the @sluice scope is
// served here (`@sluice:registry=` in the project's .npmrc); every other package comes from the registry
// the machine is configured with. Plain Node.js.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Serves each `*.tgz` in `dir` whose staged package.json is in `stageDir/<folder>/package.json`.
 * Resolves with `{ url, close }` once it listens on 127.0.0.1.
 */
export async function startRegistry(dir, manifests) {
  const tarballs = new Map(); // file name → bytes
  const packuments = new Map(); // package name → packument (filled in once the port is known)
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".tgz"))) {
    tarballs.set(file, readFileSync(join(dir, file)));
  }
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://x").pathname).replace(/^\/+/, "");
    if (path.startsWith("-/tarballs/")) {
      const bytes = tarballs.get(path.slice("-/tarballs/".length));
      if (bytes) {
        response.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": bytes.length,
        });
        return response.end(request.method === "HEAD" ? undefined : bytes);
      }
    }
    const packument = packuments.get(path);
    if (packument) {
      const body = JSON.stringify(packument);
      response.writeHead(200, { "content-type": "application/json" });
      return response.end(request.method === "HEAD" ? undefined : body);
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: "not found" }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  for (const { manifest, file } of manifests) {
    const bytes = tarballs.get(file);
    if (!bytes) throw new Error(`no tarball ${file} in ${dir}`);
    const version = {
      ...manifest,
      _id: `${manifest.name}@${manifest.version}`,
      dist: {
        tarball: `${url}-/tarballs/${file}`,
        shasum: createHash("sha1").update(bytes).digest("hex"),
        integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
      },
    };
    const time = new Date().toISOString();
    packuments.set(manifest.name, {
      _id: manifest.name,
      name: manifest.name,
      description: manifest.description,
      "dist-tags": { latest: manifest.version },
      versions: { [manifest.version]: version },
      time: { created: time, modified: time, [manifest.version]: time },
      license: manifest.license,
    });
  }
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}
