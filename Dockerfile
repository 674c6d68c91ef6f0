# booty as a container image: a static binary on distroless, run as non-root, with the
# SQLite store on a volume.
#
#   docker build -t booty .
#   docker run -d -p 127.0.0.1:8000:8000 -v booty-data:/data \
#     -e SENTRY_WEBHOOK_SECRET=… -e GITHUB_TOKEN=… -e TARGET_REPO_URL=acme/shop booty
#
# .ci/run builds the binary with the same command, so a build that breaks here breaks CI.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/booty ./cmd/booty \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/booty /booty
# The store's directory must exist (booty refuses to create it); owned by nonroot (65532).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
ENV BOOTY_DATABASE_URL=sqlite:/data/booty.db \
	BOOTY_LISTEN=0.0.0.0:8000 \
	BOOTY_LOG_FORMAT=json
EXPOSE 8000
# distroless has no shell or curl: booty asks its own /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/booty", "health"]
ENTRYPOINT ["/booty"]
CMD ["serve"]
