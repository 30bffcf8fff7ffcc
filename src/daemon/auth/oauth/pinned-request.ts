import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { ResolvedAddress } from '../../net/address-policy.js';

export interface PinnedResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

export class PinnedRequestError extends Error {}

/**
 * GETs `url` from exactly `target`, an address already vetted. Security: the socket goes to that IP (a
 * lookup that can only return it, never DNS again), while the Host header and TLS server name (and so the
 * certificate check) stay the URL's name. No redirects are followed; the body is capped and the whole
 * exchange has one deadline.
 */
export function pinnedGet(
  url: URL,
  target: ResolvedAddress,
  opts: { timeoutMs: number; maxBytes: number; headers?: Record<string, string> },
): Promise<PinnedResponse> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const lookup: LookupFunction = (_name, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: target.address,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { ...opts.headers, host: url.host },
      lookup,
      agent: false,
      // SNI carries names only; for an IP literal the certificate is checked against the IP.
      ...(url.protocol === 'https:' && isIP(hostname) === 0 ? { servername: hostname } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    req.on('error', (err) => reject(new PinnedRequestError(err.message)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > opts.maxBytes) {
          reject(new PinnedRequestError(`the response is over ${opts.maxBytes} bytes`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', (err) => reject(new PinnedRequestError(err.message)));
    });
    req.end();
  });
}
