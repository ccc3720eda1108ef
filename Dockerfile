# Slipway's own image. Run it with the Docker socket mounted and host networking (HAProxy binds
# the apps' port on the host and reaches containers on their bridge networks):
#   docker run -d --network host -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /var/lib/slipway:/var/lib/slipway slipway
# The registry and Redis run beside it (`npm run up` starts them on the host).
FROM node:18-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git haproxy ca-certificates python3 make g++ curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/slipway
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY buildpacks ./buildpacks
COPY templates ./templates
COPY schemas ./schemas
COPY bin ./bin
RUN npx tsc -p tsconfig.json && npm prune --omit=dev
ENV SLIPWAY_DATA=/var/lib/slipway
EXPOSE 7100
ENTRYPOINT ["node", "/opt/slipway/dist/cli/main.js"]
CMD ["server"]
