// The device client's side of the protocol, against a scripted device that records what it is asked: the headers and
// forms it sends, every error answer it gets (and what the user reads then), the run-once and new-pid waits, reboot,
// cancel and close. The demo device answers only well; these are the answers it never gives.
import type http from 'node:http';
import test, {type ExecutionContext} from 'ava';
import {actionWaitMs, actOnService, DeviceClient, xsrfToken} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import type {ServiceStatus} from '../../source/core/device-model.js';
import {startHttpServer} from '../helpers/bad-servers.js';
import {waitFor} from '../helpers/wait-for.js';

type Seen = {method: string; url: string; headers: http.IncomingHttpHeaders; body: string};
type Answer = {status?: number; headers?: Record<string, string | string[]>; body?: string} | 'drop' | 'hang';

const statusJson = (path: string, pid: number, stopped = false) => JSON.stringify({Path: path, Stopped: stopped, StartTime: '2026-11-25T10:21:51+01:00', Pid: pid, Args: [path], Diverted: ''});
const overviewJson = (hostname = 'casa') => JSON.stringify({Services: [], Hostname: hostname, Model: 'Pi', Kernel: '6.6', BuildTimestamp: '', SBOMHash: ''});
const xsrf = {'Set-Cookie': ['gokrazy_xsrf=tok123; Path=/']};

/** A device that answers each request with `answer(request)`, keeping every request it saw. */
async function scriptedDevice(t: ExecutionContext, answer: (seen: Seen, all: Seen[]) => Answer, password = '') {
	const seen: Seen[] = [];
	const closed: string[] = [];
	const sockets = new WeakSet<object>();
	const server = await startHttpServer(t, (request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const entry = {method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8')};
			seen.push(entry);
			const reply = answer(entry, seen);
			if (reply === 'hang') {
				return;
			}

			if (reply === 'drop') {
				// Headers and part of a body, then the connection goes (a device rebooting mid-answer).
				response.writeHead(200, {'Content-Length': '100'});
				response.write('partial', () => response.socket?.destroy());
				return;
			}

			response.writeHead(reply.status ?? 200, reply.headers);
			response.end(reply.body ?? '');
		});
		if (!sockets.has(request.socket)) {
			sockets.add(request.socket);
			request.socket.once('close', () => closed.push(request.url ?? ''));
		}
	});
	const url = password ? server.url.replace('http://', `http://gokrazy:${password}@`) : server.url;
	const client = new DeviceClient({...targetFromUrl(url), name: 'casa'}, {timeoutMs: 5000});
	t.teardown(() => {
		client.close();
	});
	return {client, seen, closed, hostPort: `127.0.0.1:${server.port}`};
}

const json = (body: string, status = 200): Answer => ({status, headers: {'Content-Type': 'application/json'}, body});

test('JSON is asked for with Accept and Content-Type both; an init before 2023-02 looks only at Content-Type', async t => {
	// An old init: JSON only when Content-Type says so, else its HTML page.
	const {client, seen} = await scriptedDevice(t, request => (request.headers['content-type'] === 'application/json'
		? json(request.url === '/' ? overviewJson() : statusJson('/user/x', 7))
		: {headers: {'Content-Type': 'text/html'}, body: '<html>gokrazy</html>'}));
	t.is((await client.overview()).hostname, 'casa');
	t.is((await client.service('/user/x')).pid, 7);
	for (const request of seen) {
		t.is(request.headers.accept, 'application/json', request.url);
		t.is(request.headers['content-type'], 'application/json', request.url);
	}
});

test('an error answer to a GET: its status and first line, named by device; 404 is "not a gokrazy device"', async t => {
	const {client, hostPort} = await scriptedDevice(t, request => {
		if (request.url === '/') {
			return {status: 500, body: '\n   disk full on /perm   \nsecond line'};
		}

		if (request.url.includes('missing')) {
			return {status: 404, body: 'no such service'};
		}

		return {status: 404, body: '404 page not found'};
	});
	const failed = await t.throwsAsync(client.overview(), {instanceOf: DeviceError});
	t.is(failed!.kind, 'http');
	t.is(failed!.status, 500);
	t.is(failed!.message, `casa: HTTP 500 from ${hostPort}: disk full on /perm`);
	const unknown = await t.throwsAsync(client.service('/user/missing'), {instanceOf: DeviceError});
	t.is(unknown!.kind, 'unknown-service');
	t.is(unknown!.message, 'casa: no service /user/missing on the device');
	const notFound = await t.throwsAsync(client.service('/user/x'), {instanceOf: DeviceError});
	t.is(notFound!.kind, 'not-gokrazy');
	t.is(notFound!.status, 404);
	t.is(notFound!.message, `casa: ${hostPort} answered 404 (404 page not found): not a gokrazy device?`);
	const html = await t.throwsAsync(client.htmlOverview(), {instanceOf: DeviceError});
	t.is(html!.kind, 'http');
});

