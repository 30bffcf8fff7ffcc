import express from 'express';
import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../src/daemon/http/route-table.js';

const table = new RouteTable<string>();
table.add('GET', '/containers', 'list');
table.add('POST', '/containers', 'create');
table.add('GET', '/containers/:id', 'get');
table.add('GET', '/containers/:container/files/content', 'read');
table.add('PUT', '/containers/:container/files/content', 'write');
table.add('GET', '/containers/:container/files', 'files');
table.add('GET', '/containers/:id/files', 'shadowed');

describe('RouteTable', () => {
  it('matches by method and path, with the parameters', () => {
    expect(table.match('GET', '/containers')).toEqual({ value: 'list', params: {} });
    expect(table.match('POST', '/containers')).toEqual({ value: 'create', params: {} });
    expect(table.match('GET', '/containers/ctr_1/files/content')).toEqual({
      value: 'read',
      params: { container: 'ctr_1' },
    });
    expect(table.match('PUT', '/containers/c/files/content')?.value).toBe('write');
    expect(table.match('DELETE', '/containers')).toBeUndefined();
    expect(table.match('GET', '/containers/a/b')).toBeUndefined();
    expect(table.match('GET', '/nothing')).toBeUndefined();
  });

  it('follows express: case-insensitive literals, one optional trailing slash, first route wins, HEAD as GET', () => {
    expect(table.match('GET', '/Containers/x/FILES')?.value).toBe('files');
    expect(table.match('GET', '/containers/')?.value).toBe('list');
    expect(table.match('GET', '/containers//')).toBeUndefined();
    expect(table.match('GET', '/containers//files')).toBeUndefined();
    expect(table.match('HEAD', '/containers/x')?.value).toBe('get');
    expect(table.methodsAt('/containers')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.methodsAt('/nowhere')).toEqual([]);
  });

  it('decodes parameters, and refuses a malformed escape as a client error', () => {
    expect(table.match('GET', '/containers/a%20b')?.params).toEqual({ id: 'a b' });
    expect(table.match('GET', '/containers/a%2Fb')?.params).toEqual({ id: 'a/b' });
    expect(() => table.match('GET', '/containers/%E0%A4%A')).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });

  it("agrees with express's router on every path it is asked", async () => {
    const paths = [
      '/containers',
      '/containers/',
      '/CONTAINERS/a',
      '/containers/a/files',
      '/containers/a/files/content/',
    ];
    const router = express.Router();
    const seen: string[] = [];
    for (const [m, p, v] of [
      ['get', '/containers', 'list'],
      ['get', '/containers/:id', 'get'],
      ['get', '/containers/:container/files/content', 'read'],
      ['get', '/containers/:container/files', 'files'],
    ] as const)
      router[m](p, (req, _res, next) => {
        seen.push(`${v} ${JSON.stringify(req.params)}`);
        next('router');
      });
    for (const p of paths) {
      await new Promise<void>((resolve) =>
        router({ method: 'GET', url: p } as never, { setHeader() {}, end() {} } as never, () => resolve()),
      );
      const m = table.match('GET', p);
      expect(seen.pop()).toBe(`${m?.value} ${JSON.stringify(m?.params)}`);
    }
  });
});
