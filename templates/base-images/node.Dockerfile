# node:18-slim stand-in: Debian bookworm's nodejs (18.x) and npm, no Docker Hub needed.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
CMD ["node"]
