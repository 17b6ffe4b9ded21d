// A gokrazy device that answers badly on purpose (huge, endless, slow, silent, escape-laden, redirecting), for tests and bench/hostile.ts.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {renderOverview, type PageService} from '../../source/demo/gokrazy-pages.js';
import {makeSelfSigned} from './self-signed.js';

/** Every way this device misbehaves; 'normal' is a small well-behaved device to compare with. */
export const hostileBehaviours = [
	'normal',
	// Sizes and shapes that made parsers slow.
	'quadratic-html', // the HTML overview is `title="a` repeated (1.2 MB by default): quadratic for a backtracking regex
	'quadratic-rows', // the HTML overview is service links without a last-log cell, repeated
	'huge-overview', // a real-looking overview (JSON and HTML) just under the 32 MiB cap: many services, long last lines
	'oversize-overview', // a JSON overview bigger than the cap
	'deep-json', // a JSON overview with a field nested 100 000 deep
	// Logs.
	'long-lines', // /log sends 512 KiB lines, endlessly
	'endless-event', // /log sends `data:` lines forever, never the blank line that ends an event
	'endless-line', // /log sends one line that never ends
	'log-500-endless', // /log answers 500 with a body that never ends
	'log-chatty-crlf', // /log lines ending \r\n with escapes, bidi and C1 controls in them
	// Error bodies and device strings.
	'escape-error', // every answer is a 500 whose 5 MB body is escapes, OSC 52, \r, bidi and C1 controls
	'escape-strings', // the overview's names and paths carry escapes, bidi overrides and C1 controls
	'error-endless', // every answer is a 500 whose body never ends
	// Timing.
	'slow-loris', // headers, then one body byte every 200 ms, forever
	'slow-headers', // one header byte every 200 ms, forever
	'silent', // accepts connections, never says anything
	'restart-silent', // answers /status, never answers POST /restart
	// Protocol.
	'https-redirect', // the HTTP port redirects everything to an HTTPS port (the device behind it is normal)
	'header-flood', // header lines forever
	'bad-chunked', // a chunked body with a broken chunk size
	'reset-mid-body', // the connection is reset halfway through the overview
] as const;

export type HostileBehaviour = typeof hostileBehaviours[number];

export type HostileDeviceOptions = {
	/** Bytes of the generated page for quadratic-html / quadratic-rows / huge-overview (defaults: 1.2 MB, 1.2 MB, 31 MiB). */
	size?: number;
};

export type HostileDevice = {
	behaviour: HostileBehaviour;
	/** Base URL with the password: http://gokrazy:hostile@127.0.0.1:PORT */
	url: string;
	/** Base URL without credentials. */
	baseUrl: string;
	password: string;
	/** For https-redirect: the PEM to pin. */
	certificate?: string;
	/** The one service it has. */
	service: string;
	/** Requests seen, "METHOD /path". */
	requests: string[];
	/** Connections accepted so far (the silent device sees no requests, only these). */
	connections(): number;
	close(): Promise<void>;
};

export const hostilePassword = 'hostile';

/** Every nasty thing a terminal might obey: clear screen, cursor home, OSC 52 clipboard write, title, CR, bidi, C1 CSI/OSC, DCS. */
export const nastyText = '\u001b[2J\u001b[H\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]0;pwned\u0007over\rwritten \u202Egnp.exe\u202C \u2066iso\u2069 \u009b31mred\u009b0m \u009d0;c1title\u009c \u001bPdcs\u001b\\ \u0085nel end';

const mib = 1024 * 1024;
const service = '/user/spew';

function overviewJson(paths: string[], hostname: string, model: string, lastLineBytes = 0): string {
	return JSON.stringify({
		Services: paths.map((path, index) => ({
			Path: path, Stopped: false, StartTime: '2026-01-01T00:00:00Z', Pid: 100 + index, Args: [path, 'x'.repeat(lastLineBytes)], Diverted: '',
		})),
		Hostname: hostname, Model: model, Kernel: 'Linux 6.1 (hostile)', BuildTimestamp: '2026-01-01T00:00:00Z', SBOMHash: 'beef',
		Meminfo: {MemTotal: 1024 * mib, MemAvailable: 512 * mib}, PermDev: '/dev/sda4', PermUsed: 0, PermAvail: 1, PermTotal: 1,
		PrivateAddrs: ['127.0.0.1'], PublicAddrs: [], MountDevices: [], EEPROM: null, PermUUID: '',
	});
}

