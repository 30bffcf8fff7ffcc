import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatgptStandIn, ClientHost, CONNECTOR_REDIRECT, type Json } from '../helpers/chatgpt.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';

const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const PUBLIC = 'http://disco.test';

/**
 * ChatGPT's retried refresh landing on two instances that share Redis: the grace record and the used
 * assertion ids live in the shared store, so the retry gets the same pair and a replayed assertion fails
 * on the other instance too.
 */
describe.runIf(redisAvailable())('OAuth refresh across instances (Redis)', () => {
  let redis: RedisServer;
  let a: TestDaemon;
  let b: TestDaemon;
  let host: ClientHost;
  let clientId = '';
  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      DISCO_JWT_SECRET: 'cluster-secret-for-tests-0123456789abcdef',
      DISCO_PUBLIC_URL: PUBLIC,
    };
    a = await startTestDaemon(env);
    b = await startTestDaemon({ ...env, DISCO_ADMIN_TOKEN: a.token });
    host = await new ClientHost().start();
    clientId = host.serveClient('/chatgpt.json', {
      client_name: 'ChatGPT',
      redirect_uris: [CONNECTOR_REDIRECT],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: host.url('/jwks.json'),
    });
    expect((await a.json('POST', '/api/v1/users', { name: 'cy', password: 'two instances, one session' })).status).toBe(
      201,
    );
  });
  afterAll(async () => {
    await host?.stop();
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  const assertion = () => host.assertion(clientId, `${PUBLIC}/oauth/token`);
  const refreshOn = async (d: TestDaemon, refreshToken: string, clientAssertion?: string) =>
    new ChatgptStandIn(d, PUBLIC).token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_assertion_type: TYPE,
      client_assertion: clientAssertion ?? (await assertion()),
    });

  it('a refresh raced on A and B gets one pair; a replayed assertion fails on the other instance', async () => {
    const gptA = new ChatgptStandIn(a, PUBLIC);
    const done = await gptA.authorize(clientId, CONNECTOR_REDIRECT, 'containers exec', {
      name: 'cy',
      password: 'two instances, one session',
    });
    const used = await assertion();
    const tokens = await gptA.token({
      grant_type: 'authorization_code',
      code: done.code,
      code_verifier: done.verifier,
      client_assertion_type: TYPE,
      client_assertion: used,
    });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const [x, y] = await Promise.all([
      refreshOn(a, tokens.body.refresh_token),
      refreshOn(b, tokens.body.refresh_token),
    ]);
    expect([x.status, y.status], JSON.stringify([x.body, y.body])).toEqual([200, 200]);
    expect(x.body).toEqual(y.body);
    const next = await refreshOn(b, x.body.refresh_token);
    expect(next.status).toBe(200);
    // The assertion A accepted is refused by B.
    const replay = await refreshOn(b, next.body.refresh_token, used);
    expect([replay.status, replay.body.error_description as Json]).toEqual([
      401,
      expect.stringContaining('already used'),
    ]);
    // And once the client moved on, the first refresh token again revokes the session everywhere.
    expect((await refreshOn(a, tokens.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refreshOn(b, next.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});
