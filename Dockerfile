# Build and run Alumnet in a container (see docker-compose.yml).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go tool templ generate -path templates && CGO_ENABLED=0 go build -o /alumnet ./cmd/alumnet

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata wget && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 alumnet
COPY --from=build /alumnet /usr/local/bin/alumnet
USER alumnet
ENV ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["alumnet"]
CMD ["serve"]
