# syntax=docker/dockerfile:1
# Tools image for one-shot jobs that need devDependencies: database migrations (prisma CLI +
# prisma-migrate-adapter, see prisma.config.ts) and the idempotent seed (tsx prisma/seed.ts, which imports
# the @orderline/db workspace lib and its generated Prisma client from source).
# Used by the `migrate` service in docker-compose.yml; build context is the repo root:
#   docker build -f docker/tools.Dockerfile -t orderline-tools .
#   docker run --rm -e DATABASE_URL=postgresql://... orderline-tools
#
# Same first steps as the `build` stage of docker/app.Dockerfile (see the comments there), so the layers are shared.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true CI=true NPM_CONFIG_UPDATE_NOTIFIER=false
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
RUN npm run db:generate
# Migrations and seed only read the tree: run them unprivileged. COPY keeps the modes files have in the
# working tree, and some may be 0600 (scripts/db/new-migration.sh creates migration.sql with mktemp), so make
# the sources world-readable first (node_modules and the generated client already are).
RUN find . -path ./node_modules -prune -o -exec chmod a+rX {} +
USER node
# DATABASE_URL must be provided at run time (prisma.config.ts falls back to 127.0.0.1, wrong in a container).
CMD ["sh", "-c", "npm run db:migrate && npm run db:seed"]
