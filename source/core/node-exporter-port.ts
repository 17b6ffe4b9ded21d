// The Prometheus node exporter's default port, on its own: the gok config reader needs the number without the scraper
// (node:http, node:https and the HTTP transport cost ~13 ms of every command's start).
/** The port gokrazy's documented `github.com/prometheus/node_exporter` package listens on. */
export const nodeExporterPort = 9100;
