import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../../src/daemon/auth/signing-keys.js';
import { ViewLinks } from '../../src/daemon/auth/view-links.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';

// The citation URLs search and fetch return must open for a person: an HTML page of the file, reached by a
// short-lived signed link, not the bearer-token API (a JSON 401 in a browser).
let t: TestDaemon;
let container: string;
beforeAll(async () => {
  t = await startTestDaemon();
  container = (await t.json('POST', '/api/v1/containers', { name: 'cite' })).body.id;
  await t.json('PUT', `/api/v1/containers/${container}/files/content`, {
    path: 'docs/auth notes.md',
    content: '# Authentication\nTokens <rotate> daily & "quietly".\n',
  });
});
afterAll(() => t.stop());

/** A browser's visit: no bearer token, no cookies. */
const visit = (url: string) => fetch(url, { redirect: 'manual' });

describe('citation links of search and fetch', () => {
  it('open as an HTML page of the file for a person without a token', async () => {
    const { body } = await t.json('GET', '/api/v1/search?query=authentication%20tokens');
    const hit = body.results.find((r: { id: string }) => r.id === `${container}/docs/auth notes.md`);
    expect(hit.url).toMatch(new RegExp(`^${t.url}/view/${container}/docs/auth%20notes\\.md\\?t=`));
    const res = await visit(hit.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    // Escaped, never markup from the file.
    expect(html).toContain('Tokens &#60;rotate&#62; daily &#38; &#34;quietly&#34;.');
    expect(html).not.toContain('<rotate>');

    const fetched = await t.json('GET', `/api/v1/fetch?id=${encodeURIComponent(hit.id)}`);
    expect((await visit(fetched.body.url)).status).toBe(200);
  });

  it('refuse a tampered link, a link for another file, and an access token in its place', async () => {
    const { body } = await t.json('GET', '/api/v1/search?query=authentication');
    const url = new URL(body.results[0].url);
    const token = url.searchParams.get('t') as string;
    const tampered = new URL(url);
    tampered.searchParams.set('t', `${token.slice(0, -4)}AAAA`);
    const other = new URL(url);
    other.pathname = `/view/${container}/README.md`;
    const bearer = new URL(url);
    bearer.searchParams.set('t', t.token);
    for (const u of [tampered, other, bearer]) {
      const res = await visit(u.toString());
      expect(res.status, u.pathname).toBe(403);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).not.toContain('Authentication');
    }
    // And the link is no bearer token for the API.
    const api = await fetch(`${t.url}/api/v1/containers`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(401);
  });

  it('stop working once the container is gone, with a page that says so', async () => {
    const other = (await t.json('POST', '/api/v1/containers', { name: 'gone' })).body.id;
    await t.json('PUT', `/api/v1/containers/${other}/files/content`, { path: 'a.md', content: 'zebra\n' });
    const { body } = await t.json('GET', '/api/v1/search?query=zebra');
    const hit = body.results.find((r: { id: string }) => r.id.startsWith(other));
    await t.json('DELETE', `/api/v1/containers/${other}`);
    const res = await visit(hit.url);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('expire', async () => {
    const links = new ViewLinks(await loadSigningKeys(await tempDir(), undefined), -10);
    const token = await links.sign({ userId: 'u', containerId: 'ctr_x', path: 'a' });
    expect(await links.verify(token)).toBe('expired');
    const fresh = new ViewLinks(await loadSigningKeys(await tempDir(), undefined), 60);
    expect(await fresh.verify(await fresh.sign({ userId: 'u', containerId: 'ctr_x', path: 'a' }))).toEqual({
      userId: 'u',
      containerId: 'ctr_x',
      path: 'a',
    });
  });
});
