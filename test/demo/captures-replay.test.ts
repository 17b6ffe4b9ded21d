// Replays the requests behind the captures of a real gokrazy init against the demo device and compares status, headers and body shape.
import http from 'node:http';
import net from 'node:net';
import anyTest, {type ExecutionContext, type TestFn} from 'ava';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {goArch} from '../../source/demo/go-format.js';
import {readCaptureFile} from '../helpers/captures.js';
import {basicAuth, demoRequest, demoService, demoXsrfToken, waitFor, type RawResponse} from '../helpers/demo-device.js';

const test = anyTest as TestFn<{device: DemoDevice}>;

test.before(async t => {
	t.context.device = await startDemoDevice({password: 'pw', hostname: 'casa', model: 'unknown model', extraServices: ['weird', 'exit0']});
	const device = t.context.device;
	await waitFor(async () => (await demoService(device, '/user/breakglass')).Stopped && (await demoService(device, '/user/exit0')).Stopped, 15_000, 'boot');
});

test.after.always(async t => {
	await t.context.device?.stop();
});

type Wire = {status: number; headers: Array<[string, string]>; body: Buffer};

/** The first answer of a `curl -i` capture, headers in wire order. */
function parseCapture(name: string): Wire {
	const raw = readCaptureFile(name);
	const end = raw.indexOf('\r\n\r\n');
	const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
	return {
		status: Number(statusLine!.split(' ')[1]),
		headers: lines.map(line => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]),
		body: raw.subarray(end + 4),
	};
}

/** Content-Length and chunked encoding depend on the body size (Go chunks above 2048 bytes): compared as one thing. */
const framing = (name: string) => (name === 'Content-Length' || name === 'Transfer-Encoding' ? '<framing>' : name);

/** Headers whose values must match the capture exactly. */
const exactHeaders = new Set(['Access-Control-Allow-Origin', 'Cache-Control', 'Connection', 'Content-Type', 'Www-Authenticate', 'X-Content-Type-Options', 'X-Gokrazy-Goarch', 'X-Gokrazy-Status']);

function compareHeaders(t: ExecutionContext<unknown>, name: string, ours: Array<[string, string]>, theirs: Array<[string, string]>): void {
	t.deepEqual(ours.map(([key]) => framing(key)), theirs.map(([key]) => framing(key)), `${name}: header names and order`);
	for (const [key, value] of theirs) {
		const mine = ours.find(([ourKey]) => ourKey === key)?.[1];
		if (exactHeaders.has(key)) {
			if (key === 'X-Gokrazy-Goarch') {
				// The captures come from an amd64 device; the demo says the GOARCH of the machine it runs on. So: what it
				// says is this machine's GOARCH in Go's spelling, and on the capture's machine (x64) that is the capture's value.
				t.is(mine, goArch(), `${name}: ${key} is this machine's GOARCH`);
				t.is(goArch('x64'), value, `${name}: ${key} on the capture's architecture`);
			} else {
				t.is(mine, value, `${name}: ${key}`);
			}
		} else if (key === 'Set-Cookie') {
			t.regex(mine ?? '', /^gokrazy_xsrf=-?\d+; Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly$/, `${name}: ${key}`);
		} else if (key === 'Date') {
			t.regex(mine ?? '', /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/, `${name}: Date`);
		}
	}
}

/** Keys and value types; an empty list may be null in Go's JSON, so a list of strings and null compare equal. */
function keysDeep(value: unknown): unknown {
	if (value === null || (Array.isArray(value) && value.every(item => typeof item === 'string'))) {
		return 'null or strings';
	}

	if (Array.isArray(value)) {
		return value.length === 0 ? [] : [keysDeep(value[0])];
	}

	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, keysDeep(inner)]));
	}

	return typeof value;
}

/** Normalises what differs between two devices in an HTML page, so the rest must be identical. */
function htmlSkeleton(html: string): string {
	return html
		.replace(/<td>Linux [^<]*<\/td>/g, '<td>KERNEL</td>')
		.replace(/built at [^<]*</g, 'built at BUILD<')
		.replace(/<td>[0-9a-f]{10}<\/td>/g, '<td>SBOM</td>')
		.replace(/value="\d+"/g, 'value="TOKEN"')
		.replace(/<td>\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}<\/td>/g, '<td>STARTED</td>')
		.replace(/<pre>[^<]*<\/pre>/g, '<pre>MODULE</pre>');
}

type Recipe = {
	capture: string;
	path: string;
	method?: string;
	headers?: Record<string, string>;
	body?: string;
	auth?: false | string;
	/** Adds a valid gokrazy_xsrf cookie and xsrftoken form value. */
	xsrf?: boolean;
	/** The capture's service path, where this device uses another. */
	location?: string;
};