test('an error answer without a body says the status alone; a long first line is kept up to the message limit', async t => {
	const long = 'x'.repeat(150);
	const {client, hostPort} = await scriptedDevice(t, request => (request.url === '/' ? {status: 502} : {status: 503, body: `${long}\nrest`}));
	t.is((await t.throwsAsync(client.overview(), {instanceOf: DeviceError}))!.message, `casa: HTTP 502 from ${hostPort}`);
	t.is((await t.throwsAsync(client.service('/user/x'), {instanceOf: DeviceError}))!.message, `casa: HTTP 503 from ${hostPort}: ${long}`);
});

test('HTML where JSON was asked for, JSON that is not JSON, JSON of another shape: each says which and what was asked', async t => {
	const answers: Record<string, Answer> = {
		'/status?path=%2Fhtml-type': {headers: {'Content-Type': 'text/html'}, body: '{"Path": "/x"}'},
		'/status?path=%2Fhtml-body': json('<html><body>gokrazy</body></html>'),
		'/status?path=%2Findented-html': json('  \n <!DOCTYPE html>'),
		'/status?path=%2Fgarbage': json(`garbage ${'y'.repeat(100)}`),
		'/status?path=%2Fshape': json('{"Hostname": "casa"}'),
		'/status?path=%2Fangle': json(statusJson('/user/a<b', 9)),
	};
	const {client, hostPort} = await scriptedDevice(t, request => answers[request.url] ?? {status: 500});
	for (const path of ['/html-type', '/html-body', '/indented-html']) {
		const error = await t.throwsAsync(client.service(path), {instanceOf: DeviceError});
		t.is(error!.kind, 'not-gokrazy', path);
		t.is(error!.message, `casa: ${hostPort} is not a gokrazy device (it answered HTML where JSON was asked for the status of ${path}; an init from before 2021 has no JSON API)`, path);
	}

	const garbage = await t.throwsAsync(client.service('/garbage'), {instanceOf: DeviceError});
	t.is(garbage!.message, `casa: ${hostPort} is not a gokrazy device (the status of /garbage is not JSON: ${JSON.stringify(`garbage ${'y'.repeat(32)}`)})`);
	const shape = await t.throwsAsync(client.service('/shape'), {instanceOf: DeviceError});
	t.is(shape!.message, `casa: ${hostPort} is not a gokrazy device (not a gokrazy service status (no Path/Stopped))`);
	// A < inside the JSON is not HTML.
	t.is((await client.service('/angle')).path, '/user/a<b');
});

test('the overview\'s errors name the overview', async t => {
	const {client, hostPort} = await scriptedDevice(t, () => json('<html>'));
	t.is((await t.throwsAsync(client.overview(), {instanceOf: DeviceError}))!.message, `casa: ${hostPort} is not a gokrazy device (it answered HTML where JSON was asked for the device overview; an init from before 2021 has no JSON API)`);
});

