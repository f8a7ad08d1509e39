// A real OpenID Provider (oidc-provider) for the gateway's auth tests, on 127.0.0.1 only.
//
//   node server.mjs --modules <dir with node_modules> [--second-issuer]
//
// Prints "LISTENING <issuer>" once it serves (and "LISTENING2 <issuer>" for the second issuer, which shares the signing
// keys: its tokens have valid signatures but another issuer). Logins use oidc-provider's development interactions:
// any login name with any password, the login name becomes the subject.
//
// Clients:
//   gateway      secret gateway-secret; native app, so any http://127.0.0.1:<port>/oauth/callback is accepted
//                (used as the gateway's upstream client and as its jwt-mode browser login client)
//   m2m          secret m2m-secret; client_credentials, JWT access tokens for any resource (5 minutes)
//   m2m-dev, m2m-ops  like m2m; their tokens carry a `groups` claim (['dev'], ['ops', 'dev-readers'])
//   short-lived  secret short-secret; like m2m but its access tokens live 2 seconds
//   m2m-b        secret m2m-b-secret; like m2m (a second machine user: its own subject and client id)
// People: a login as `rhea` gets groups ['gateway-admins'] in her id_token (as an IdP sends group or role claims).
//
//   node server.mjs --modules <dir> --backend [--access-ttl <seconds>]
//
// A backend's provider instead (for backend credentials tests): the person logs in and consents (real forms);
//   backend-client  secret backend-secret; authorization_code + refresh_token (rotated on every use) + token exchange,
//                   any http://127.0.0.1:<port>/oauth/callback; JWT access tokens for the requested resource
// Every grant is printed as "GRANT <grant_type> <client>" (tests count refreshes), every refused one as "GRANT_ERROR ...".
// A line "mark <id>" on stdin prints "MARK <id>" (OidcProviderProcess.SyncAsync: the output so far has been read).
// Token exchange (RFC 8693) accepts a subject_token that is a JWT signed by the issuer named in --exchange-trust <jwks url>
// and issues a JWT access token of this issuer for the same subject and the requested resource.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const args = process.argv.slice(2);
const arg = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const modules = arg('--modules');
if (!modules) {
  console.error('--modules <node_modules dir> is required');
  process.exit(2);
}
const { default: Provider } = await import(pathToFileURL(path.join(modules, 'oidc-provider', 'lib', 'index.js')).href);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
const resourceScopes = 'mcp other admin';
const backendMode = args.includes('--backend');
const accessTtl = Number(arg('--access-ttl') ?? 300);
const exchangeTrust = arg('--exchange-trust');

function backendConfiguration() {
  return {
    clients: [
      {
        client_id: 'backend-client', client_secret: 'backend-secret', application_type: 'native',
        redirect_uris: ['http://127.0.0.1/oauth/callback'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, name: `Test ${id}` }) }),
    claims: { openid: ['sub'], profile: ['name'] },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => ({
          scope: resourceScopes,
          audience: resourceIndicator,
          accessTokenTTL: accessTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key-backend'], names: { session: '_bsession', interaction: '_binteraction', resume: '_binteraction_resume' } },
  };
}

const groupsOf = { 'm2m-dev': ['dev'], 'm2m-ops': ['ops', 'dev-readers'] };
const groupsOfLogin = { rhea: ['gateway-admins'] };

function configuration() {
  return {
    clients: [
      {
        client_id: 'gateway', client_secret: 'gateway-secret', application_type: 'native',
        redirect_uris: ['http://127.0.0.1/oauth/callback'], grant_types: ['authorization_code'], response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      { client_id: 'm2m', client_secret: 'm2m-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      { client_id: 'short-lived', client_secret: 'short-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      { client_id: 'm2m-b', client_secret: 'm2m-b-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      // Two machine users whose tokens carry different group claims (policy tests).
      { client_id: 'm2m-dev', client_secret: 'm2m-dev-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      { client_id: 'm2m-ops', client_secret: 'm2m-ops-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
    ],
    extraTokenClaims: async (ctx, token) => groupsOf[token.clientId] ? { groups: groupsOf[token.clientId] } : undefined,
    jwks: { keys: [jwk] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, name: `Test ${id}`, ...(groupsOfLogin[id] ? { groups: groupsOfLogin[id] } : {}) }),
    }),
    // groups with the openid scope: in the id_token of a code flow, not only at userinfo.
    claims: { openid: ['sub', 'groups'], profile: ['name'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (ctx, resourceIndicator, client) => ({
          scope: resourceScopes,
          audience: resourceIndicator,
          accessTokenTTL: client.clientId === 'short-lived' ? 2 : 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // First-party: the person is not asked to consent at the IdP (the gateway shows its own consent page).
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    pkce: { required: () => true },
    cookies: { keys: ['test-cookie-key'] },
  };
}

async function start(label) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, backendMode ? backendConfiguration() : configuration());
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  provider.on('grant.success', (ctx) => console.log(`GRANT ${ctx.oidc.params.grant_type} ${ctx.oidc.client?.clientId}`));
  provider.on('grant.error', (ctx, err) => console.log(`GRANT_ERROR ${ctx.oidc.params?.grant_type} ${err.error ?? err.name}`));
  if (backendMode) {
    registerTokenExchange(provider);
  }
  server.on('request', provider.callback());
  console.log(`${label} ${issuer}`);
}

// RFC 8693 token exchange for tests: the subject token must verify against --exchange-trust (a JWKS URL; the gateway's).
function registerTokenExchange(provider) {
  const grant = 'urn:ietf:params:oauth:grant-type:token-exchange';
  const parameters = ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope'];
  provider.registerGrantType(grant, async (ctx) => {
    const { jwtVerify, createRemoteJWKSet } = await import(pathToFileURL(path.join(modules, 'jose', 'dist', 'webapi', 'index.js')).href);
    const params = ctx.oidc.params;
    if (!exchangeTrust) {
      ctx.status = 400; ctx.body = { error: 'unsupported_grant_type' }; return;
    }
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(params.subject_token, createRemoteJWKSet(new URL(exchangeTrust))));
    } catch (e) {
      console.log(`GRANT_ERROR ${grant} invalid_subject_token`);
      ctx.status = 400; ctx.body = { error: 'invalid_grant', error_description: 'subject_token invalid' }; return;
    }
    const resource = params.resource ?? params.audience;
    const client = ctx.oidc.client;
    const token = new provider.AccessToken({
      accountId: claims.sub, client, scope: 'mcp', resourceServer: { audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: accessTtl, jwt: { sign: { alg: 'RS256' } }, scope: 'mcp' },
    });
    const value = await token.save();
    console.log(`GRANT ${grant} ${client.clientId}`);
    ctx.body = { access_token: value, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: accessTtl };
  }, parameters);
}

await start('LISTENING');
if (args.includes('--second-issuer')) {
  await start('LISTENING2');
}
// "mark <id>" on stdin is echoed as "MARK <id>": everything printed before it has been read once the test sees it.
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    if (line.startsWith('mark ')) {
      console.log(`MARK ${line.slice(5)}`);
    }
  }
});
process.stdin.on('end', () => process.exit(0));
