import { describe, expect, it } from 'vitest';
import { ApiError, DiscoClient } from '../../src/cli/client.js';

describe('CLI client: path parameters', () => {
  it('refuses a call without a path parameter instead of asking for "undefined"', async () => {
    // Nothing listens there: the call must fail before any request.
    const client = new DiscoClient('http://127.0.0.1:9', 'token');
    const err = await client.call('container_get', {} as { id: string }).catch((e: unknown) => e);
    // It asked GET /api/v1/containers/undefined and printed "container 'undefined' not found".
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 'validation_failed',
      message: 'id: required (container_get takes it in its path)',
    });
  });
});
