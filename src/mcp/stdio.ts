import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { pino } from 'pino';
import type { Config } from '../daemon/config.js';
import { openCore } from '../daemon/core.js';
import { createLogger } from '../daemon/log.js';
import { buildMcpServer } from './server.js';

/**
 * `disco mcp`: the same tools over stdio, run in-process on $DISCO_HOME as the local admin (whoever can
 * start this process already owns that directory). stdout carries the protocol, so logs go to stderr.
 * Resolves when the client closes stdin or a signal arrives.
 */
export async function serveStdio(config: Config, io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }) {
  const log = createLogger(config.logLevel, pino.destination({ fd: 2, sync: true }));
  // Over its pipe the caller is the local admin: no bearer token is read, generated or registered here.
  const core = await openCore(config, log, { bootstrapToken: false });
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const baseUrl = config.publicUrl ?? `http://${host}:${config.port}`;
  const server = buildMcpServer(core.ops, {
    services: core.services,
    log,
    principalOf: () => core.admin,
    baseUrlOf: () => baseUrl,
  });
  const transport = new StdioServerTransport(io.stdin as NodeJS.ReadStream, io.stdout as NodeJS.WriteStream);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    io.stdin.once('end', resolve);
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.connect(transport);
  log.debug({ home: config.home }, 'mcp stdio ready');
  await closed;
  await server.close().catch(() => {});
  await core.close();
}
