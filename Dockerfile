# syntax=docker/dockerfile:1.7
# wabot: multi-stage build. The builder compiles the release binary (the
# migrations are compiled in); the runtime image is Debian slim with CA
# certificates, the binary and a non-root user, nothing else.

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --no-default-features --bin wabot \
    && cp target/release/wabot /usr/local/bin/wabot

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 wabot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/wabot --create-home wabot \
    && install -d -o wabot -g wabot /var/lib/wabot/media /var/lib/wabot/secrets
COPY --from=builder /usr/local/bin/wabot /usr/local/bin/wabot
USER 10001:10001
WORKDIR /var/lib/wabot
# Listen on every interface inside the container; the embedded default
# database and media folder live in the working directory (mount a volume
# there, or point WABOT_DATABASE__URL at PostgreSQL).
ENV WABOT_SERVER__LISTEN=0.0.0.0:4000 \
    WABOT_LOG__FORMAT=json
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["wabot", "healthcheck"]
ENTRYPOINT ["wabot"]
CMD ["serve"]
