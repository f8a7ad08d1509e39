// Runs the Cloudflare Worker from deploy/cloudflare in Miniflare (real workerd) for the C# deploy tests.
// Usage: node worker-host.cjs <toolsDir> <cloudflareDir> <originUrl> <originSecret> <wellKnownTtlSeconds>
// Bundles src/index.ts with esbuild (as wrangler does), prints {"url": "..."} on one line once the Worker listens,
// and stops when stdin closes.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const [toolsDir, cloudflareDir, originUrl, originSecret, ttl] = process.argv.slice(2);
const toolsRequire = createRequire(path.join(toolsDir, "package.json"));
const { Miniflare } = toolsRequire("miniflare");
const esbuild = toolsRequire("esbuild");

async function main() {
  const toml = fs.readFileSync(path.join(cloudflareDir, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)[1];
  const main = /^main\s*=\s*"([^"]+)"/m.exec(toml)[1];
  const built = await esbuild.build({
    entryPoints: [path.join(cloudflareDir, main)],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    write: false,
  });
  const mf = new Miniflare({
    modules: true,
    script: built.outputFiles[0].text,
    compatibilityDate,
    bindings: { ORIGIN_URL: originUrl, ORIGIN_SECRET: originSecret, WELL_KNOWN_CACHE_SECONDS: ttl },
    host: "127.0.0.1",
    port: 0,
  });
  const url = await mf.ready;
  process.stdout.write(JSON.stringify({ url: url.toString() }) + "\n");
  const stop = async () => {
    await mf.dispose();
    process.exit(0);
  };
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