const json = {Accept: 'application/json'};
const sse = {Accept: 'text/event-stream'};
const form = {'Content-Type': 'application/x-www-form-urlencoded'};

/** Read-only requests first, supervision requests (which change the device) last, in capture order. */
const recipes: Recipe[] = [
	{capture: 'root-accept-json.txt', path: '/', headers: json},
	{capture: 'root-accept-json-mixed.txt', path: '/', headers: {Accept: 'text/html, application/json;q=0.9, */*;q=0.8'}},
	{capture: 'root-contenttype-json.txt', path: '/', headers: {'Content-Type': 'application/json'}},
	{capture: 'root-post.txt', path: '/', method: 'POST', headers: json},
	{capture: 'root-html.txt', path: '/'},
	{capture: 'root-head.txt', path: '/', method: 'HEAD'},
	{capture: 'root-no-auth.txt', path: '/', auth: false},
	{capture: 'root-bearer.txt', path: '/', auth: 'Bearer abc'},
	{capture: 'root-bad-base64.txt', path: '/', auth: 'Basic !!!'},
	{capture: 'root-no-colon.txt', path: '/', auth: `Basic ${Buffer.from('gokrazypw').toString('base64')}`},
	{capture: 'root-wrong-user.txt', path: '/', auth: basicAuth('pw', 'root')},
	{capture: 'root-wrong-password.txt', path: '/', auth: basicAuth('wrong')},
	{capture: 'notfound-path.txt', path: '/nonexistent'},
	{capture: 'status-golink-json.txt', path: '/status?path=/user/golink', headers: json},
	{capture: 'status-golink-html.txt', path: '/status?path=/user/golink'},
	{capture: 'status-post.txt', path: '/status?path=/user/golink', method: 'POST', headers: json},
	{capture: 'status-stopped-json.txt', path: '/status?path=/user/breakglass', headers: json},
	{capture: 'status-stopped-html.txt', path: '/status?path=/user/breakglass'},
	{capture: 'status-unknown-json.txt', path: '/status?path=/user/nope', headers: json},
	{capture: 'status-unknown-html.txt', path: '/status?path=/user/nope'},
	{capture: 'status-no-path.txt', path: '/status', headers: json},
	{capture: 'status-with-cookie.txt', path: '/status?path=/user/golink', headers: {...json, Cookie: 'gokrazy_xsrf=12345'}},
	{capture: 'status-with-hex-cookie.txt', path: '/status?path=/user/golink', headers: {...json, Cookie: 'gokrazy_xsrf=0x10'}},
	{capture: 'status-with-bad-cookie.txt', path: '/status?path=/user/golink', headers: {...json, Cookie: 'gokrazy_xsrf=abc'}},
	{capture: 'log-no-auth.txt', path: '/log?path=/user/golink&stream=stdout', auth: false},
	{capture: 'log-unknown-path-sse.txt', path: '/log?path=/user/nope&stream=stdout', headers: sse},
	{capture: 'log-golink-bad-stream-sse.txt', path: '/log?path=/user/golink&stream=nope', headers: sse},
	{capture: 'log-golink-no-stream.txt', path: '/log?path=/user/golink'},
	{capture: 'restart-get.txt', path: '/restart?path=/user/golink'},
	{capture: 'stop-get.txt', path: '/stop?path=/user/golink'},
	{capture: 'restart-no-auth.txt', path: '/restart', method: 'POST', auth: false},
	{capture: 'restart-no-cookie.txt', path: '/restart', method: 'POST', headers: form, body: 'xsrftoken=1&path=/user/golink'},
	{capture: 'stop-no-cookie.txt', path: '/stop', method: 'POST', headers: form, body: 'xsrftoken=1&path=/user/golink'},
	{capture: 'restart-cookie-zero.txt', path: '/restart', method: 'POST', headers: {...form, Cookie: 'gokrazy_xsrf=0'}, body: 'xsrftoken=0&path=/user/golink'},
	{capture: 'restart-no-token.txt', path: '/restart', method: 'POST', headers: {...form, Cookie: 'gokrazy_xsrf=7'}, body: 'path=/user/golink'},
	{capture: 'restart-nonnumeric-token.txt', path: '/restart', method: 'POST', headers: {...form, Cookie: 'gokrazy_xsrf=7'}, body: 'xsrftoken=abc&path=/user/golink'},
	{capture: 'restart-wrong-token.txt', path: '/restart', method: 'POST', headers: {...form, Cookie: 'gokrazy_xsrf=7'}, body: 'xsrftoken=8&path=/user/golink'},
	{capture: 'stop-wrong-token.txt', path: '/stop', method: 'POST', headers: {...form, Cookie: 'gokrazy_xsrf=7'}, body: 'xsrftoken=8&path=/user/golink'},
	{capture: 'restart-unknown-path.txt', path: '/restart', method: 'POST', xsrf: true, body: 'path=/user/nope'},
	{capture: 'restart-ok-303.txt', path: '/restart', method: 'POST', xsrf: true, body: 'path=/user/golink'},
	{capture: 'restart-kill-303.txt', path: '/restart?signal=kill&path=/user/golink', method: 'POST', xsrf: true},
	{capture: 'stop-ok-303.txt', path: '/stop', method: 'POST', xsrf: true, body: 'path=/user/golink'},
	{capture: 'stop-again-303.txt', path: '/stop', method: 'POST', xsrf: true, body: 'path=/user/golink'},
	{capture: 'restart-stopped-303.txt', path: '/restart', method: 'POST', xsrf: true, body: 'path=/user/golink'},
	{capture: 'restart-once-303.txt', path: '/restart', method: 'POST', xsrf: true, body: 'path=/user/exit0&supervise=once', location: '/user/stopped'},
	{capture: 'restart-dso-303.txt', path: '/restart', method: 'POST', xsrf: true, body: 'path=/user/breakglass', location: '/user/dso'},
];

