/**
 * The environment that sends a sandboxed process's traffic to the in-sandbox proxy port (one port speaks
 * HTTP proxy and SOCKS5). curl, git, pip, npm, yarn, Python requests, Go and Node ≥ 24
 * (NODE_USE_ENV_PROXY) read these; `socks5h` makes SOCKS clients send names, not addresses, so names
 * resolve in the daemon's proxy (there is no resolver inside the sandbox).
 */
export function egressEnv(port: number): Record<string, string> {
  const http = `http://127.0.0.1:${port}`;
  const socks = `socks5h://127.0.0.1:${port}`;
  const noProxy = 'localhost,127.0.0.1,::1';
  return {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    http_proxy: http,
    https_proxy: http,
    ALL_PROXY: socks,
    all_proxy: socks,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    npm_config_proxy: http,
    npm_config_https_proxy: http,
    npm_config_noproxy: noProxy,
    YARN_HTTP_PROXY: http, // yarn berry
    YARN_HTTPS_PROXY: http,
    PIP_PROXY: http,
    NODE_USE_ENV_PROXY: '1',
  };
}
