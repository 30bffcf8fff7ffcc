import { describe, expect, it } from 'vitest';
import { type AuthMethod, pluginAuth } from '../../src/daemon/http/discovery.js';

describe('discovery helpers', () => {
  it('derives the plugin manifest auth from the strongest method offered', () => {
    const bearer: AuthMethod = { type: 'bearer', header: 'Authorization', scheme: 'Bearer', description: 'token' };
    const oauth: AuthMethod = {
      type: 'oauth2',
      metadataUrl: 'https://d.example/.well-known/oauth-authorization-server',
      authorizationUrl: 'https://d.example/oauth/authorize',
      tokenUrl: 'https://d.example/oauth/token',
      scopes: ['containers', 'files:read'],
    };
    expect(pluginAuth([bearer])).toEqual({ type: 'user_http', authorization_type: 'bearer' });
    expect(pluginAuth([bearer, oauth])).toMatchObject({
      type: 'oauth',
      client_url: 'https://d.example/oauth/authorize',
      authorization_url: 'https://d.example/oauth/token',
      scope: 'containers files:read',
    });
    expect(pluginAuth([])).toEqual({ type: 'none' });
  });
});
