// An HTTP proxy in front of a demo device that injects update faults: a path answered 404, a request body byte flipped on the way, a connection dropped mid-body.
import http from 'node:http';
import type net from 'node:net';
import type {ExecutionContext} from 'ava';

export type Faults = {
	/** Paths answered "404 page not found", as an init without the handler would. */
	notFound?: string[];
	/** Flip one byte of this path's request body at this offset (the device then hashes other bytes). */
	flip?: {path: string; offset: number};
	/** Drop both connections once this many bytes of this path's request body went through. */
	drop?: {path: string; afterBytes: number};
};

export type FaultProxy = {url: string; faults: Faults; requests: string[]};

/** Starts the proxy on a free port; it forwards everything else unchanged, streaming both ways. */
export async function startFaultProxy(t: ExecutionContext, deviceBaseUrl: string, faults: Faults = {}): Promise<FaultProxy> {
	const upstream = new URL(deviceBaseUrl);
	const requests: string[] = [];
	const sockets = new Set<net.Socket>();
	const proxy: FaultProxy = {url: '', faults, requests};
	const server = http.createServer((req, res) => {
		const pathname = (req.url ?? '/').split('?', 1)[0]!;
		requests.push(`${req.method} ${pathname}`);
		if (proxy.faults.notFound?.includes(pathname)) {
			req.resume();
			res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'}).end('404 page not found\n');
			return;
		}

		const forward = http.request({hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false}, answer => {
			res.writeHead(answer.statusCode ?? 502, answer.headers);
			answer.pipe(res);
			answer.on('error', () => res.destroy());
		});
		forward.on('error', () => res.destroy());
		let seen = 0;
		req.on('data', (chunk: Buffer) => {
			const flip = proxy.faults.flip;
			let out = chunk;
			if (flip?.path === pathname && flip.offset >= seen && flip.offset < seen + chunk.length) {
				out = Buffer.from(chunk);
				out[flip.offset - seen] ^= 0xff;
			}

			seen += chunk.length;
			const drop = proxy.faults.drop;
			if (drop?.path === pathname && seen >= drop.afterBytes) {
				forward.destroy();
				req.socket.destroy();
				return;
			}

			if (!forward.write(out)) {
				req.pause();
				forward.once('drain', () => req.resume());
			}
		});
		req.on('end', () => forward.end());
		req.on('error', () => forward.destroy());
	});
	server.on('connection', socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	proxy.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
	t.teardown(async () => {
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise(resolve => server.close(resolve));
	});
	return proxy;
}