function overviewHtml(paths: string[], hostname: string, lastLine: string): string {
	const services: PageService[] = paths.map(path => ({path, stopped: false, startTime: 0n, lastStdout: lastLine, lastStderr: lastLine, rss: 2 * mib}));
	return renderOverview({
		hostname, kernel: 'Linux 6.1 (hostile)', model: 'hostile', buildTimestamp: '2026-01-01T00:00:00Z', sbomHash: 'beef', utcOffsetMinutes: 0,
		services, initRss: 10 * mib, meminfo: {MemTotal: 1024 * mib, MemAvailable: 512 * mib}, permDev: '/dev/sda4',
		perm: {used: 0, avail: 1, total: 1}, mounts: [], privateAddrs: ['127.0.0.1'], publicAddrs: [], now: 1n,
	});
}

/** A real-looking HTML overview of about `size` bytes: 2000 services with long last lines. */
export function hostileOverviewHtml(size: number): string {
	const count = 2000;
	const paths = Array.from({length: count}, (_, index) => `/user/service-${index}`);
	return overviewHtml(paths, 'hostile', 'y'.repeat(Math.max(1, Math.floor(size / count / 2) - 400)));
}

/** `piece` repeated to about `size` bytes. */
function repeatTo(piece: string, size: number): string {
	return piece.repeat(Math.max(1, Math.ceil(size / piece.length)));
}

/** Writes `next()` until the client goes away, waiting for drain so the server itself stays small. */
async function writeForever(response: http.ServerResponse | net.Socket, next: () => string | Buffer, everyMs = 0): Promise<void> {
	const socket = 'socket' in response && response.socket ? response.socket : (response as net.Socket);
	let wake: (() => void) | undefined;
	const closed = () => wake?.();
	socket.once('close', closed);
	while (!socket.destroyed && !response.destroyed) {
		if (!response.write(next())) {
			await new Promise<void>(resolve => {
				wake = resolve;
				response.once('drain', resolve);
			});
			response.removeAllListeners('drain');
		}

		if (everyMs > 0) {
			await new Promise(resolve => setTimeout(resolve, everyMs));
		}
	}
}

type Built = {
	overviewJson: () => string;
	overviewHtml: () => string;
};