test('the HTML pages: asked for as HTML; a page that is not gokrazy\'s, or a status without X-Gokrazy-Status, is refused', async t => {
	const pages: Record<string, Answer> = {
		'/': {headers: {'Content-Type': 'text/html'}, body: '<html><body>a router</body></html>'},
		'/status?path=%2Fplain': {headers: {'Content-Type': 'text/html'}, body: '<html>gokrazy</html>'},
		'/status?path=%2Fbg': {headers: {'Content-Type': 'text/html', 'X-Gokrazy-Status': 'stopped'}, body: '<html>gokrazy</html>'},
		'/status?path=%2Fgolink': {headers: {'Content-Type': 'text/html', 'X-Gokrazy-Status': 'started', 'X-Gokrazy-GOARCH': 'arm64'}, body: '<html>gokrazy</html>'},
	};
	const {client, seen, hostPort} = await scriptedDevice(t, request => pages[request.url] ?? {status: 500});
	const overview = await t.throwsAsync(client.htmlOverview(), {instanceOf: DeviceError});
	t.is(overview!.message, `casa: ${hostPort} is not a gokrazy device (its overview page is not gokrazy's)`);
	const plain = await t.throwsAsync(client.serviceHtmlStatus('/plain'), {instanceOf: DeviceError});
	t.is(plain!.kind, 'not-gokrazy');
	t.is(plain!.message, `casa: ${hostPort} did not say whether /plain runs (no X-Gokrazy-Status header)`);
	t.deepEqual(await client.serviceHtmlStatus('/bg'), {status: 'stopped', goarch: ''}, 'no GOARCH header: empty, not made up');
	t.deepEqual(await client.serviceHtmlStatus('/golink'), {status: 'started', goarch: 'arm64'});
	for (const request of seen) {
		t.is(request.headers.accept, 'text/html', request.url);
	}
});

test('an HTML overview needs both gokrazy and an html element', async t => {
	const {client} = await scriptedDevice(t, () => ({headers: {'Content-Type': 'text/html'}, body: 'gokrazy says hello, but this is no page'}));
	const error = await t.throwsAsync(client.htmlOverview(), {instanceOf: DeviceError});
	t.is(error!.kind, 'not-gokrazy');
});

/** A device with one service whose supervision POSTs are answered by `post`. */
async function supervisedDevice(t: ExecutionContext, post: (seen: Seen) => Answer, status: (seen: Seen[]) => string = () => statusJson('/user/x', 7)) {
	return scriptedDevice(t, (request, all) => {
		if (request.method === 'POST') {
			return post(request);
		}

		return {...json(status(all)) as {headers: Record<string, string | string[]>; body: string}, headers: {'Content-Type': 'application/json', ...xsrf}};
	});
}

const form = (request: Seen) => Object.fromEntries(new URLSearchParams(request.body));

test('supervision posts the form gokrazy reads: path, the token in the form and the cookie, signal and supervise as asked', async t => {
	const {client, seen} = await supervisedDevice(t, () => ({status: 303, headers: {Location: '/'}}));
	await client.stop('/user/x');
	await client.stop('/user/x', {kill: true});
	await client.restart('/user/x');
	await client.restart('/user/x', {kill: true});
	await client.start('/user/x');
	await client.start('/user/x', {once: true});
	const posts = seen.filter(request => request.method === 'POST');
	t.deepEqual(posts.map(request => [request.url, form(request)]), [
		['/stop', {path: '/user/x', xsrftoken: 'tok123'}],
		['/stop', {path: '/user/x', xsrftoken: 'tok123', signal: 'kill'}],
		['/restart', {path: '/user/x', xsrftoken: 'tok123'}],
		['/restart', {path: '/user/x', xsrftoken: 'tok123', signal: 'kill'}],
		['/restart', {path: '/user/x', xsrftoken: 'tok123'}],
		['/restart', {path: '/user/x', xsrftoken: 'tok123', supervise: 'once'}],
	]);
	for (const request of posts) {
		t.is(request.headers.cookie, 'gokrazy_xsrf=tok123');
		t.is(request.headers['content-type'], 'application/x-www-form-urlencoded');
	}
});

test('a supervision POST answered 200 is done too; 404 is an unknown service; another status says the action, the path and what the device said', async t => {
	let next: Answer = {status: 200};
	const {client} = await supervisedDevice(t, () => next);
	await t.notThrowsAsync(client.stop('/user/x'));
	next = {status: 404, body: 'not found'};
	const unknown = await t.throwsAsync(client.restart('/user/x'), {instanceOf: DeviceError});
	t.is(unknown!.kind, 'unknown-service');
	t.is(unknown!.status, 404);
	t.is(unknown!.message, 'casa: no service /user/x on the device');
	next = {status: 500, body: 'supervisor busy\nmore'};
	const refused = await t.throwsAsync(client.restart('/user/x'), {instanceOf: DeviceError});
	t.is(refused!.kind, 'http');
	t.is(refused!.message, 'casa: restart /user/x refused: HTTP 500 supervisor busy');
	next = {status: 401, headers: {'WWW-Authenticate': 'Basic realm="gokrazy"'}, body: 'Unauthorized'};
	const auth = await t.throwsAsync(client.stop('/user/x'), {instanceOf: DeviceError});
	t.is(auth!.kind, 'auth', 'a 401 to the POST itself is a password problem, not a refusal');
});

