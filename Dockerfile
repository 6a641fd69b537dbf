# Ordo: one static binary.
#   docker build -t ordo .                          the default (last) target, `runtime`
#   docker build --target backup -t ordo-backup .   with pg_dump and pg_restore
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/ordo/ordo/internal/app.version=${VERSION}" -o /out/ordo ./cmd/ordo

# Noto Sans CJK, for Chinese, Japanese and Korean text in invoices and PDF
# exports: 19 MB, too large to embed in the binary like the other scripts'
# fonts (internal/typeset). Only the regular collection is copied.
FROM debian:bookworm-slim AS fonts
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*

# `backup`: the same binary on the PostgreSQL image whose major version the
# server runs (keep it in step with the postgres service in
# docker-compose.yml), for `ordo backup`, `ordo restore` and a worker with
# ORDO_BACKUP_NIGHTLY=true, which need pg_dump and pg_restore of the
# server's major version or newer. Non-root, as the runtime image.
FROM postgres:16.11-alpine AS backup
COPY --from=build /out/ordo /usr/local/bin/ordo
COPY --from=fonts /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/ordo/fonts/
RUN mkdir -p /data && chown postgres:postgres /data
ENV PORT=3000 ORDO_DATA_DIR=/data ORDO_FONT_DIR=/usr/share/ordo/fonts
WORKDIR /data
USER postgres
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/ordo"]
CMD ["worker"]

# `runtime` (the default): distroless, non-root, only the ordo binary; no
# pg_dump, so `ordo backup` on PostgreSQL runs from the `backup` target.
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/ordo /usr/local/bin/ordo
COPY --from=fonts /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/ordo/fonts/
ENV PORT=3000 ORDO_DATA_DIR=/data ORDO_FONT_DIR=/usr/share/ordo/fonts
WORKDIR /data
USER nonroot:nonroot
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/ordo", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ordo"]
CMD ["serve"]
