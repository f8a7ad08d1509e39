/**
 * Edge proxy in front of the Master MCP Server (Azure Functions or a container).
 *
 * Everything is forwarded to ORIGIN_URL as is: method, path, query, headers (Authorization untouched) and body.
 * Responses are passed through as streams, never read or cloned, so SSE events reach the client one by one.
 * The origin recognises traffic from this Worker by X-Origin-Secret (the ORIGIN_SECRET Worker secret).
 * Only the public discovery documents under /.well-known/ are cached, briefly, with the Cache API.
 */

export interface Env {
  /** Base URL of the origin, e.g. https://func-mastermcp-production-abc.azurewebsites.net */
  ORIGIN_URL: string;
  /** Shared secret the origin requires in X-Origin-Secret (`wrangler secret put ORIGIN_SECRET`). */
  ORIGIN_SECRET?: string;
  /** Seconds the /.well-known/ documents stay cached at the edge (default 60). */
  WELL_KNOWN_CACHE_SECONDS?: string;
}

const ORIGIN_SECRET_HEADER = "X-Origin-Secret";
const DEFAULT_WELL_KNOWN_TTL_SECONDS = 60;
const MAX_WELL_KNOWN_TTL_SECONDS = 300;

// Per-hop headers describe this connection, not the message; fetch() rejects or rewrites them anyway.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (!env.ORIGIN_URL) {
      return new Response("ORIGIN_URL is not configured", { status: 500 });
    }
    const incoming = new URL(request.url);
    const upstreamRequest = buildUpstreamRequest(request, incoming, env);

    if (isCacheable(request, incoming)) {
      return fetchWellKnown(upstreamRequest, incoming, env, ctx);
    }
    const upstream = await fetch(upstreamRequest);
    // Same body stream, same status and headers: nothing is buffered.
    return new Response(upstream.body, upstream);
  },
};

export function buildUpstreamRequest(request: Request, incoming: URL, env: Env): Request {
  const target = new URL(env.ORIGIN_URL);
  target.pathname = target.pathname.replace(/\/+$/, "") + incoming.pathname;
  target.search = incoming.search;

  const headers = new Headers(request.headers);
  for (const name of HOP_BY_HOP) {
    headers.delete(name);
  }
  // A client must never be able to present the origin secret itself.
  headers.delete(ORIGIN_SECRET_HEADER);
  if (env.ORIGIN_SECRET) {
    headers.set(ORIGIN_SECRET_HEADER, env.ORIGIN_SECRET);
  }

  const clientIp = request.headers.get("CF-Connecting-IP");
  if (clientIp) {
    const prior = request.headers.get("X-Forwarded-For");
    headers.set("X-Forwarded-For", prior ? `${prior}, ${clientIp}` : clientIp);
  }
  headers.set("X-Forwarded-Proto", incoming.protocol.replace(/:$/, ""));
  headers.set("X-Forwarded-Host", incoming.host);

  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(target.toString(), {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    // OAuth redirects belong to the client, not to the proxy.
    redirect: "manual",
  });
}

function isCacheable(request: Request, incoming: URL): boolean {
  return request.method === "GET" && incoming.pathname.startsWith("/.well-known/");
}

async function fetchWellKnown(upstreamRequest: Request, incoming: URL, env: Env, ctx: ExecutionContext): Promise<Response> {
  const cache = caches.default;
  // Keyed by the public URL (host included): the documents name the host they were served for.
  const cacheKey = new Request(incoming.toString(), { method: "GET" });
  const cached = await cache.match(cacheKey);
  if (cached) {
    return cached;
  }

  const upstream = await fetch(upstreamRequest);
  if (upstream.status !== 200 || upstream.headers.has("Set-Cookie") || isPrivate(upstream.headers)) {
    return new Response(upstream.body, upstream);
  }
  const response = new Response(upstream.body, upstream);
  response.headers.set("Cache-Control", `public, max-age=${wellKnownTtl(env)}`);
  // Discovery documents are small JSON: teeing one for the cache is harmless (unlike an SSE stream).
  ctx.waitUntil(cache.put(cacheKey, response.clone()));
  return response;
}

function isPrivate(headers: Headers): boolean {
  const cacheControl = (headers.get("Cache-Control") ?? "").toLowerCase();
  return cacheControl.includes("no-store") || cacheControl.includes("private");
}

function wellKnownTtl(env: Env): number {
  const parsed = Number.parseInt(env.WELL_KNOWN_CACHE_SECONDS ?? "", 10);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    return DEFAULT_WELL_KNOWN_TTL_SECONDS;
  }
  return Math.min(parsed, MAX_WELL_KNOWN_TTL_SECONDS);
}