test('run once on a running service: the killed run is seen stopped with its pid, then it is started once more; a stopped one gets one POST', async t => {
	let phase = 'running';
	const {client, seen} = await supervisedDevice(t, request => {
		if (form(request).supervise === 'once') {
			phase = phase === 'running' ? 'killed' : 'started';
		}

		return {status: 303};
	}, all => {
		const polls = all.filter(request => request.method === 'GET').length;
		if (phase === 'killed' && polls > 5) {
			// A few polls later the init shows the killed run: stopped, with its pid.
			return statusJson('/user/x', 7, true);
		}

		return phase === 'started' ? statusJson('/user/x', 8) : statusJson('/user/x', 7);
	});
	await client.restart('/user/x', {once: true});
	const posts = seen.filter(request => request.method === 'POST').map(request => form(request).supervise);
	t.deepEqual(posts, ['once', 'once'], 'killed, then started once more');
	t.is(phase, 'started');

	const stopped = await supervisedDevice(t, () => ({status: 303}), () => statusJson('/user/x', 7, true));
	await stopped.client.restart('/user/x', {once: true});
	t.deepEqual(stopped.seen.filter(request => request.method === 'POST').map(request => form(request).supervise), ['once'], 'a stopped service: one POST starts its one run');
});

test('run once on a service caught between two runs: a new pid after the POST is its one run, no second start', async t => {
	let posted = false;
	const {client, seen} = await supervisedDevice(t, () => {
		posted = true;
		return {status: 303};
	}, () => (posted ? statusJson('/user/x', 9) : statusJson('/user/x', 7)));
	await client.restart('/user/x', {once: true});
	t.is(seen.filter(request => request.method === 'POST').length, 1);
});

test('run once whose one run already came and went (stopped, with a new pid) is not started again', async t => {
	let posted = false;
	const {client, seen} = await supervisedDevice(t, () => {
		posted = true;
		return {status: 303};
	}, () => (posted ? statusJson('/user/x', 9, true) : statusJson('/user/x', 7)));
	await client.restart('/user/x', {once: true});
	t.is(seen.filter(request => request.method === 'POST').length, 1);
});

test('run once: a running status with pid 0 (between the kill and what follows) is neither the stop nor a new run', async t => {
	let phase = 'running';
	let after = 0;
	const {client, seen} = await supervisedDevice(t, request => {
		if (form(request).supervise === 'once') {
			phase = phase === 'running' ? 'killed' : 'started';
		}

		return {status: 303};
	}, () => {
		if (phase === 'killed') {
			after++;
			// First a few polls of "running, pid 0", then the killed run: stopped with its pid.
			return after <= 3 ? statusJson('/user/x', 0) : statusJson('/user/x', 7, true);
		}

		return phase === 'started' ? statusJson('/user/x', 8) : statusJson('/user/x', 7);
	});
	await client.restart('/user/x', {once: true});
	t.deepEqual(seen.filter(request => request.method === 'POST').map(request => form(request).supervise), ['once', 'once']);
});

test('a log of both streams is asked for as one stream=both (the init merges them in the order they came)', async t => {
	const {client, seen} = await scriptedDevice(t, () => ({headers: {'Content-Type': 'text/event-stream'}, body: ''}));
	for await (const event of client.logs('/user/x', 'both', {follow: false})) {
		t.not(event.type, 'error');
	}

	t.deepEqual(seen.map(request => request.url), ['/log?path=%2Fuser%2Fx&stream=both'], 'one request, for both streams');
});

test('a status answered 200 is the status, whatever its text says (a service may log "no such service")', async t => {
	const {client} = await scriptedDevice(t, () => json(JSON.stringify({Path: '/user/x', Stopped: false, Pid: 3, Args: ['/user/x', '--say', 'no such service']})));
	t.deepEqual((await client.service('/user/x')).args, ['/user/x', '--say', 'no such service']);
});

test('polls are 200 ms apart while waiting for a new pid, not a busy loop', async t => {
	const {client, seen} = await supervisedDevice(t, () => ({status: 303}), () => statusJson('/user/x', 7));
	await t.throwsAsync(client.waitForNewPid('/user/x', 7, 1000), {instanceOf: DeviceError});
	// About 6 in the second (one every 200 ms); a loop without the pause makes hundreds.
	t.true(seen.length >= 2 && seen.length <= 12, `${seen.length} polls`);
});

