# syntax=docker/dockerfile:1
# The image of any of the five apps. Build context is the repo root; docker-compose.yml passes the arguments:
#   docker build -f docker/app.Dockerfile --build-arg APP=order-management --build-arg PORT=3001 .
#   docker build -f docker/app.Dockerfile --build-arg APP=gateway --build-arg PORT_VARIABLE=PORT --build-arg PORT=3000 .
# APP           the Nx project to bundle and run
# PORT_VARIABLE the variable the app reads the port of /health/* from: the gateway's PORT (its HTTP port), else
#               HEALTH_PORT (the default)
# PORT          that port: gateway 3000, order-management 3001, customer-service 3002, inventory-service 3003,
#               notification-service 3004
#
# The `build` stage is the same for every app up to the `nx run` line (and the same as docker/tools.Dockerfile
# up to `db:generate`), so BuildKit reuses those layers across all images.

# ---- build: full install (nx, esbuild, prisma are devDependencies), generate the Prisma client, bundle the app
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true NPM_CONFIG_UPDATE_NOTIFIER=false
# The whole context (minus .dockerignore) goes in before `npm ci`: npm needs every apps/*/package.json and
# libs/*/package.json to link the @orderline/* workspaces, and listing them one by one here would silently
# break when a lib is added. The cache mount keeps re-installs fast when sources change.
# --ignore-scripts: no install script is needed (esbuild/nx/swc find their platform packages without them);
# it skips @prisma/engines downloading native engines that this project never uses (Rust-free client).
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
# The Prisma client (libs/db/src/generated) is not committed: generate it before the build, which bundles it
# into the apps that own tables (the gateway's bundle holds none of it).
RUN npm run db:generate
ARG APP
RUN test -n "$APP" || { echo 'build with --build-arg APP=<gateway|order-management|customer-service|inventory-service|notification-service>' >&2; exit 1; }
RUN npx nx run ${APP}:build

# ---- deps: production node_modules only, from the ROOT package.json + package-lock.json
# The apps' own package.json files list only @orderline/* workspace libs, which esbuild bundles into main.js;
# the third-party packages the bundle require()s at run time (express, kafkajs, winston, zod, jsonwebtoken,
# @prisma/client, @prisma/adapter-pg, pg, ...) are the root "dependencies". --workspaces=false installs just
# those, with no workspace links, so no apps/*/ or libs/*/ manifests are needed here.
# --omit=optional also drops the lockfile's "devOptional" packages (prisma CLI, typescript, effect, ...:
# optional peers of @prisma/client that are dev-only here), about 120 MB. No production dependency relies on
# an optional platform binary today; drop --omit=optional if one ever does.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --workspaces=false --ignore-scripts --no-audit --no-fund

# ---- runtime
FROM node:24-bookworm-slim
WORKDIR /app
ARG APP
ARG PORT_VARIABLE=HEALTH_PORT
ARG PORT
ENV NODE_ENV=production HOST=0.0.0.0 ${PORT_VARIABLE}=${PORT}
# Files stay root-owned (read-only for the app user).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/apps/${APP}/dist ./apps/${APP}/dist
# One CMD for every app: main.js links to the app's bundle, which node runs from where it lies.
RUN ln -s apps/${APP}/dist/main.js main.js
USER node
# Also for a plain `docker run` (docker-compose.yml sets the same check with its own timing). The port comes from
# the environment, so the check follows an override of it; exec form, so no shell is needed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT??process.env.PORT)+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
EXPOSE ${PORT}
CMD ["node", "main.js"]
