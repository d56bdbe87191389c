// An OpenID Connect provider for the test suite, built on the certified oidc-provider package.
// Usage: node server.mjs CONFIG.json. It listens on 127.0.0.1 (config.port, 0 = any free port), takes its
// signing keys from config.jwks_file (so a restart with a new file is a key rotation), and prints one line,
// "ready <issuer>", once it serves. Clients use client_credentials with a resource indicator, so the
// access token is a JWT whose audience is the requested resource; config.claims[client_id] adds claims.
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const jwks = JSON.parse(fs.readFileSync(config.jwks_file, 'utf8'));

const server = http.createServer();
server.listen(config.port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    jwks,
    scopes: ['openid', 'api'],
    clients: config.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'api',
    })),
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.default_resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator, client) => ({
          scope: 'api',
          audience: resourceIndicator,
          accessTokenTTL: (config.ttl && config.ttl[client.clientId]) || 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: (config.alg && config.alg[client.clientId]) || 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (ctx, token) => (config.claims && config.claims[token.clientId]) || {},
  });
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
