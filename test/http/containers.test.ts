import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(() => t.stop());

describe('containers over REST', () => {
  it('creates from each template and answers 201 with the container', async () => {
    for (const template of ['blank', 'node', 'python']) {
      const r = await t.json('POST', '/api/v1/containers', { name: `tpl-${template}`, template });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        name: `tpl-${template}`,
        template,
        status: 'ready',
        runtime: 'sandbox',
        owner: 'admin',
      });
      expect(r.body).not.toHaveProperty('root');
    }
    const files = await t.json('GET', '/api/v1/containers/tpl-node/files');
    expect(files.body.entries.map((e: { path: string }) => e.path)).toContain('package.json');
  });

  it('lists the templates', async () => {
    const r = await t.json('GET', '/api/v1/templates');
    expect(r.body.templates.map((x: { name: string }) => x.name)).toEqual(['blank', 'node', 'python']);
  });

  it('lists, and gets by id and by name', async () => {
    const created = (await t.json('POST', '/api/v1/containers', { name: 'lookup' })).body;
    const list = await t.json('GET', '/api/v1/containers');
    expect(list.body.containers.map((c: { id: string }) => c.id)).toContain(created.id);
    expect((await t.json('GET', `/api/v1/containers/${created.id}`)).body.name).toBe('lookup');
    expect((await t.json('GET', '/api/v1/containers/lookup')).body.id).toBe(created.id);
  });

  it('answers 409 for a duplicate name and 400 for a bad one, creating nothing', async () => {
    await t.json('POST', '/api/v1/containers', { name: 'dup' });
    const before = (await t.json('GET', '/api/v1/containers')).body.containers.length;
    expect((await t.json('POST', '/api/v1/containers', { name: 'dup' })).body.error.code).toBe('conflict');
    for (const name of ['Bad Name', '../x', '', 'ctr_fake', 'a'.repeat(64)]) {
      const r = await t.json('POST', '/api/v1/containers', { name });
      expect(r.status, name).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    expect((await t.json('POST', '/api/v1/containers', { template: 'rust' })).status).toBe(400);
    expect((await t.json('GET', '/api/v1/containers')).body.containers.length).toBe(before);
  });

  it('answers 404 for an unknown container', async () => {
    for (const ref of ['ctr_doesnotexist', 'nobody']) {
      const r = await t.json('GET', `/api/v1/containers/${ref}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    expect((await t.json('DELETE', '/api/v1/containers/nobody')).status).toBe(404);
  });

  it('deletes: removes the directory and kills running processes', async () => {
    const c = (await t.json('POST', '/api/v1/containers', { name: 'doomed' })).body;
    const dir = path.join(t.home, 'containers', c.id);
    expect((await stat(dir)).isDirectory()).toBe(true);
    const running = t.json('POST', '/api/v1/terminal/execute', { container: c.id, command: ['sleep', '30'] });
    // Delete once the command runs (its sandbox may still be starting for a while on a loaded machine).
    await expect
      .poll(
        async () => (await t.json('GET', `/api/v1/terminal/processes?container=${c.id}`)).body.processes?.length ?? 0,
        { timeout: 20_000, interval: 50 },
      )
      .toBe(1);
    const del = await t.json('DELETE', `/api/v1/containers/${c.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: c.id, status: 'deleted' });
    const exec = await running;
    expect(exec.body).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await t.json('GET', `/api/v1/containers/${c.id}`)).status).toBe(404);
  });
});
