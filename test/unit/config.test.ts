import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, loadConfig, SETTINGS } from '../../src/daemon/config.js';
import { configTable } from '../../src/daemon/config-doc.js';

describe('loadConfig', () => {
  it('defaults to loopback, the documented port and ~/.disco', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(DEFAULT_PORT);
    expect(c.home).toBe(path.join(os.homedir(), '.disco'));
    expect(c.containersDir).toBe(path.join(c.home, 'containers'));
    expect(c.execTimeoutMs).toBe(60_000);
  });

  it('binds 0.0.0.0:$PORT when PORT is set (Railway)', () => {
    const c = loadConfig({ PORT: '8080' });
    expect(c.host).toBe('0.0.0.0');
    expect(c.port).toBe(8080);
  });

  it('lets flags win over DISCO_* which win over PORT', () => {
    expect(loadConfig({ PORT: '8080', DISCO_PORT: '9000' }).port).toBe(9000);
    expect(loadConfig({ DISCO_PORT: '9000' }, { port: '9100', host: '::1' })).toMatchObject({
      port: 9100,
      host: '::1',
    });
  });

  it('stops with a one-line message naming the variable at fault', () => {
    expect(() => loadConfig({ DISCO_PORT: 'abc' })).toThrowError(ConfigError);
    expect(() => loadConfig({ DISCO_PORT: 'abc' })).toThrowError(/^DISCO_PORT: /);
    expect(() => loadConfig({ PORT: '99999' })).toThrowError(/^PORT: /);
    expect(() => loadConfig({ DISCO_LOG_LEVEL: 'loud' })).toThrowError(/^DISCO_LOG_LEVEL: /);
    expect(() => loadConfig({}, { port: '-1' })).toThrowError(/^--port: /);
    expect(() => loadConfig({ DISCO_ADMIN_TOKEN: 'short' })).toThrowError(/^DISCO_ADMIN_TOKEN: /);
    try {
      loadConfig({ DISCO_EXEC_MAX_OUTPUT_BYTES: '12' });
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('refuses a default timeout above the maximum', () => {
    expect(() => loadConfig({ DISCO_EXEC_TIMEOUT_MS: '5000', DISCO_EXEC_MAX_TIMEOUT_MS: '1000' })).toThrowError(
      /DISCO_EXEC_TIMEOUT_MS/,
    );
  });

  it('parses comma-separated origin lists', () => {
    expect(loadConfig({ DISCO_ALLOWED_ORIGINS: 'https://a.example, https://b.example' }).allowedOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('documents every setting in the generated configuration reference (npm run gen:docs)', async () => {
    const page = await readFile(new URL('../../docs/reference/config.md', import.meta.url), 'utf8');
    expect(page).toContain(configTable());
    for (const s of Object.values(SETTINGS)) expect(page, s.env).toContain(`\`${s.env}\``);
  });
});

describe('containers directory', () => {
  it('refuses one that contains the daemon home, where a workspace would hold the signing keys', () => {
    expect(() => loadConfig({ DISCO_HOME: '/srv/disco/state', DISCO_CONTAINERS_DIR: '/srv/disco' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ DISCO_HOME: '/srv/disco', DISCO_CONTAINERS_DIR: '/srv/disco' })).toThrow(ConfigError);
    expect(loadConfig({ DISCO_HOME: '/srv/disco', DISCO_CONTAINERS_DIR: '/srv/disco-containers' }).containersDir).toBe(
      '/srv/disco-containers',
    );
  });
});
