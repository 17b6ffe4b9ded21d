// The demo device's HTTP API over real HTTP: authentication, overview, status, XSRF, supervision endpoints, header hygiene, TLS.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import anyTest, {type TestFn} from 'ava';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {basicAuth, demoAction, demoJson, demoRequest, demoService, useDemoDevice, waitFor, type ServiceJson} from '../helpers/demo-device.js';

const test = anyTest as TestFn<{device: DemoDevice}>;

test.before(async t => {
	t.context.device = await startDemoDevice({password: 'pw', hostname: 'casa', extraServices: ['weird']});
	// Let every service reach its steady state (breakglass exits 125, the weird lines are in).
	await waitFor(async () => (await demoService(t.context.device, '/user/breakglass')).Stopped, 15_000, 'breakglass stopped after boot');
});

test.after.always(async t => {
	await t.context.device?.stop();
});

const headerNames = (response: {headerList: Array<[string, string]>}) => response.headerList.map(([key]) => key);

test('every request needs Basic auth, answered with the three texts of authenticated.go', async t => {
	const {device} = t.context;
	const cases: Array<[string | false, string]> = [
		[false, 'no Basic Authorization header set\n'],
		['Bearer abc', 'no Basic Authorization header set\n'],
		['Basic', 'no Basic Authorization header set\n'],
		['Basic !!!!', 'could not decode Authorization header as base64: illegal base64 data at input byte 0\n'],
		['Basic Zm9vYmFy?', 'could not decode Authorization header as base64: illegal base64 data at input byte 8\n'],
		[basicAuth('wrong'), 'invalid username/password\n'],
		[basicAuth('pw', 'root'), 'invalid username/password\n'],
		[`Basic ${Buffer.from('gokrazypw').toString('base64')}`, 'invalid username/password\n'],
	];
	for (const [auth, body] of cases) {
		for (const route of ['/', '/status?path=/user/golink', '/log?path=/user/golink&stream=stdout', '/restart', '/nope']) {
			const response = await demoRequest(device, route, {auth});
			t.is(response.status, 401, `${String(auth)} ${route}`);
			t.is(response.body.toString(), body);
			t.deepEqual(headerNames(response), ['Content-Type', 'Www-Authenticate', 'X-Content-Type-Options', 'Date', 'Content-Length']);
			t.is(response.headers['www-authenticate'], 'Basic realm="gokrazy"');
			t.is(response.headers['content-type'], 'text/plain; charset=utf-8');
		}
	}
});

