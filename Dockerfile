# syntax=docker/dockerfile:1
#
# Image of the kyuubi-pod-lifecycle worker (and its CLI).
#
#   docker build -t kyuubi-pod-lifecycle:dev .
#   docker run --rm kyuubi-pod-lifecycle:dev --help
#
# Debian (glibc), not Alpine (musl): the Temporal worker's native bridge,
# @temporalio/core-bridge, ships prebuilt binaries only for *-unknown-linux-gnu
# (see its common.js), so on musl `require('@temporalio/core-bridge')` fails and
# the worker cannot start. The same base image is used for both stages so that
# the native modules npm picks at build time (core-bridge's release directory,
# @swc/core's optional -gnu package) match the runtime's libc and architecture.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# Dependencies first, in their own layer, so a source change does not reinstall
# them. --ignore-scripts: plain `npm ci` would run our `prepare` script (tsc)
# before the sources are copied; dependency install scripts are not needed either
# (package.json's allowScripts marks them off: core-bridge's binaries are inside
# its package, @swc/core's come from its optional per-platform package).
# devDependencies (typescript) are needed here to build.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN npm run build

# Keep only runtime dependencies, then drop the core-bridge binaries built for
# other platforms (darwin, windows, the other Linux arch: ~100 MB). The target
# name comes from core-bridge itself, and getPrebuiltPath() fails the build if
# this platform has no prebuilt binary.
RUN npm prune --omit=dev --ignore-scripts \
 && node -e ' \
      const fs = require("fs"), path = require("path"); \
      const bridge = require("@temporalio/core-bridge/common"); \
      const keep = bridge.getPrebuiltTargetName(); \
      bridge.getPrebuiltPath(); \
      const dir = path.join(path.dirname(require.resolve("@temporalio/core-bridge/package.json")), "releases"); \
      for (const d of fs.readdirSync(dir)) if (d !== keep) fs.rmSync(path.join(dir, d), { recursive: true, force: true }); \
      console.log("core-bridge: kept " + keep);'

# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and not writable by the process: the worker needs no writable
# file (the workflow bundle is built in memory), so it also runs with a
# read-only root filesystem (see deploy/deployment.yaml).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can
# verify it. Its home /home/node is where docker-compose.yml mounts a kubeconfig.
USER 1000:1000

# Prometheus metrics (KPL_METRICS_PORT, default 9464), also used by the probes.
EXPOSE 9464

# node is PID 1: SIGTERM goes straight to it, and the worker shuts down
# gracefully within KPL_SHUTDOWN_GRACE (default 30s); give it longer than that
# (docker stop -t / compose stop_grace_period / terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["worker"]
