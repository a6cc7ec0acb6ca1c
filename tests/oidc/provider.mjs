// A real OpenID provider for Sunhall's tests (node oidc-provider, a certified implementation).
//
//   node tests/oidc/provider.mjs PORT
//
// PORT (or OIDC_PORT) is where it listens on 127.0.0.1; the issuer is http://127.0.0.1:PORT.
// Environment:
//   OIDC_STAFF_REDIRECT_URIS / OIDC_STAFF_LOGOUT_URIS      the staff client's redirect and post-logout URIs
//   OIDC_CITIZEN_REDIRECT_URIS / OIDC_CITIZEN_LOGOUT_URIS  the same for the citizens' client
// (space-separated lists). Clients: sunhall-staff / staff-secret, sunhall-citizen / citizen-secret.
// It prints "ready <issuer>" on stdout once it listens. Test accounts and their password are below;
// the login page checks the password, so a browser (or the tests' HTTP client) types a real login.
import http from 'node:http';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.OIDC_PORT || 0);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node provider.mjs PORT');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const list = (name) => (process.env[name] || '').split(/\s+/).filter(Boolean);

const PASSWORD = 'Oidc@2026';
// login → account. sub is the provider's opaque subject; preferred_username carries the 工号.
const ACCOUNTS = {
  lina: { sub: 'op-7f3a91-lina', name: '李娜', preferred_username: 'sc001' }, // the demo window clerk
  zhaomin: { sub: 'op-52c0de-zhaomin', name: '赵敏', preferred_username: 'sc002' },
  imposter: { sub: 'op-0bad00-imposter', name: '冒名者', preferred_username: 'sc001' },
  stranger: { sub: 'op-9e9e9e-stranger', name: '路人甲', preferred_username: 'nobody99' },
  zhangsan: { sub: 'op-c1t1z3-zhangsan', name: '张三', cert_number: '110101199003071233' }, // a citizen
};
const BY_SUB = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a.sub, a]));

const clients = [
  {
    client_id: 'sunhall-staff',
    client_secret: 'staff-secret',
    redirect_uris: list('OIDC_STAFF_REDIRECT_URIS'),
    post_logout_redirect_uris: list('OIDC_STAFF_LOGOUT_URIS'),
  },
  {
    client_id: 'sunhall-citizen',
    client_secret: 'citizen-secret',
    redirect_uris: list('OIDC_CITIZEN_REDIRECT_URIS'),
    post_logout_redirect_uris: list('OIDC_CITIZEN_LOGOUT_URIS'),
  },
].filter((c) => c.redirect_uris.length);

const page = (title, body) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients,
  cookies: { keys: ['sunhall-test-cookie-key'] },
  claims: {
    openid: ['sub'],
    // cert_number: the citizen's 居民身份证 number, as the province's identity platform vouches for it
    profile: ['name', 'preferred_username', 'cert_number'],
  },
  scopes: ['openid', 'profile'],
  pkce: { required: () => true }, // every client must send a S256 code challenge
  features: {
    devInteractions: { enabled: false }, // our own login page below checks the password
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('退出统一身份认证', `${form}<p>是否退出统一身份认证？</p>
<button type="submit" form="op.logoutForm" value="yes" name="logout">确认退出</button>
<button type="submit" form="op.logoutForm">保持登录</button>`);
      },
    },
  },
  async findAccount(ctx, sub) {
    const account = BY_SUB[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { sub: _, ...rest } = account;
        return { sub, ...rest };
      },
    };
  },
  // first-party clients only: no consent screen (recipe "skip_consent" of oidc-provider)
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('出错了', `<pre>${esc(JSON.stringify(out))}</pre>`);
  },
});

function loginForm(uid, error = '') {
  return page('统一身份认证登录', `${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label>账号 <input name="login" autocomplete="username" required autofocus></label>
<label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">登录</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginForm(uid));
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = ACCOUNTS[form.get('login') || ''];
    if (!account || form.get('password') !== PASSWORD) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(loginForm(uid, '账号或密码错误。'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(405);
  res.end();
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(req.url.split('?')[0]);
  if (!match) {
    callback(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`interaction failed: ${err.message}`);
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
