# syntax=docker/dockerfile:1
# Same install steps as .ci/run: system packages for the native SQLite driver, then `npm ci` (which builds).

FROM node:22-bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git ca-certificates bubblewrap \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system disco && useradd --system --gid disco --home-dir /data --shell /usr/sbin/nologin disco \
 && mkdir -p /data && chown disco:disco /data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# No DISCO_PORT here: Railway and similar hosts set PORT, which the daemon binds when DISCO_PORT is unset.
ENV NODE_ENV=production \
    DISCO_HOME=/data \
    DISCO_HOST=0.0.0.0
VOLUME ["/data"]
USER disco
EXPOSE 7419
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||process.env.DISCO_PORT||7419)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/disco.js", "serve"]