function build(behaviour: HostileBehaviour, options: HostileDeviceOptions): Built {
	switch (behaviour) {
		case 'quadratic-html': {
			const body = '<html><title>gokrazy</title>' + repeatTo('title="a', options.size ?? 1.2e6);
			return {overviewJson: () => overviewJson([service], 'hostile', 'hostile'), overviewHtml: () => body};
		}

		case 'quadratic-rows': {
			const body = '<html><title>gokrazy</title>' + repeatTo('<a href="/status?path=x">x</a>', options.size ?? 1.2e6);
			return {overviewJson: () => overviewJson([service], 'hostile', 'hostile'), overviewHtml: () => body};
		}

		case 'huge-overview': {
			// Many services with long args (JSON) and long last lines (HTML), close to the cap.
			const size = options.size ?? 31 * mib;
			const count = 2000;
			const paths = Array.from({length: count}, (_, index) => `/user/service-${index}`);
			const json = overviewJson(paths, 'hostile', 'hostile', Math.floor(size / count) - 200);
			const html = hostileOverviewHtml(size);
			return {overviewJson: () => json, overviewHtml: () => html};
		}

		case 'oversize-overview': {
			const json = overviewJson([service], 'hostile', 'x'.repeat(40 * mib));
			return {overviewJson: () => json, overviewHtml: () => overviewHtml([service], 'hostile', 'ok')};
		}

		case 'deep-json': {
			const json = overviewJson([service], 'hostile', 'hostile').replace('"EEPROM":null', `"EEPROM":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
			return {overviewJson: () => json, overviewHtml: () => overviewHtml([service], 'hostile', 'ok')};
		}

		case 'escape-strings': {
			return {
				overviewJson: () => overviewJson([`${service}${nastyText}`, service], `host${nastyText}`, `model${nastyText}`),
				overviewHtml: () => overviewHtml([service], `host${nastyText}`, `last${nastyText}`),
			};
		}

		default: {
			return {
				overviewJson: () => overviewJson([service], 'hostile', 'hostile'),
				overviewHtml: () => overviewHtml([service], 'hostile', 'spew: hello'),
			};
		}
	}
}

/**
 * Starts the device on 127.0.0.1 (port 0). It has one service, /user/spew, whose /log misbehaves for the log
 * behaviours; every other behaviour breaks every answer (or the connection itself).
 */
export async function startHostileDevice(behaviour: HostileBehaviour, options: HostileDeviceOptions = {}): Promise<HostileDevice> {
	const requests: string[] = [];
	const built = build(behaviour, options);
	const sockets = new Set<net.Socket>();
	let connections = 0;
	let pid = 4242;
	const servers: net.Server[] = [];
	const track = (server: net.Server) => {
		servers.push(server);
		server.on('connection', (socket: net.Socket) => {
			connections++;
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
			socket.on('error', () => undefined);
		});
	};

	const answer = (request: http.IncomingMessage, response: http.ServerResponse) => {
		requests.push(`${request.method} ${request.url}`);
		response.on('error', () => undefined);
		void serve(request, response).catch(() => {
			response.destroy();
		});
	};

	async function serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://device');
		const expected = 'Basic ' + Buffer.from(`gokrazy:${hostilePassword}`).toString('base64');
		if (request.headers.authorization !== expected) {
			response.writeHead(401, {'WWW-Authenticate': 'Basic realm="gokrazy"', 'Content-Type': 'text/plain'});
			response.end('Unauthorized\n');
			return;
		}

		switch (behaviour) {
			case 'escape-error': {
				response.writeHead(500, {'Content-Type': 'text/plain'});
				response.end(`${nastyText}\n`.repeat(Math.ceil(5e6 / nastyText.length)));
				return;
			}

			case 'error-endless': {
				response.writeHead(500, {'Content-Type': 'text/plain'});
				await writeForever(response, () => `boom ${nastyText} `.repeat(200));
				return;
			}

			case 'slow-loris': {
				response.writeHead(200, {'Content-Type': 'application/json'});
				await writeForever(response, () => ' ', 200);
				return;
			}

			case 'bad-chunked': {
				response.socket?.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"Ser\r\nZZZZ\r\nvices":[]}\r\n0\r\n\r\n');
				return;
			}

			case 'reset-mid-body': {
				response.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': '100000'});
				response.write(built.overviewJson().slice(0, 200), () => response.socket?.resetAndDestroy());
				return;
			}

			default: {
				break;
			}
		}

		if (url.pathname === '/' && request.method === 'GET') {
			const wantsJson = /json/.test(request.headers.accept ?? '') || /json/.test(request.headers['content-type'] ?? '');
			response.writeHead(200, {'Content-Type': wantsJson ? 'application/json' : 'text/html; charset=utf-8'});
			response.end(wantsJson ? built.overviewJson() : built.overviewHtml());
			return;
		}

		if (url.pathname === '/status') {
			const path = url.searchParams.get('path') ?? '';
			if (path !== service && !(behaviour === 'escape-strings' && path.startsWith(service))) {
				response.writeHead(404, {'Content-Type': 'text/plain'});
				response.end('service not found\n');
				return;
			}

			const wantsJson = /json/.test(request.headers.accept ?? '');
			response.writeHead(200, {
				'Content-Type': wantsJson ? 'application/json' : 'text/html',
				'Set-Cookie': 'gokrazy_xsrf=1234; Path=/',
				'X-Gokrazy-Status': 'started',
				'X-Gokrazy-GOARCH': 'amd64',
			});
			response.end(wantsJson
				? JSON.stringify({Path: path, Stopped: false, StartTime: new Date().toISOString(), Pid: pid, Args: [path], Diverted: ''})
				: '<html>gokrazy status</html>');
			return;
		}

		if ((url.pathname === '/restart' || url.pathname === '/stop') && request.method === 'POST') {
			if (behaviour === 'restart-silent') {
				return; // Never answers.
			}

			for await (const _chunk of request) {
				// Read the form; its token is not checked.
			}

			pid++;
			response.writeHead(303, {Location: '/'});
			response.end();
			return;
		}

		if (url.pathname === '/log') {
			await serveLog(response);
			return;
		}

		response.writeHead(404, {'Content-Type': 'text/plain'});
		response.end('404 page not found\n');
	}

	async function serveLog(response: http.ServerResponse): Promise<void> {
		const sse = {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'};
		switch (behaviour) {
			case 'long-lines': {
				response.writeHead(200, sse);
				let count = 0;
				await writeForever(response, () => `event: stdout\ndata: ${String(count++).padStart(8, '0')}${'x'.repeat(512 * 1024)}\n\n`);
				return;
			}

			case 'endless-event': {
				response.writeHead(200, sse);
				response.write('event: stdout\n');
				await writeForever(response, () => 'data: more and more of the same event\n'.repeat(1000));
				return;
			}

			case 'endless-line': {
				response.writeHead(200, sse);
				response.write('event: stdout\ndata: ');
				await writeForever(response, () => 'z'.repeat(64 * 1024));
				return;
			}

			case 'log-500-endless': {
				response.writeHead(500, {'Content-Type': 'text/plain'});
				await writeForever(response, () => `internal error ${nastyText} `.repeat(100));
				return;
			}

			case 'log-chatty-crlf': {
				response.writeHead(200, sse);
				let count = 0;
				await writeForever(response, () => `event: stderr\ndata: line ${count++} ${nastyText}\r\n\n`, 20);
				return;
			}

			default: {
				response.writeHead(200, sse);
				response.write('event: stdout\ndata: spew: hello\n\nevent: stderr\ndata: spew: warning\n\n');
				await new Promise(resolve => {
					response.on('close', resolve);
				});
			}
		}
	}

	const rawAnswer = (socket: net.Socket) => {
		socket.on('error', () => undefined);
		if (behaviour === 'slow-headers') {
			void writeForever(socket, () => 'X', 200);
		} else if (behaviour === 'header-flood') {
			socket.write('HTTP/1.1 200 OK\r\n');
			let count = 0;
			void writeForever(socket, () => `X-Flood-${count++}: ${'f'.repeat(100)}\r\n`);
		}
		// 'silent': nothing at all.
	};

	let server: net.Server;
	let certificate: string | undefined;
	if (behaviour === 'silent' || behaviour === 'slow-headers' || behaviour === 'header-flood') {
		server = net.createServer(rawAnswer);
	} else if (behaviour === 'https-redirect') {
		const pair = makeSelfSigned('127.0.0.1');
		certificate = pair.cert;
		const secure = https.createServer({cert: pair.cert, key: pair.key}, answer);
		track(secure);
		await new Promise<void>(resolve => {
			secure.listen(0, '127.0.0.1', resolve);
		});
		const securePort = (secure.address() as net.AddressInfo).port;
		server = http.createServer((request, response) => {
			requests.push(`${request.method} ${request.url} (http)`);
			// gokrazy redirects to the Host it was asked for, on its HTTPS port.
			const host = (request.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
			response.writeHead(301, {Location: `https://${host}:${securePort}${request.url ?? '/'}`});
			response.end();
		});
	} else {
		server = http.createServer(answer);
	}

	track(server);
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as net.AddressInfo;
	return {
		behaviour,
		url: `http://gokrazy:${hostilePassword}@127.0.0.1:${port}`,
		baseUrl: `http://127.0.0.1:${port}`,
		password: hostilePassword,
		certificate,
		service,
		requests,
		connections: () => connections,
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await Promise.all(servers.map(async each => new Promise(resolve => {
				each.close(resolve);
			})));
		},
	};
}
