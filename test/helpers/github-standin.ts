import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitHttpBackend } from './git-http.js';

export interface StandinUser {
  id: number;
  login: string;
  name?: string;
  email?: string;
}

export interface GithubStandin {
  /** Web base (OAuth pages, and git over smart HTTP for private repositories). */
  url: string;
  /** API base (GET /user). */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** Who "is signed in at GitHub" when the next authorization is approved. */
  signedIn: StandinUser;
  /** Access tokens issued, by token. */
  tokens: Map<string, StandinUser>;
  /** Git requests and whether they carried a valid token. */
  gitRequests: Array<{ path: string; authorized: boolean }>;
  close: () => Promise<void>;
}

/**
 * A local stand-in for github.com speaking the same protocol over real HTTP: the OAuth web flow
 * (`/login/oauth/authorize`, `/login/oauth/access_token` with PKCE), the `/user` API, and private
 * repositories over smart HTTP that need `Authorization: Basic x-access-token:<token>`.
 */
export async function startGithubStandin(opts: {
  gitRoot?: string;
  user: StandinUser;
  /** Listen address (default 127.0.0.1; 0.0.0.0 to be reached through a test network namespace). */
  host?: string;
}): Promise<GithubStandin> {
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  const codes = new Map<string, { user: StandinUser; redirectUri: string; challenge: string }>();
  const self: GithubStandin = {
    url: '',
    apiUrl: '',
    clientId,
    clientSecret,
    signedIn: opts.user,
    tokens: new Map(),
    gitRequests: [],
    close: async () => {},
  };
  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => resolve(body));
    });
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== clientId) return json(res, 404, { error: 'unknown client' });
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
        return json(res, 400, { error: 'pkce required' });
      // The person approves at once (they are "signed in at GitHub").
      const code = randomBytes(10).toString('hex');
      codes.set(code, {
        user: self.signedIn,
        redirectUri: q.get('redirect_uri') ?? '',
        challenge: q.get('code_challenge') ?? '',
      });
      const back = new URL(q.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const raw = await readBody(req);
      const p = (req.headers['content-type'] ?? '').includes('json')
        ? new Map(Object.entries(JSON.parse(raw) as Record<string, string>))
        : new URLSearchParams(raw);
      const grant = codes.get(p.get('code') ?? '');
      // GitHub answers errors with 200 and an error field.
      if (p.get('client_id') !== clientId || p.get('client_secret') !== clientSecret)
        return json(res, 200, { error: 'incorrect_client_credentials' });
      if (!grant || grant.redirectUri !== p.get('redirect_uri'))
        return json(res, 200, { error: 'bad_verification_code' });
      const verifier = p.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
        return json(res, 200, { error: 'bad_verification_code', error_description: 'PKCE' });
      codes.delete(p.get('code') ?? '');
      const token = `gho_${randomBytes(18).toString('hex')}`;
      self.tokens.set(token, grant.user);
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email,repo' });
    }
    if (req.method === 'GET' && url.pathname === '/api/user') {
      const token = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const user = self.tokens.get(token);
      if (!user) return json(res, 401, { message: 'Bad credentials' });
      return json(res, 200, { id: user.id, login: user.login, name: user.name ?? null, email: user.email ?? null });
    }
    if (opts.gitRoot && /\.git\//.test(url.pathname)) {
      const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const [, token] = Buffer.from(basic ?? '', 'base64')
        .toString()
        .split(':');
      const authorized = token !== undefined && self.tokens.has(token);
      self.gitRequests.push({ path: url.pathname, authorized });
      if (!authorized) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end();
        return;
      }
      return gitHttpBackend(req, res, opts.gitRoot, url);
    }
    json(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  self.url = `http://127.0.0.1:${port}`;
  self.apiUrl = `${self.url}/api`;
  self.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return self;
}
