# Ordo: one static binary in a small, non-root image.
# Build:  docker build -t ordo .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/ordo/ordo/internal/app.version=${VERSION}" -o /out/ordo ./cmd/ordo

# Distroless: no pg_dump or pg_restore, which `ordo backup` and `ordo restore`
# need in production (PostgreSQL). Run those, and a worker with
# ORDO_BACKUP_NIGHTLY=true, from an image that adds postgresql-client of the
# server's major version; see "Backups" in README.md.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ordo /usr/local/bin/ordo
ENV PORT=3000 ORDO_DATA_DIR=/data
WORKDIR /data
USER nonroot:nonroot
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/ordo", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ordo"]
CMD ["serve"]
