// A gokrazy init's supervision API for /user/breakglass only (shaped after the fixture captures), whose start and stop run real hooks (an sshd).
import http from 'node:http';
import type {AddressInfo} from 'node:net';

export type DeviceStub = {
	url: string;
	password: string;
	/** What the device did, in order: `status`, `restart`, `stop`. */
	calls: string[];
	state(): 'started' | 'stopped';
	close(): Promise<void>;
};

export async function startDeviceStub(options: {
	initially: 'started' | 'stopped';
	/** false: breakglass is not in the image (404 service not found). */
	hasBreakglass?: boolean;
	goarch?: string;
	onStart?: () => Promise<void>;
	onStop?: () => Promise<void>;
}): Promise<DeviceStub> {
	const password = 'pw';
	let state = options.initially;
	const calls: string[] = [];
	const token = String(100_000 + Math.floor(Math.random() * 1_000_000));
	const server = http.createServer((request, response) => {
		const auth = request.headers.authorization ?? '';
		if (auth !== `Basic ${Buffer.from(`gokrazy:${password}`).toString('base64')}`) {
			response.writeHead(401, {'WWW-Authenticate': 'Basic realm="gokrazy"', 'Content-Type': 'text/plain; charset=utf-8'});
			response.end('invalid username/password\n');
			return;
		}

		const url = new URL(request.url ?? '/', 'http://device');
		let body = '';
		request.on('data', (chunk: Buffer) => {
			body += chunk.toString();
		});
		request.on('end', () => {
			void (async () => {
				const cookie = {'Set-Cookie': `gokrazy_xsrf=${token}; Expires=Thu, 26 Nov 2099 18:36:08 GMT; HttpOnly`};
				if (url.pathname === '/status') {
					calls.push('status');
					if (options.hasBreakglass === false || url.searchParams.get('path') !== '/user/breakglass') {
						response.writeHead(404, {...cookie, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff'});
						response.end('service not found\n');
						return;
					}

					if (/application\/json/.test(request.headers.accept ?? '')) {
						response.writeHead(200, {...cookie, 'Content-Type': 'application/json'});
						response.end(JSON.stringify({Stopped: state === 'stopped', StartTime: '2026-11-25T18:36:03Z', Pid: 41, Path: '/user/breakglass', Args: ['/user/breakglass'], Diverted: ''}));
						return;
					}

					response.writeHead(200, {...cookie, 'X-Gokrazy-Goarch': options.goarch ?? 'amd64', 'X-Gokrazy-Status': state, 'Content-Type': 'text/html; charset=utf-8'});
					response.end('<!DOCTYPE html>\n<html lang="en">\n<title>casa — gokrazy</title>\n</html>\n');
					return;
				}

				if (url.pathname === '/restart' || url.pathname === '/stop') {
					const form = new URLSearchParams(body);
					if (request.method !== 'POST') {
						response.writeHead(400).end('expected a POST request\n');
						return;
					}

					if (request.headers.cookie !== `gokrazy_xsrf=${token}`) {
						response.writeHead(400).end('XSRF cookie missing\n');
						return;
					}

					if (form.get('xsrftoken') !== token) {
						response.writeHead(403).end('XSRF token mismatch\n');
						return;
					}

					if (form.get('path') !== '/user/breakglass' || options.hasBreakglass === false) {
						response.writeHead(404).end('service not found\n');
						return;
					}

					calls.push(url.pathname.slice(1));
					if (url.pathname === '/restart') {
						state = 'started';
						await options.onStart?.();
					} else {
						state = 'stopped';
						await options.onStop?.();
					}

					response.writeHead(303, {Location: '/status?path=%2Fuser%2Fbreakglass', 'Content-Length': '0'});
					response.end();
					return;
				}

				response.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'});
				response.end('404 page not found\n');
			})();
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	return {
		url: `http://gokrazy:${password}@127.0.0.1:${port}`,
		password,
		calls,
		state: () => state,
		async close() {
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