test.serial('the demo device answers the captured requests as the real init did', async t => {
	const {device} = t.context;
	for (const recipe of recipes) {
		const capture = parseCapture(recipe.capture);
		const headers: Record<string, string> = {...recipe.headers};
		let body = recipe.body;
		if (recipe.xsrf) {
			const token = await demoXsrfToken(device);
			headers.Cookie = `gokrazy_xsrf=${token}`;
			if (body === undefined) {
				recipe.path += `&xsrftoken=${token}`;
			} else {
				headers['Content-Type'] = form['Content-Type'];
				body = `xsrftoken=${token}&${body}`;
			}
		}

		const response: RawResponse = await demoRequest(device, recipe.path, {method: recipe.method, headers, body, auth: recipe.auth});
		const name = recipe.capture;
		t.is(response.status, capture.status, `${name}: status`);
		compareHeaders(t, name, response.headerList, capture.headers);
		const contentType = capture.headers.find(([key]) => key === 'Content-Type')?.[1] ?? '';
		const location = capture.headers.find(([key]) => key === 'Location')?.[1];
		if (location !== undefined) {
			const ourPath = new URLSearchParams(recipe.body ?? recipe.path.split('?')[1]).get('path')!;
			t.is(location, `/status?path=${encodeURIComponent(recipe.location ?? ourPath).replaceAll('%2F', '%2F')}`, `${name}: captured location`);
			t.is(response.headers.location, `/status?path=${encodeURIComponent(ourPath)}`, `${name}: Location`);
		}

		if (recipe.method === 'HEAD' || capture.status === 303) {
			t.is(response.body.length, 0, `${name}: empty body`);
		} else if (contentType === 'text/plain; charset=utf-8') {
			t.is(response.body.toString(), capture.body.toString(), `${name}: body`);
		} else if (contentType === 'application/json') {
			t.deepEqual(
				keysDeep(JSON.parse(response.body.toString())),
				keysDeep(JSON.parse(capture.body.toString())),
				`${name}: JSON keys and types`,
			);
		} else if (name.startsWith('status-') && name.endsWith('-html.txt')) {
			t.is(htmlSkeleton(response.body.toString()), htmlSkeleton(capture.body.toString()).replace(/user(\/|%2f|\\\/)stopped/g, 'user$1breakglass'), `${name}: page`);
		} else if (name === 'root-html.txt') {
			const head = (html: string) => htmlSkeleton(html.slice(0, html.indexOf('<h1>services</h1>')));
			t.is(head(response.body.toString()), head(capture.body.toString()), `${name}: page head`);
		}
	}
});

/** Reads a /log answer until `enough` says so, then hangs up; status, headers and body text. */
function readLog(
	device: DemoDevice,
	path: string,
	headers: Record<string, string>,
	method = 'GET',
	enough = (body: string) => body.includes(headers.Accept === 'text/event-stream' ? '\n\n' : '\n'),
): Promise<Wire & {text: string}> {
	return new Promise((resolve, reject) => {
		const request = http.request(new URL(path, device.baseUrl), {method, headers: {...headers, Authorization: basicAuth(device.password)}}, response => {
			const chunks: Buffer[] = [];
			const finish = () => {
				const wire: Array<[string, string]> = [];
				for (let index = 0; index < response.rawHeaders.length; index += 2) {
					wire.push([response.rawHeaders[index]!, response.rawHeaders[index + 1]!]);
				}

				const body = Buffer.concat(chunks);
				resolve({status: response.statusCode!, headers: wire, body, text: body.toString('latin1')});
				request.destroy();
			};

			response.on('data', (chunk: Buffer) => {
				chunks.push(chunk);
				if (enough(Buffer.concat(chunks).toString('latin1'))) {
					finish();
				}
			});
			response.on('end', finish);
		});
		request.on('error', error => {
			if (!request.destroyed) {
				reject(error);
			}
		});
		request.end();
	});
}

