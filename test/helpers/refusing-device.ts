// A proxy in front of a real (demo) device that makes its supervision requests go wrong the ways a real gokrazy
// refuses them: the device itself answers 400 or 403, or its status page comes without the XSRF cookie.
import http from 'node:http';
import type net from 'node:net';
import type {ExecutionContext} from 'ava';

export const supervisionFaults = ['cookie-missing', 'token-mismatch', 'no-xsrf-cookie'] as const;
export type SupervisionFault = typeof supervisionFaults[number];

/** What each fault makes the client report: the device's own answer, or the missing cookie. */
export const faultCause: Readonly<Record<SupervisionFault, RegExp>> = {
	// POST without the cookie: gokrazy answers "400 XSRF cookie missing".
	'cookie-missing': /refused: HTTP 400 XSRF cookie missing$/,
	// POST whose cookie differs from the form's token: "403 XSRF token mismatch".
	'token-mismatch': /refused: HTTP 403 XSRF token mismatch$/,
	// GET /status without Set-Cookie: nothing to send back, so nothing is posted.
	'no-xsrf-cookie': /sent no XSRF cookie with the status of \/user\/\w+$/,
};

export type RefusingDevice = {
	/** http://127.0.0.1:PORT, to put credentials into. */
	url: string;
	port: number;
	/** Supervision POSTs that reached the device (method and path). */
	posts: string[];
};

function isSupervision(request: http.IncomingMessage): boolean {
	return request.method === 'POST' && /^\/(restart|stop)(\?|$)/.test(request.url ?? '');
}

/** Forwards everything to `upstream`, changing what `fault` says; closed when the test ends. */
export async function startRefusingDevice(t: ExecutionContext, upstream: {host: string; port: number}, fault: SupervisionFault): Promise<RefusingDevice> {
	const posts: string[] = [];
	const server = http.createServer((request, response) => {
		const headers = {...request.headers};
		if (isSupervision(request)) {
			posts.push(`${request.method} ${request.url}`);
			if (fault === 'cookie-missing') {
				delete headers.cookie;
			} else if (fault === 'token-mismatch') {
				headers.cookie = String(headers.cookie ?? '').replace(/gokrazy_xsrf=(-?\d+)/, (_all, token: string) => `gokrazy_xsrf=${Number(token) === 1 ? 2 : 1}`);
			}
		}

		const forward = http.request({host: upstream.host, port: upstream.port, method: request.method, path: request.url, headers}, answer => {
			const answerHeaders = {...answer.headers};
			if (fault === 'no-xsrf-cookie' && request.url?.startsWith('/status')) {
				delete answerHeaders['set-cookie'];
			}

			response.writeHead(answer.statusCode ?? 502, answerHeaders);
			answer.pipe(response);
		});
		forward.on('error', () => {
			response.socket?.destroy();
		});
		request.pipe(forward);
	});
	const sockets = new Set<net.Socket>();
	server.on('connection', socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	t.teardown(async () => {
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise(resolve => {
			server.close(resolve);
		});
	});
	const {port} = server.address() as net.AddressInfo;
	return {url: `http://127.0.0.1:${port}`, port, posts};
}

/** `url` with the device's password in it, as a user would pass it. */
export function withPassword(url: string, password: string): string {
	const parsed = new URL(url);
	parsed.username = 'gokrazy';
	parsed.password = password;
	return parsed.toString().replace(/\/$/, '');
}