test('waiting for a new pid: not the old one, not 0 (between two runs); a pid that never changes is a timeout saying so', async t => {
	const pids = [7, 7, 0, 0, 12];
	const {client} = await supervisedDevice(t, () => ({status: 303}), all => statusJson('/user/x', pids[Math.min(all.length - 1, pids.length - 1)]!));
	t.is((await client.waitForNewPid('/user/x', 7, 10_000)).pid, 12);
	const stuck = await supervisedDevice(t, () => ({status: 303}), () => statusJson('/user/x', 7));
	const started = Date.now();
	const error = await t.throwsAsync(stuck.client.waitForNewPid('/user/x', 7, 1600), {instanceOf: DeviceError});
	t.is(error!.kind, 'timeout');
	t.is(error!.message, 'casa: /user/x did not start again within 2 s (pid still 7)');
	t.true(Date.now() - started >= 1600, 'it waited its time');
});

test('run once whose killed run never shows: a timeout that says what the service did not do', async t => {
	// Running pid 7 before and after the POST, forever: neither stopped nor a new pid.
	const {client} = await supervisedDevice(t, () => ({status: 303}), () => statusJson('/user/x', 7));
	const error = await t.throwsAsync(client.restart('/user/x', {once: true}), {instanceOf: DeviceError});
	t.is(error!.kind, 'timeout');
	t.is(error!.message, 'casa: /user/x did not stop or start again within 10 s');
});

test('the client\'s signal ends a wait between polls at once, as cancelled', async t => {
	const controller = new AbortController();
	const device = await supervisedDevice(t, () => ({status: 303}), () => statusJson('/user/x', 7));
	const client = new DeviceClient({...targetFromUrl(`http://${device.hostPort}`), name: 'casa'}, {signal: controller.signal});
	t.teardown(() => client.close());
	const waiting = client.waitForNewPid('/user/x', 7, 60_000);
	await waitFor(() => device.seen.length >= 2, {what: 'two polls'});
	const started = Date.now();
	controller.abort();
	const error = await t.throwsAsync(waiting, {instanceOf: DeviceError});
	t.is(error!.kind, 'aborted');
	t.is(error!.message, 'casa: request cancelled');
	t.true(Date.now() - started < 1000, 'at once, not at the end of the wait');
});

test('a call\'s own signal cancels it also when the client has a signal of its own', async t => {
	const own = new AbortController();
	const device = await scriptedDevice(t, () => 'hang');
	const client = new DeviceClient({...targetFromUrl(`http://${device.hostPort}`), name: 'casa'}, {signal: own.signal, timeoutMs: 30_000});
	t.teardown(() => client.close());
	const call = new AbortController();
	const pending = client.overview(call.signal);
	await waitFor(() => device.seen.length === 1, {what: 'the request'});
	call.abort();
	const error = await t.throwsAsync(pending, {instanceOf: DeviceError});
	t.is(error!.kind, 'aborted');
});

test('reboot and power off: POSTed; a device that goes away mid-answer did what was asked; an error answer fails', async t => {
	let mode: 'ok' | 'drop' | 'fail' = 'ok';
	const {client, seen} = await scriptedDevice(t, () => (mode === 'drop' ? 'drop' : mode === 'fail' ? {status: 500, body: 'no'} : {status: 200}));
	await client.reboot();
	await client.powerOff();
	t.deepEqual(seen.map(request => `${request.method} ${request.url}`), ['POST /reboot', 'POST /poweroff']);
	mode = 'drop';
	await t.notThrowsAsync(client.reboot());
	mode = 'fail';
	const error = await t.throwsAsync(client.powerOff(), {instanceOf: DeviceError});
	t.is(error!.kind, 'http');
	t.is(error!.status, 500);
});

