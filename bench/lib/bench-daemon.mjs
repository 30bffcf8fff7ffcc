// An in-process daemon for the RAG benchmarks (built code from dist/), so RSS can be sampled in-process.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../dist/daemon/config.js';
import { startDaemon } from '../../dist/daemon/main.js';

export async function benchDaemon(env = {}) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-rag-'));
  const token = `bench-${Math.random().toString(36).slice(2)}-token-padding`;
  const daemon = await startDaemon(
    loadConfig({
      DISCO_HOME: home,
      DISCO_PORT: '0',
      DISCO_LOG_LEVEL: 'silent',
      DISCO_ADMIN_TOKEN: token,
      DISCO_POOL_SIZE: '0',
      ...env,
    }),
  );
  const send = (method, p, body) =>
    fetch(`${daemon.url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const call = async (method, p, body) => {
    // A kept-alive socket the server closed while a long index pass ran resets the next request before
    // the server reads it: sent again once on a fresh connection.
    const res = await send(method, p, body).catch((err) => {
      if (err?.cause?.code !== 'ECONNRESET') throw err;
      return send(method, p, body);
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const container = async (name) => {
    const c = await call('POST', '/containers', { name });
    return { ...c, root: path.join(home, 'containers', c.id) };
  };
  /**
   * Indexes a container and returns its status once the pass is over and the index ready. A wait the
   * server cut short (its request timeout, under a heavy machine) is not taken for the end of the pass:
   * searching a half-built index would measure less than it should.
   */
  const index = async (containerId) => {
    let status = await call('POST', '/rag/index', { container: containerId, wait: true });
    while (status.state === 'indexing') {
      await new Promise((r) => setTimeout(r, 500));
      status = await call('POST', '/rag/index', { container: containerId, action: 'status' });
    }
    if (status.state !== 'ready') throw new Error(`index of ${containerId} ended ${status.state}: ${status.error}`);
    return status;
  };
  return {
    daemon,
    call,
    container,
    index,
    stop: async () => {
      await daemon.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
