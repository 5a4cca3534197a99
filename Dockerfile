# intake service image. Node 20 reached end of life in April 2026; the image runs the current LTS.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production INTAKE_RULES=/app/rules INTAKE_DATA=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY rules ./rules
COPY fixtures/demo-mailbox ./fixtures/demo-mailbox
RUN groupadd --system intake && useradd --system --gid intake --home-dir /data intake \
  && mkdir -p /data && chown intake:intake /data
USER intake
VOLUME ["/data"]
# Garbage-collector settings for a two-process service on few cores: src/util/v8-flags.ts.
ENTRYPOINT ["node", "--single-threaded-gc", "--max-semi-space-size=4", "/app/dist/cli.js"]
CMD ["run"]
