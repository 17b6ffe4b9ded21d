// The client's typed errors against real loopback servers that are not gokrazy devices, or not there at all.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {closedPort, startHttpServer, startTcpServer} from '../helpers/bad-servers.js';

const client = (url: string, timeoutMs = 5000) => new DeviceClient({...targetFromUrl(url), name: 'casa'}, {timeoutMs});

async function failure(promise: Promise<unknown>): Promise<DeviceError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof DeviceError) {
			return error;
		}

		throw error;
	}

	throw new Error('expected a failure');
}

test('a closed port is unreachable, named by device and address', async t => {
	const port = await closedPort();
	const error = await failure(client(`http://127.0.0.1:${port}`).overview());
	t.is(error.kind, 'unreachable');
	t.is(error.message, `casa: connection refused by 127.0.0.1:${port} (is the device up?)`);
});

test('a server that accepts and never answers times out after the configured time', async t => {
	const server = await startTcpServer(t);
	const error = await failure(client(server.url, 300).overview());
	t.is(error.kind, 'timeout');
	t.is(error.message, `casa: no answer from 127.0.0.1:${server.port} after 0.3 s`);
});

test('a port that answers HTML is not a gokrazy device', async t => {
	const server = await startHttpServer(t, (_request, response) => {
		response.writeHead(200, {'Content-Type': 'text/html'});
		response.end('<!doctype html><title>router</title>');
	});
	const error = await failure(client(server.url).overview());
	t.is(error.kind, 'not-gokrazy');
	t.regex(error.message, /^casa: 127\.0\.0\.1:\d+ is not a gokrazy device \(it answered HTML/);
});

test('JSON that is not a gokrazy overview, and garbage, are not a gokrazy device', async t => {
	for (const body of ['{"hello": "world"}', 'garbage\u0000\u0001', '[1,2,3]']) {
		const server = await startHttpServer(t, (_request, response) => {
			response.writeHead(200, {'Content-Type': 'application/json'});
			response.end(body);
		});
		const error = await failure(client(server.url).overview());
		t.is(error.kind, 'not-gokrazy', body);
		t.true(error.message.startsWith('casa: '), error.message);
	}
});

test('a port speaking something other than HTTP is reported as such', async t => {
	const server = await startTcpServer(t, 'SSH-2.0-OpenSSH_9.2\r\n');
	const error = await failure(client(server.url, 2000).overview());
	t.is(error.kind, 'not-gokrazy');
	t.regex(error.message, /does not answer HTTP/);
});

test('a 401 without gokrazy\'s realm, and with it', async t => {
	const other = await startHttpServer(t, (_request, response) => {
		response.writeHead(401, {'WWW-Authenticate': 'Basic realm="router"'});
		response.end('no');
	});
	const otherError = await failure(client(other.url).overview());
	t.is(otherError.kind, 'auth');
	t.regex(otherError.message, /does not look like a gokrazy device/);

	const gokrazy = await startHttpServer(t, (_request, response) => {
		response.writeHead(401, {'WWW-Authenticate': 'Basic realm="gokrazy"'});
		response.end('invalid username/password\n');
	});
	const wrong = await failure(client(`http://gokrazy:nope@127.0.0.1:${gokrazy.port}`).overview());
	t.is(wrong.message, 'casa: wrong password (the device said: invalid username/password)');
	const none = await failure(client(gokrazy.url).overview());
	t.regex(none.message, /^casa: no password known for this device/);
});

test('the password is sent as Basic auth whatever characters it holds', async t => {
	const password = 'p:a@s/s%w#o"r d\u00FC\u2713';
	let seen = '';
	const server = await startHttpServer(t, (request, response) => {
		seen = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
		response.writeHead(401, {'WWW-Authenticate': 'Basic realm="gokrazy"'});
		response.end();
	});
	await failure(client(`http://gokrazy:${encodeURIComponent(password)}@127.0.0.1:${server.port}`).overview());
	t.is(seen, `gokrazy:${password}`);
});

test('a redirect to HTTPS on another host is not followed', async t => {
	const server = await startHttpServer(t, (_request, response) => {
		response.writeHead(302, {Location: 'https://evil.example/'});
		response.end();
	});
	const error = await failure(client(server.url).overview());
	t.is(error.kind, 'http');
	t.is(error.message, 'casa: redirected to another host (evil.example); not following');
});

test('a request whose signal is already aborted fails as cancelled, without an uncaught socket error', async t => {
	const server = await startHttpServer(t, (_request, response) => {
		response.end('{}');
	});
	const controller = new AbortController();
	controller.abort();
	const error = await failure(client(server.url).overview(controller.signal));
	t.is(error.kind, 'aborted');
	await new Promise(resolve => setTimeout(resolve, 100));
});