test('close() ends the kept-alive connection; a reboot that cannot reach the device is an error, not done', async t => {
	const {client, closed} = await scriptedDevice(t, () => json(overviewJson()));
	await client.overview();
	t.deepEqual(closed, [], 'the connection is kept alive');
	client.close();
	// At once: the server itself would drop the idle connection only after its keep-alive timeout (5 s).
	await waitFor(() => closed.length === 1, {what: 'close() to end the kept-alive connection', timeoutMs: 3000});
	const gone = new DeviceClient({...targetFromUrl('http://127.0.0.1:9'), name: 'casa'}, {timeoutMs: 2000});
	t.teardown(() => gone.close());
	const error = await t.throwsAsync(gone.reboot(), {instanceOf: DeviceError});
	t.is(error!.kind, 'unreachable');
});

test('a 401: gokrazy\'s realm or not, a password known or not, what the device said', async t => {
	const realms: Record<string, Answer> = {
		'/': {status: 401, headers: {'WWW-Authenticate': 'Basic realm="router"'}, body: 'go away'},
		'/status?path=%2Fnone': {status: 401, body: ''},
		'/status?path=%2Fwrong': {status: 401, headers: {'WWW-Authenticate': 'Basic realm="gokrazy"'}, body: 'bad password\nmore'},
		'/status?path=%2Fsilent': {status: 401, headers: {'WWW-Authenticate': 'Basic realm="gokrazy"'}},
	};
	const {client, hostPort} = await scriptedDevice(t, request => realms[request.url] ?? {status: 500}, 'secret');
	t.is((await t.throwsAsync(client.overview(), {instanceOf: DeviceError}))!.message, `casa: ${hostPort} wants a password, but it does not look like a gokrazy device (Basic realm="router")`);
	t.is((await t.throwsAsync(client.service('/none'), {instanceOf: DeviceError}))!.message, `casa: ${hostPort} wants a password, but it does not look like a gokrazy device (no realm)`);
	t.is((await t.throwsAsync(client.service('/wrong'), {instanceOf: DeviceError}))!.message, 'casa: wrong password (the device said: bad password)');
	t.is((await t.throwsAsync(client.service('/silent'), {instanceOf: DeviceError}))!.message, 'casa: wrong password (the device said: 401)');
});

test('the XSRF token: only gokrazy_xsrf, all of its value, from any of the cookies; none without one', t => {
	t.is(xsrfToken({'set-cookie': ['other_gokrazy_xsrf=evil', 'gokrazy_xsrf=abcdef123; Path=/; HttpOnly']}), 'abcdef123');
	t.is(xsrfToken({'set-cookie': ['session=1']}), undefined);
	t.is(xsrfToken({}), undefined);
	t.is(xsrfToken({'set-cookie': ['gokrazy_xsrf=; Path=/']}), '');
});

test('actOnService: each act goes to its call with its options, then waits for the new pid as long as actions wait (or reads the status once)', async t => {
	const calls: string[] = [];
	const status = (pid: number): ServiceStatus => ({path: '/user/x', stopped: false, startTime: null, pid, args: [], diverted: ''});
	const client = {
		async service(path: string) {
			calls.push(`service ${path}`);
			return status(7);
		},
		async stop(path: string, options?: {kill?: boolean}) {
			calls.push(`stop ${path} ${JSON.stringify(options)}`);
		},
		async restart(path: string, options?: {kill?: boolean; once?: boolean}) {
			calls.push(`restart ${path} ${JSON.stringify(options)}`);
		},
		async start(path: string, options?: {once?: boolean}) {
			calls.push(`start ${path} ${JSON.stringify(options)}`);
		},
		async waitForNewPid(path: string, oldPid: number, timeoutMs?: number) {
			calls.push(`wait ${path} ${oldPid} ${timeoutMs}`);
			return status(8);
		},
	};
	t.is((await actOnService(client, '/user/x', {kind: 'stop', kill: true}, {oldPid: 7})).pid, 7);
	t.is((await actOnService(client, '/user/x', {kind: 'restart', kill: true, once: false}, {oldPid: 7})).pid, 8);
	t.is((await actOnService(client, '/user/x', {kind: 'start', once: true}, {oldPid: 0, timeoutMs: 5000})).pid, 8);
	t.is((await actOnService(client, '/user/x', {kind: 'restart'}, {oldPid: 7, wait: false})).pid, 7);
	t.deepEqual(calls, [
		'stop /user/x {"kill":true}',
		'service /user/x',
		'restart /user/x {"kill":true,"once":false}',
		`wait /user/x 7 ${actionWaitMs}`,
		'start /user/x {"once":true}',
		'wait /user/x 0 5000',
		'restart /user/x {}',
		'service /user/x',
	]);
});
