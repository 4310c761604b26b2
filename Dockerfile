# The hakube worker image: Node 20 on Debian bookworm (glibc, which the Temporal core bridge's
# prebuilt binary needs), production dependencies only. The CLI runs from the bundle built
# below (scripts/build-cli.js); the worker bundles the workflow code from src/ at start, as in dev.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HAKUBE_HOME=/var/lib/hakube
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY scripts/build-cli.js ./scripts/
COPY bin ./bin
COPY src ./src
RUN node scripts/build-cli.js
RUN mkdir -p /var/lib/hakube && chown node:node /var/lib/hakube
USER node
# SIGTERM from `docker stop` drains the worker (activities get the grace period to finish).
CMD ["node", "bin/hakube.js", "worker"]
