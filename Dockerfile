# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migration ./migration
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin weave

# Run stage: a small Debian with the binary only.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/weave --create-home weave
COPY --from=build /src/target/release/weave /usr/local/bin/weave
USER weave
WORKDIR /var/lib/weave
ENV WEAVE_BIND=0.0.0.0:8080 WEAVE_DATA_DIR=/var/lib/weave
EXPOSE 8080
ENTRYPOINT ["weave"]
CMD ["serve"]
