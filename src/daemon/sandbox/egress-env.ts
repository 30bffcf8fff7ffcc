/**
 * The loopback port a container's supervisor listens on in `egress` mode, bridged to the daemon's proxy.
 * Fixed so tools configured once keep working; commands of the container cannot take it (it is bound first).
 */
export const EGRESS_PORT = 41080;

/**
 * The proxy environment of commands in `egress` mode. A stand-in until the egress proxy (src/daemon/egress)
 * provides its own `egressEnv`: the proxy speaks HTTP CONNECT, plain HTTP and SOCKS5 on the same port.
 */
export function egressEnv(port: number): Record<string, string> {
  const http = `http://127.0.0.1:${port}`;
  const noProxy = 'localhost,127.0.0.1,::1';
  return {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    ALL_PROXY: `socks5h://127.0.0.1:${port}`,
    NO_PROXY: noProxy,
    http_proxy: http,
    https_proxy: http,
    all_proxy: `socks5h://127.0.0.1:${port}`,
    no_proxy: noProxy,
  };
}
