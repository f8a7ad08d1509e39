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
//   short-lived  secret short-secret; like m2m but its access tokens live 2 seconds
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
const resourceScopes = 'mcp other';

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
    ],
    jwks: { keys: [jwk] },
    findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, name: `Test ${id}` }) }),
    claims: { openid: ['sub'], profile: ['name'] },
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
  const provider = new Provider(issuer, configuration());
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  console.log(`${label} ${issuer}`);
}

await start('LISTENING');
if (args.includes('--second-issuer')) {
  await start('LISTENING2');
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
