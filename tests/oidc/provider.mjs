// A real OpenID Connect provider (panva's oidc-provider) on loopback, for tests/test_browser_team.py only.
//
//   node provider.mjs CONFIG_JSON
//
// CONFIG_JSON: {"port", "client_id", "client_secret", "redirect_uri", "accounts": {"login": {"name", "email",
// "groups": [...]}}}. Its login page (the package's development interactions) takes any password for a login named
// in "accounts"; consent is given at once (a first-party client). Prints "ready" once it listens.
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    post_logout_redirect_uris: [config.redirect_uri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  claims: {
    openid: ['sub'],
    email: ['email'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false, // the scopes' claims in the ID token: Streamlit reads only the ID token
  cookies: { keys: ['folio-test-only'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, ...account };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
});

provider.listen(config.port, '127.0.0.1', () => console.log('ready'));
