// `krazy-tui exporter [DEVICE...] [--listen ADDR:PORT]`: polls devices with the fleet store and serves /metrics for Prometheus.
import http from 'node:http';
import net from 'node:net';
import {DeviceClient} from '../core/device-client.js';
import {createFleetStore} from '../core/fleet-store.js';
import {parseCommandArgs, UsageError, type Command} from './command-io.js';
import {deviceFlags, reportProblems, resolveFleet, writeLine} from './device-options.js';

/** Not in Prometheus's list of default port allocations at the time of writing; any free port will do. */
export const defaultExporterPort = 9827;

const help = `Usage: krazy-tui exporter [DEVICE...] [--listen ADDR:PORT] [--interval SECONDS] [--json]
                          [--password-file FILE] [--timeout SECONDS]

Polls each device (all known devices when none is given) every --interval seconds (default 15) and serves
the fleet as Prometheus metrics on http://ADDR:PORT/metrics (default 127.0.0.1:${defaultExporterPort}; port 0 picks a
free one). A device that does not answer is gokrazy_device_up 0, never a failed scrape. Runs until Ctrl-C.
Prints one line saying where it listens (a JSON object with --json). See the README for a scrape config
and the alert rules in prometheus/.`;

/** `ADDR:PORT`, `[V6ADDR]:PORT` or `:PORT` (all addresses) into what net.Server.listen takes. */
export function parseListen(text: string): {host: string; port: number} {
	const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
	const port = match ? Number(match[3]) : Number.NaN;
	const host = match ? (match[1] ?? match[2] ?? '') : '';
	if (!match || port > 65_535 || (match[1] !== undefined && !net.isIPv6(host))) {
		throw new UsageError(`exporter: --listen wants ADDR:PORT (127.0.0.1:${defaultExporterPort}, [::1]:${defaultExporterPort}, :${defaultExporterPort}), not ${JSON.stringify(text)}`);
	}

	return {host: host === '' ? '::' : host, port};
}

function positiveSeconds(text: string | undefined): number | undefined {
	if (text === undefined) {
		return undefined;
	}

	const value = Number(text);
	if (!Number.isFinite(value) || value < 0.1) {
		throw new UsageError(`exporter: --interval wants a number of seconds of at least 0.1, not ${JSON.stringify(text)}`);
	}

	return value;
}

export const exporterCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('exporter', args, {
		...deviceFlags,
		listen: {type: 'string'},
		interval: {type: 'string'},
		json: {type: 'boolean'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const listen = parseListen(values.listen ?? `127.0.0.1:${defaultExporterPort}`);
	const intervalMs = Math.round((positiveSeconds(values.interval) ?? 15) * 1000);
	const {targets, problems, timeoutMs: timeout} = await resolveFleet('exporter', positionals, values, io);
	reportProblems(io, problems);

	const {exporterMetrics} = await import('../core/prometheus/exporter-metrics.js');
	const store = createFleetStore({
		targets,
		pollIntervalMs: intervalMs,
		// The rings only feed the dashboard's graphs; Prometheus keeps the history here.
		historyMs: intervalMs * 2,
		// Prometheus scrapes node exporters itself; the exporter adds what only gokrazy knows.
		nodeExporter: null,
		clientFactory: target => new DeviceClient(target, {timeoutMs: timeout}),
	});
	const metrics = exporterMetrics(store);
	const server = http.createServer((request, response) => {
		request.resume();
		const path = (request.url ?? '/').split('?', 1)[0];
		if (request.method !== 'GET' && request.method !== 'HEAD') {
			response.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8'}).end('method not allowed\n');
			return;
		}

		if (path === '/metrics') {
			metrics.render().then(
				({body, contentType}) => {
					response.writeHead(200, {'content-type': contentType}).end(request.method === 'HEAD' ? undefined : body);
				},
				(error: unknown) => {
					response.writeHead(500, {'content-type': 'text/plain; charset=utf-8'}).end(`cannot render metrics: ${(error as Error).message}\n`);
				},
			);
			return;
		}

		if (path === '/') {
			response.writeHead(200, {'content-type': 'text/html; charset=utf-8'})
				.end(`<!DOCTYPE html><title>krazy-tui exporter</title><p>krazy-tui exporter for ${targets.length} gokrazy device(s): <a href="/metrics">/metrics</a></p>\n`);
			return;
		}

		response.writeHead(404, {'content-type': 'text/plain; charset=utf-8'}).end('not found\n');
	});
	server.keepAliveTimeout = 65_000;

	try {
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(listen.port, listen.host, () => {
				server.removeListener('error', reject);
				resolve();
			});
		});
	} catch (error) {
		metrics.close();
		io.stderr.write(`exporter: cannot listen on ${values.listen ?? `127.0.0.1:${defaultExporterPort}`}: ${(error as Error).message}\n`);
		return 1;
	}

	store.start();
	const address = server.address() as net.AddressInfo;
	const shownHost = net.isIPv6(address.address) ? `[${address.address}]` : address.address;
	const url = `http://${shownHost}:${address.port}/metrics`;
	writeLine(io.stdout, values.json
		? JSON.stringify({url, host: address.address, port: address.port, devices: targets.map(target => target.name), intervalSeconds: intervalMs / 1000})
		: `krazy-tui exporter: serving ${targets.length} device(s) on ${url}, polling every ${intervalMs / 1000} s`);

	if (!io.signal.aborted) {
		await new Promise(resolve => {
			io.signal.addEventListener('abort', resolve, {once: true});
		});
	}

	store.stop();
	metrics.close();
	await new Promise(resolve => {
		server.close(resolve);
		server.closeAllConnections();
	});
	return 0;
};
