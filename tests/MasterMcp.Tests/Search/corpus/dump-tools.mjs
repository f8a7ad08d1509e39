// Dumps the tools/list of real MCP servers (run over stdio) into tools.json.
// Usage: node dump-tools.mjs <node_modules dir holding the server packages> > tools.json
// Speaks plain JSON-RPC over stdio (initialize, notifications/initialized, tools/list with paging), so it
// depends on nothing but Node. Only the listing is requested: no tool is ever called.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const modules = path.resolve(process.argv[2] ?? "node_modules");
const scratch = mkdtempSync(path.join(tmpdir(), "mcp-corpus-"));

// id: the server id used as the prefix of corpus keys (gateway-style `{id}__{tool}`).
// Environment values are placeholders: these servers read them at start-up but only use them when a tool is called.
const servers = [
  { id: "everything", pkg: "@modelcontextprotocol/server-everything", args: ["stdio"] },
  { id: "memory", pkg: "@modelcontextprotocol/server-memory", env: { MEMORY_FILE_PATH: path.join(scratch, "memory.jsonl") } },
  { id: "filesystem", pkg: "@modelcontextprotocol/server-filesystem", args: [scratch] },
  { id: "thinking", pkg: "@modelcontextprotocol/server-sequential-thinking" },
  { id: "github", pkg: "@modelcontextprotocol/server-github", env: { GITHUB_PERSONAL_ACCESS_TOKEN: "placeholder" } },
  { id: "slack", pkg: "@modelcontextprotocol/server-slack", env: { SLACK_BOT_TOKEN: "placeholder", SLACK_TEAM_ID: "T0000000" } },
  { id: "maps", pkg: "@modelcontextprotocol/server-google-maps", env: { GOOGLE_MAPS_API_KEY: "placeholder" } },
  { id: "puppeteer", pkg: "@modelcontextprotocol/server-puppeteer" },
  { id: "brave", pkg: "@modelcontextprotocol/server-brave-search", env: { BRAVE_API_KEY: "placeholder" } },
];

function listTools(server) {
  const dir = path.join(modules, server.pkg);
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  const bin = typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin)[0];
  const child = spawn(process.execPath, [path.join(dir, bin), ...(server.args ?? [])], {
    env: { ...process.env, ...(server.env ?? {}) },
    stdio: ["pipe", "pipe", "ignore"],
  });
  let buffer = "";
  let nextId = 1;
  const pending = new Map();
  const send = (method, params) => {
    const id = nextId++;
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  };
  child.stdout.on("data", chunk => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith("{")) continue;
      const message = JSON.parse(line);
      const waiter = message.id !== undefined && pending.get(message.id);
      if (!waiter) continue;
      pending.delete(message.id);
      message.error ? waiter.reject(new Error(`${server.id}: ${message.error.message}`)) : waiter.resolve(message.result);
    }
  });
  const run = async () => {
    const init = await send("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "corpus-dump", version: "1" },
    });
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
    const tools = [];
    let cursor;
    do {
      const page = await send("tools/list", cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return { id: server.id, package: server.pkg, version: manifest.version, serverInfo: init.serverInfo, tools };
  };
  return run().finally(() => child.kill());
}

const result = [];
for (const server of servers) result.push(await listTools(server));
process.stdout.write(JSON.stringify({ servers: result }, null, 2) + "\n");
