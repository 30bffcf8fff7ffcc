# syntax=docker/dockerfile:1
# Same install steps as .ci/run: system packages for the native SQLite driver, then `npm ci` (which builds).

FROM node:20-bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# The browser sources of the MCP Apps views and the workbench page, and the build scripts (spawner, views,
# workbench, the CLI and daemon bundle in dist/bundle/).
COPY views ./views
COPY workbench ./workbench
COPY scripts ./scripts
# `npm ci` runs `prepare` (tsc → dist/, then the bundles), then dev dependencies are dropped.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# git: the git ops run the real binary. bubblewrap: the sandbox (used when the host allows user
# namespaces, else commands run unsandboxed and /health says so). util-linux: prlimit and setpriv.
# tini: PID 1 that forwards SIGTERM and reaps orphans a container command may leave.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      git ca-certificates bubblewrap util-linux tini procps \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 disco \
 && useradd --system --uid 10001 --gid disco --home-dir /data --shell /usr/sbin/nologin disco \
 && mkdir -p /data && chown disco:disco /data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY assets ./assets
COPY deploy/docker-entrypoint.sh /usr/local/bin/disco-entrypoint
COPY Procfile ./Procfile
RUN ln -s /app/bin/disco.js /usr/local/bin/disco && chmod +x /app/bin/disco.js /usr/local/bin/disco-entrypoint
# No DISCO_PORT or DISCO_HOST here: Railway and similar hosts set PORT, and the daemon then binds 0.0.0.0:$PORT.
# Without PORT it binds 127.0.0.1:7419, so `docker run -e PORT=7419 -p 7419:7419` is the way to reach it.
ENV NODE_ENV=production \
    DISCO_HOME=/data \
    HOME=/data
VOLUME ["/data"]
EXPOSE 7419
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||process.env.DISCO_PORT||7419)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Starts as root only to fix the volume's owner, then runs as `disco` (uid 10001).
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/disco-entrypoint"]
CMD ["disco", "serve"]
