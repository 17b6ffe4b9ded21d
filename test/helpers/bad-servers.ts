// Real loopback servers that are not gokrazy devices (HTML, garbage, silence) and proxies that misbehave in front of one.
import http from 'node:http';
import net from 'node:net';
import type {ExecutionContext} from 'ava';

export type Listening = {port: number; url: string; close: () => Promise<void>};

async function listen(server: net.Server, t: ExecutionContext): Promise<Listening> {
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as net.AddressInfo;
	const sockets = new Set<net.Socket>();
	server.on('connection', socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	const close = async () => {
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise<void>(resolve => {
			server.close(() => {
				resolve();
			});
		});
	};

	t.teardown(close);
	return {port, url: `http://127.0.0.1:${port}`, close};
}

/** An HTTP server answering every request with the given status, content type and body. */
export async function startHttpServer(t: ExecutionContext, answer: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<Listening> {
	return listen(http.createServer(answer), t);
}

/** A TCP server that writes `bytes` to every connection (garbage, or nothing at all when undefined) and keeps it open. */
export async function startTcpServer(t: ExecutionContext, bytes?: string): Promise<Listening> {
	return listen(net.createServer(socket => {
		socket.on('error', () => undefined);
		if (bytes !== undefined) {
			socket.write(bytes);
		}
	}), t);
}

/** A free loopback port nobody listens on. */
export async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

export type ProxyRule = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

/**
 * An HTTP proxy in front of `upstream` (host:port). `rule` may answer a request itself (return true); otherwise the
 * request is forwarded, after `delayMs` when given. `cutAfterBytes` ends forwarded /log answers after that many body bytes, as a dropped
 * connection would.
 */
export async function startProxy(
	t: ExecutionContext,
	upstream: {host: string; port: number},
	options: {rule?: ProxyRule; cutAfterBytes?: () => number | undefined; delayMs?: (request: http.IncomingMessage) => number} = {},
): Promise<Listening & {requests: string[]}> {
	const requests: string[] = [];
	const server = http.createServer(async (request, response) => {
		requests.push(`${request.method} ${request.url}`);
		if (options.rule?.(request, response)) {
			return;
		}

		const delay = options.delayMs?.(request) ?? 0;
		if (delay > 0) {
			await new Promise(resolve => setTimeout(resolve, delay));
		}

		const forward = http.request({host: upstream.host, port: upstream.port, method: request.method, path: request.url, headers: request.headers}, answer => {
			response.writeHead(answer.statusCode ?? 502, answer.headers);
			const limit = request.url?.startsWith('/log') ? options.cutAfterBytes?.() : undefined;
			if (limit === undefined) {
				answer.pipe(response);
				return;
			}

			let sent = 0;
			answer.on('data', (chunk: Buffer) => {
				if (sent >= limit) {
					return;
				}

				const room = limit - sent;
				sent += chunk.length;
				if (sent < limit) {
					response.write(chunk);
					return;
				}

				answer.destroy();
				// The bytes before the cut reach the client first (destroying at once could discard them unsent).
				response.write(chunk.subarray(0, room), () => response.socket?.destroy());
			});
		});
		forward.on('error', () => {
			response.socket?.destroy();
		});
		request.pipe(forward);
	});
	const listening = await listen(server, t);
	return {...listening, requests};
}
