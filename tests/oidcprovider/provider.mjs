// A real OpenID Provider for authsite's OIDC tests: panva/oidc-provider (OpenID Certified) with its
// development login and consent pages (any login name, any password).
//
//   node provider.mjs   with, in the environment:
//     OP_PORT            port on 127.0.0.1 (issuer: http://127.0.0.1:<OP_PORT>)
//     OP_CLIENTS         JSON list of clients: [{client_id, client_secret?, redirect_uris: [...]}]
//                        (no client_secret: a public client, PKCE only)
//     OP_KEYS_OUT        file the signing key (private JWK) is written to, so that tests can mint
//                        ID tokens the provider itself never would (wrong aud, expired, ...)
//     OP_ACCOUNTS        optional JSON file read at every sign-in: {"<login>": {email, email_verified}};
//                        a login not in it gets <login>@example.test, verified
//
// Prints "ready <issuer>" once it listens.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import Provider from "oidc-provider";

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OP_CLIENTS).map((client) => ({
  grant_types: ["authorization_code"],
  response_types: ["code"],
  token_endpoint_auth_method: client.client_secret ? "client_secret_basic" : "none",
  ...client,
}));

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };
writeFileSync(process.env.OP_KEYS_OUT, JSON.stringify({ issuer, key: signingKey }));

function accountClaims(login) {
  let accounts = {};
  if (process.env.OP_ACCOUNTS) {
    try { accounts = JSON.parse(readFileSync(process.env.OP_ACCOUNTS, "utf8")); } catch { accounts = {}; }
  }
  return { email: `${login}@example.test`, email_verified: true, ...(accounts[login] || {}) };
}

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // The email claims in the ID token itself (by default oidc-provider puts them only in userinfo).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: id, ...accountClaims(id) };
      },
    };
  },
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
