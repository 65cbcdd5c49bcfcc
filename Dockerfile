# One image for the Gluon scheduler, its workers and client scripts: gluon-scheduler,
# gluon-worker, gluon-cluster, gluon-h4l and gluon-finalstates on PATH, installed from the
# packages' own tarballs (what `npm pack` makes, what a user installs). From the repository root:
#   docker build -t gluon:0.1.0 .        (podman build -t gluon:0.1.0 . works the same)
# compose.yaml and k8s/ run it; docs/deploy-containers.md says how and what was tested here.
ARG NODE_IMAGE=node:22-bookworm-slim

# Stage 1: build every package and pack the public ones.
FROM ${NODE_IMAGE} AS pack
WORKDIR /src
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.base.json LICENSE ./
COPY packages ./packages
COPY examples ./examples
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b && mkdir /packs && npm pack --pack-destination /packs \
      -w @gluon/protocol -w @gluon/rootio -w @gluon/scheduler -w @gluon/worker -w @gluon/client \
      -w @gluon/deploy -w @gluon/analysis-h4l -w @gluon/analysis-finalstates

# Stage 2: only the tarballs, installed as a user would (no sources, no dev dependencies).
FROM ${NODE_IMAGE}
WORKDIR /opt/gluon
COPY --from=pack /packs /tmp/packs
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund /tmp/packs/*.tgz && rm -rf /tmp/packs /root/.npm
# Workers run from here: the installed analyses declare their task modules (gluon.tasks).
ENV PATH=/opt/gluon/node_modules/.bin:$PATH
USER node
# 8786: scheduler (clients, workers); 8787: dashboard.
EXPOSE 8786 8787
CMD ["gluon-scheduler", "--host", "0.0.0.0", "--port", "8786", "--dashboard-port", "8787"]