const sseEvent = /^(event: (stdout|stderr)\n)?data: [^\n]*\n\n/;

function sseEvents(text: string): Array<{event?: string; data: string}> {
	const events: Array<{event?: string; data: string}> = [];
	let rest = text;
	for (let match = sseEvent.exec(rest); match; match = sseEvent.exec(rest)) {
		const lines = match[0].slice(0, -2).split('\n');
		events.push({event: lines.length === 2 ? lines[0]!.slice('event: '.length) : undefined, data: lines.at(-1)!.slice('data: '.length)});
		rest = rest.slice(match[0].length);
	}

	return events;
}

test('log streams have the captured headers and framing', async t => {
	const {device} = t.context;
	const cases: Array<[string, string, Record<string, string>, string?]> = [
		['log-golink-stdout-sse.txt', '/log?path=/user/golink&stream=stdout', sse],
		['log-golink-stderr-sse.txt', '/log?path=/user/golink&stream=stderr', sse],
		['log-golink-both-sse.txt', '/log?path=/user/golink&stream=both', sse],
		['log-golink-post-sse.txt', '/log?path=/user/golink&stream=stdout', sse, 'POST'],
		['log-golink-stdout-plain.txt', '/log?path=/user/golink&stream=stdout', {}],
		['log-golink-both-plain.txt', '/log?path=/user/golink&stream=both', {}],
		['log-crasher-stderr-sse.txt', '/log?path=/user/crasher&stream=stderr', sse],
		['log-exit0-both-sse.txt', '/log?path=/user/exit0&stream=both', sse],
		['log-weird-both-sse.txt', '/log?path=/user/weird&stream=both', sse],
		['log-weird-stdout-sse.txt', '/log?path=/user/weird&stream=stdout', sse],
		['log-weird-stderr-sse.txt', '/log?path=/user/weird&stream=stderr', sse],
		['log-weird-stdout-plain.txt', '/log?path=/user/weird&stream=stdout', {}],
	];
	await Promise.all(
		cases.map(async ([name, route, headers, method]) => {
			const capture = parseCapture(name);
			const ours = await readLog(device, route, headers, method);
			t.is(ours.status, 200, name);
			compareHeaders(t, name, ours.headers, capture.headers);
			if (headers.Accept === sse.Accept) {
				const events = sseEvents(ours.text);
				t.true(events.length > 0, name);
				const both = route.endsWith('both');
				t.true(events.every(event => (event.event !== undefined) === both), `${name}: event lines only for both`);
			} else {
				t.true(ours.text.includes('\n') && !ours.text.startsWith('data: '), `${name}: raw lines`);
			}
		}),
	);
});

test('the weird service’s log carries its bytes as the captured one does', async t => {
	const {device} = t.context;
	const ours = await readLog(device, '/log?path=/user/weird&stream=stdout', sse, 'GET', body => body.includes('partial...completed'));
	const capture = parseCapture('log-weird-stdout-sse.txt').body.toString('latin1');
	// Every line the captured program wrote comes out the same (this one prints a few more).
	for (const event of sseEvents(capture)) {
		t.true(sseEvents(ours.text).some(ourEvent => ourEvent.data === event.data), JSON.stringify(event.data));
	}
});

test('a quiet service’s /log sends nothing at all, as the empty-ring captures show', async t => {
	const {device} = t.context;
	const listeners = ['text/event-stream', '*/*'].map(accept => {
		const socket = net.connect(device.port, device.host);
		const state = {accept, socket, received: ''};
		socket.on('data', (chunk: Buffer) => {
			state.received += chunk.toString('latin1');
		});
		socket.write(`GET /log?path=/gokrazy/ntp&stream=stdout HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth(device.password)}\r\nAccept: ${accept}\r\n\r\n`);
		return state;
	});
	await new Promise(resolve => setTimeout(resolve, 1500));
	for (const {accept, socket, received} of listeners) {
		t.is(received, '', accept);
		t.false(socket.destroyed);
		socket.destroy();
	}
});