test('GET / with either JSON header answers the overview JSON in the field order of the init', async t => {
	const {device} = t.context;
	const variants: Array<Record<string, string>> = [{Accept: 'application/json'}, {'Content-Type': 'application/json'}, {Accept: 'text/html, application/json;q=0.9'}];
	for (const headers of variants) {
		const response = await demoRequest(device, '/', {headers});
		t.is(response.status, 200);
		t.is(response.headers['access-control-allow-origin'], '*');
		t.is(response.headers['content-type'], 'application/json');
		t.false(response.body.toString().endsWith('\n'));
		const overview = JSON.parse(response.body.toString()) as Record<string, unknown>;
		t.deepEqual(Object.keys(overview), [
			'Services',
			'PermDev',
			'PermUsed',
			'PermAvail',
			'PermTotal',
			'PrivateAddrs',
			'PublicAddrs',
			'BuildTimestamp',
			'SBOMHash',
			'Meminfo',
			'Hostname',
			'Model',
			'PermUUID',
			'EEPROM',
			'Kernel',
			'MountDevices',
		]);
		t.deepEqual(Object.keys(overview.Meminfo as object), ['MemAvailable', 'MemTotal']);
		t.is(overview.Hostname, 'casa');
		t.is(overview.EEPROM, null);
		t.regex(overview.Kernel as string, /^Linux \S+ \(\S+\)$/);
		t.regex(overview.BuildTimestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		const services = overview.Services as ServiceJson[];
		t.deepEqual(
			services.map(service => service.Path),
			['/gokrazy/dhcp', '/gokrazy/ntp', '/gokrazy/heartbeat', '/gokrazy/randomd', '/user/golink', '/user/chatty', '/user/crasher', '/user/breakglass', '/user/weird'],
		);
		for (const service of services) {
			t.deepEqual(Object.keys(service), ['Stopped', 'StartTime', 'Pid', 'Path', 'Args', 'Diverted']);
			t.regex(service.StartTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
			t.true(service.Pid > 0);
		}

		const breakglass = services.find(service => service.Path === '/user/breakglass')!;
		t.true(breakglass.Stopped);
		t.deepEqual(breakglass.Args, ['/user/breakglass', `-authorized_keys=${device.authorizedKeysPath}`, `-port=${device.ssh.port}`]);
	}
});

test('GET / without JSON headers is the HTML overview with labels, last lines and RSS bars', async t => {
	const {device} = t.context;
	// /user/weird completes its last line a second after it starts: wait for it, however slow the machine.
	await waitFor(async () => (await demoRequest(device, '/')).body.toString('utf8').includes('partial...completed'), 15_000, 'weird\'s completed line');
	const ntpStarted = Date.parse((await demoService(device, '/gokrazy/ntp')).StartTime);
	const requested = Date.now();
	const response = await demoRequest(device, '/');
	const answered = Date.now();
	t.is(response.status, 200);
	t.deepEqual(headerNames(response), ['Access-Control-Allow-Origin', 'Date', 'Content-Type', 'Transfer-Encoding']);
	t.is(response.headers['content-type'], 'text/html; charset=utf-8');
	const html = response.body.toString('utf8');
	t.true(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<title>casa — gokrazy</title>'));
	t.true(html.includes('<th>host</th>\n          <td>casa</td>'));
	t.true(html.includes('<td>Raspberry Pi 4 Model B Rev 1.5 (krazy-tui demo)</td>'));
	t.true(html.includes('<a href="/status?path=%2fuser%2fgolink">/user/golink</a>'));
	const row = (servicePath: string) => new RegExp(`<a href="[^"]+">${servicePath}</a>\\n</td>\\n<td>([^]*?)</td>`).exec(html)?.[1] ?? '';
	t.true(row('/user/breakglass').includes('<span class="label label-default">stopped</span>'));
	// Started under 5 s ago is "restarting" for the web UI, later "running".
	const ntpRow = row('/gokrazy/ntp');
	if (answered - ntpStarted < 5000) {
		t.true(ntpRow.includes('<span class="label label-danger">restarting</span>'), ntpRow);
	} else if (requested - ntpStarted >= 5000) {
		t.true(ntpRow.includes('<span class="label label-success">running</span>'), ntpRow);
	} else {
		t.regex(ntpRow, /label-danger">restarting|label-success">running/);
	}
	// The init's own line, escaped as html/template escapes it.
	t.regex(html, /<small>stderr: <\/small>\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d gokrazy: attempt 0, starting \[&#34;\/gokrazy\/ntp&#34;\]<br\/>/);
	t.true(html.includes('<small>stdout: </small>partial...completed<br/>'));
	const titles = [...html.matchAll(/title="(.+?) uses ([0-9.]+) MiB RSS"/g)].map(match => match[1]);
	t.is(titles[0], 'init');
	for (const running of ['/gokrazy/ntp', '/user/golink', '/user/chatty', '/user/weird']) {
		t.true(titles.includes(running), running);
	}

	t.false(titles.includes('/user/breakglass'), 'a stopped service has no RSS bar');
	t.regex(html, /\d+\.\d MiB total, \d+\.\d MiB available<br>/);
	t.true(html.includes('<h2>private network addresses</h2>\n<ul>\n\n<li>127.0.0.1</li>\n'));
	t.true(html.endsWith('</html>\n\n'));
});

test('HEAD and POST on / behave as on the real init', async t => {
	const {device} = t.context;
	const head = await demoRequest(device, '/', {method: 'HEAD'});
	t.is(head.status, 200);
	t.deepEqual(headerNames(head), ['Access-Control-Allow-Origin', 'Date', 'Content-Type']);
	t.is(head.body.length, 0);
	const post = await demoRequest(device, '/', {method: 'POST', headers: {Accept: 'application/json'}});
	t.is(post.status, 200);
	t.is(post.headers['content-type'], 'application/json');
	t.true(Array.isArray((JSON.parse(post.body.toString()) as {Services: unknown[]}).Services));
});

test('unknown paths are 404 not found without CORS header', async t => {
	const response = await demoRequest(t.context.device, '/nope');
	t.is(response.status, 404);
	t.is(response.body.toString(), 'not found\n');
	t.deepEqual(headerNames(response), ['Content-Type', 'X-Content-Type-Options', 'Date', 'Content-Length']);
});

test('GET /status answers JSON or HTML and always sets the XSRF cookie', async t => {
	const {device} = t.context;
	const json = await demoRequest(device, '/status?path=/user/golink', {headers: {Accept: 'application/json'}});
	t.is(json.status, 200);
	t.deepEqual(headerNames(json), ['Access-Control-Allow-Origin', 'Content-Type', 'Set-Cookie', 'Date', 'Content-Length']);
	t.regex(json.headers['set-cookie']!, /^gokrazy_xsrf=\d+; Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly$/);
	const expires = Date.parse(/Expires=([^;]+)/.exec(json.headers['set-cookie']!)![1]!);
	t.true(Math.abs(expires - Date.parse(json.headers.date!) - 24 * 3600 * 1000) <= 2000);
	const service = JSON.parse(json.body.toString()) as ServiceJson;
	t.is(service.Path, '/user/golink');
	t.deepEqual(service.Args, ['/user/golink', '--sqlitedb=/perm/home/golink/data.db']);

	const html = await demoRequest(device, '/status?path=/user/golink');
	t.deepEqual(headerNames(html), ['Access-Control-Allow-Origin', 'Set-Cookie', 'X-Gokrazy-Goarch', 'X-Gokrazy-Status', 'Date', 'Content-Type', 'Transfer-Encoding']);
	t.is(html.headers['x-gokrazy-status'], 'started');
	t.is(html.headers['x-gokrazy-goarch'], {x64: 'amd64', arm64: 'arm64'}[process.arch as string] ?? html.headers['x-gokrazy-goarch']);
	const token = /gokrazy_xsrf=(\d+)/.exec(html.headers['set-cookie']!)![1]!;
	const body = html.body.toString();
	t.true(body.includes(`<input type="hidden" name="xsrftoken" value="${token}">`));
	t.true(body.includes('<input type="submit" value="❌ stop">'));
	t.true(body.includes("const ServiceName = '\\/user\\/golink';"));

	const stopped = await demoRequest(device, '/status?path=/user/breakglass');
	t.is(stopped.headers['x-gokrazy-status'], 'stopped');
	t.true(stopped.body.toString().includes('<input type="hidden" name="supervise" value="once">'));
	t.false('x-gokrazy-status' in json.headers);
});

test('GET /status for an unknown or missing path is 404 service not found, cookie included', async t => {
	for (const route of ['/status?path=/user/nope', '/status']) {
		for (const headers of [{}, {Accept: 'application/json'}] as Array<Record<string, string>>) {
			const response = await demoRequest(t.context.device, route, {headers});
			t.is(response.status, 404);
			t.is(response.body.toString(), 'service not found\n');
			t.deepEqual(headerNames(response), ['Access-Control-Allow-Origin', 'Content-Type', 'Set-Cookie', 'X-Content-Type-Options', 'Date', 'Content-Length']);
		}
	}
});

test('the XSRF token of a cookie is reused when it parses like ParseInt(v, 0, 32) and is not zero', async t => {
	const {device} = t.context;
	const cookieOf = async (cookie: string) => {
		const response = await demoRequest(device, '/status?path=/user/golink', {headers: {Accept: 'application/json', Cookie: cookie}});
		return /gokrazy_xsrf=(-?\d+)/.exec(response.headers['set-cookie']!)![1];
	};

	t.is(await cookieOf('gokrazy_xsrf=12345'), '12345');
	t.is(await cookieOf('gokrazy_xsrf=0x10'), '16');
	t.is(await cookieOf('other=1; gokrazy_xsrf=0b11'), '3');
	t.not(await cookieOf('gokrazy_xsrf=abc'), 'abc');
	t.not(await cookieOf('gokrazy_xsrf=0'), '0');
	t.not(await cookieOf('gokrazy_xsrf=99999999999'), '99999999999');
});

test('POST /stop and /restart check method, cookie, token and path in the init order', async t => {
	const {device} = t.context;
	const form = 'application/x-www-form-urlencoded';
	const cases: Array<[string, RequestInitLike, number, string]> = [
		['/restart', {method: 'GET'}, 400, 'expected a POST request\n'],
		['/stop', {method: 'GET', cookie: 'gokrazy_xsrf=5'}, 400, 'expected a POST request\n'],
		['/restart', {body: 'xsrftoken=5&path=/user/golink'}, 400, 'XSRF cookie missing\n'],
		['/restart', {cookie: 'gokrazy_xsrf=0', body: 'xsrftoken=0&path=/user/golink'}, 400, 'XSRF cookie missing\n'],
		['/restart', {cookie: 'gokrazy_xsrf=5', body: 'path=/user/golink'}, 400, 'parsing XSRF token form value: strconv.ParseInt: parsing "": invalid syntax\n'],
		['/restart', {cookie: 'gokrazy_xsrf=5', body: 'xsrftoken=abc&path=/user/golink'}, 400, 'parsing XSRF token form value: strconv.ParseInt: parsing "abc": invalid syntax\n'],
		['/stop', {cookie: 'gokrazy_xsrf=5', body: 'xsrftoken=6&path=/user/golink'}, 403, 'XSRF token mismatch\n'],
		['/restart', {cookie: 'gokrazy_xsrf=5', body: 'xsrftoken=5&path=/user/nope'}, 404, 'no such service\n'],
		['/restart?xsrftoken=5&path=/user/nope', {cookie: 'gokrazy_xsrf=0x5'}, 404, 'no such service\n'],
	];
	type RequestInitLike = {method?: string; cookie?: string; body?: string};
	for (const [route, init, status, body] of cases) {
		const response = await demoRequest(device, route, {
			method: init.method ?? 'POST',
			headers: {...(init.cookie ? {Cookie: init.cookie} : {}), ...(init.body ? {'Content-Type': form} : {})},
			body: init.body,
		});
		t.is(response.status, status, `${route} ${JSON.stringify(init)}`);
		t.is(response.body.toString(), body);
		t.deepEqual(headerNames(response), ['Content-Type', 'X-Content-Type-Options', 'Date', 'Content-Length']);
	}
});

test('a successful /stop or /restart is a 303 to the status page, form in body or query', async t => {
	const device = await useDemoDevice(t, {password: 'pw'});
	const stop = await demoAction(device, 'stop', '/user/golink');
	t.is(stop.status, 303);
	t.deepEqual(stop.headerList, [
		['Location', '/status?path=%2Fuser%2Fgolink'],
		['Date', stop.headers.date!],
		['Content-Length', '0'],
	]);
	t.is(stop.body.length, 0);
	t.true((await demoService(device, '/user/golink')).Stopped);

	const token = '0x2a';
	const restart = await demoRequest(device, '/restart?xsrftoken=42&path=%2Fuser%2Fgolink', {method: 'POST', headers: {Cookie: `gokrazy_xsrf=${token}`}});
	t.is(restart.status, 303);
	t.is(restart.headers.location, '/status?path=%2Fuser%2Fgolink');
	t.false((await demoService(device, '/user/golink')).Stopped, 'Stopped is false at once');
});

test('responses carry no node-only headers and a Go-style Date', async t => {
	const {device} = t.context;
	for (const route of ['/', '/status?path=/user/golink', '/nope']) {
		const response = await demoRequest(device, route, {headers: {Accept: 'application/json'}});
		t.false('keep-alive' in response.headers, route);
		t.false('connection' in response.headers, route);
		t.false('x-powered-by' in response.headers, route);
		t.regex(response.headers.date!, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
	}

	const closing = await demoRequest(device, '/nope', {headers: {Connection: 'close'}});
	t.is(closing.headers.connection, 'close');
});

test('keep-alive connections stay open and serve several requests', async t => {
	const {device} = t.context;
	const socket = net.connect(device.port, device.host);
	t.teardown(() => socket.destroy());
	const auth = basicAuth(device.password);
	let received = '';
	socket.setEncoding('latin1').on('data', (text: string) => {
		received += text;
	});
	socket.write(`GET /nope HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`);
	await waitFor(() => received.split('HTTP/1.1 404 Not Found').length === 3, 5000, 'two answers');
	t.false(received.includes('Keep-Alive'));
	t.false(socket.destroyed);
});

test('a malformed request gets Go’s 400 answer', async t => {
	const {device} = t.context;
	const socket = net.connect(device.port, device.host);
	t.teardown(() => socket.destroy());
	let received = '';
	socket.setEncoding('latin1').on('data', (text: string) => {
		received += text;
	});
	socket.write('THIS IS NOT HTTP\r\n\r\n');
	await waitFor(() => received.includes('400 Bad Request'), 5000, 'an answer');
	t.true(received.startsWith('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n'));
});

test('over TLS the API answers on https and the plain port redirects without asking for credentials', async t => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'krazy-demo-tls-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	const cert = path.join(dir, 'cert.pem');
	const key = path.join(dir, 'key.pem');
	execFileSync('openssl', [
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:prime256v1',
		'-nodes',
		'-subj',
		'/CN=127.0.0.1',
		'-addext',
		'subjectAltName=IP:127.0.0.1',
		'-days',
		'1',
		'-keyout',
		key,
		'-out',
		cert,
	], {stdio: 'ignore'});
	const device = await useDemoDevice(t, {password: 'pw', tls: {cert: readFileSync(cert), key: readFileSync(key), httpRedirectPort: 0}});
	t.true(device.url.startsWith('https://gokrazy:pw@127.0.0.1:'));
	const ca = readFileSync(cert);
	const noAuth = await demoRequest(device, '/', {auth: false, ca});
	t.is(noAuth.status, 401);
	const status = await demoRequest(device, '/status?path=/user/golink', {ca, headers: {Accept: 'application/json'}});
	t.is(status.status, 200);
	t.is((JSON.parse(status.body.toString()) as ServiceJson).Path, '/user/golink');

	const plain = {baseUrl: `http://127.0.0.1:${device.httpRedirectPort}`, password: 'pw'};
	const get = await demoRequest(plain, '/status?path=/user/golink', {auth: false, headers: {Host: 'casa.local'}});
	t.is(get.status, 302);
	const location = `https://casa.local:${device.port}/status?path=/user/golink`;
	t.deepEqual(get.headerList.map(([key]) => key), ['Content-Type', 'Location', 'Date', 'Content-Length']);
	t.is(get.headers.location, location);
	t.is(get.body.toString(), `<a href="${location}">Found</a>.\n\n`);
	const post = await demoRequest(plain, '/restart?x=1', {auth: false, method: 'POST'});
	t.is(post.status, 302);
	t.deepEqual(post.headerList.map(([key]) => key), ['Location', 'Date', 'Content-Length']);
	t.is(post.headers.location, `https://127.0.0.1:${device.port}/restart?x=1`);
	t.is(post.body.length, 0);
});

test('the JSON lists every service with its real pid', async t => {
	const {device} = t.context;
	const overview = await demoJson<{Services: ServiceJson[]}>(device, '/');
	const live = new Set(device.livePids());
	for (const service of overview.Services.filter(service => !service.Stopped && service.Path !== '/user/crasher')) {
		t.true(live.has(service.Pid), service.Path);
	}
});
