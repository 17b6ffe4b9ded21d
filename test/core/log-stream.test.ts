// Log streams against the demo device over real HTTP: both streams, weird lines, quiet services, fallback, reconnects.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl, type DeviceTarget} from '../../source/core/device-target.js';
import type {LogLine} from '../../source/core/device-model.js';
import type {LogEvent, LogStream} from '../../source/core/log-stream.js';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {startProxy} from '../helpers/bad-servers.js';

let demo: DemoDevice;
let target: DeviceTarget;

test.before(async () => {
	demo = await startDemoDevice({hostname: 'casa', extraServices: ['weird', 'flood'], floodRate: 2000});
	target = {...targetFromUrl(demo.url), name: 'casa'};
});

test.after.always(async () => {
	await demo?.stop();
});

/** Collects events until `until` holds for what arrived, or the stream ends. */
async function collect(stream: LogStream, until: (lines: LogLine[], events: LogEvent[]) => boolean, timeoutMs = 10_000) {
	const lines: LogLine[] = [];
	const events: LogEvent[] = [];
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => {
			unsubscribe();
			stream.close();
			reject(new Error(`timed out with ${lines.length} lines: ${JSON.stringify(events.filter(event => event.type !== 'lines'))}`));
		}, timeoutMs);
		const unsubscribe = stream.on(event => {
			events.push(event);
			if (event.type === 'lines') {
				lines.push(...event.lines);
			}

			if (event.type === 'end' || until(lines, events)) {
				clearTimeout(timer);
				unsubscribe();
				resolve();
			}
		});
	});
	stream.close();
	return {lines, events};
}

/** The test's own request budget, not the client's 5 s default meant for people. */
const budget = {timeoutMs: 30_000};

const proxyTarget = (port: number): DeviceTarget => ({...target, url: `http://127.0.0.1:${port}`});

test('both streams arrive on one connection, each line marked with its stream', async t => {
	const client = new DeviceClient(target, budget);
	const {lines} = await collect(client.logs('/user/chatty', 'both'), seen =>
		seen.some(line => line.stream === 'stderr' && /warning/.test(line.line)) && seen.some(line => line.stream === 'stdout'));
	t.true(lines.filter(line => line.stream === 'stdout').every(line => /^chatty: tick \d+$/.test(line.line)));
	t.true(lines.some(line => line.stream === 'stderr' && /gokrazy: attempt 0, starting \["\/user\/chatty"\]$/.test(line.line)));
	client.close();
});

test('empty lines and carriage returns survive the whole client', async t => {
	const client = new DeviceClient(target, budget);
	const {lines} = await collect(client.logs('/user/weird', 'stdout'), seen => seen.some(line => line.line === 'partial...completed'));
	const texts = lines.map(line => line.line);
	t.true(texts.includes(''));
	t.true(texts.includes('with\rcarriage return'));
	t.true(texts.includes('crlf line\r'));
	t.true(texts.includes('title\u001B]0;pwned\u0007set'), 'escape sequences are data here; sanitising is the display\'s job');
	client.close();
});

test('a quiet service: following waits connected without lines; without follow it ends empty', async t => {
	const client = new DeviceClient(target, budget);
	const followed = client.logs('/gokrazy/ntp', 'stdout');
	const events: LogEvent[] = [];
	followed.on(event => events.push(event));
	await new Promise(resolve => setTimeout(resolve, 1500));
	followed.close();
	t.deepEqual(events.slice(0, 1), [{type: 'connected'}]);
	t.false(events.some(event => event.type === 'lines' || event.type === 'disconnected'));

	const once = await collect(client.logs('/gokrazy/ntp', 'stdout', {follow: false, quietMs: 500}), () => false);
	t.is(once.lines.length, 0);
	t.deepEqual(once.events.at(-1), {type: 'end', error: undefined});
	client.close();
});

test('an unknown service ends the stream with a typed error', async t => {
	const client = new DeviceClient(target, budget);
	const {events} = await collect(client.logs('/user/nope', 'both'), () => false);
	const end = events.at(-1) as {type: 'end'; error?: Error};
	t.true(end.error instanceof DeviceError);
	t.is((end.error as DeviceError).kind, 'unknown-service');
	client.close();
});

test('an init that answers 404 to stream=both is followed on two connections', async t => {
	const proxy = await startProxy(t, {host: demo.host, port: demo.port}, {
		rule(request, response) {
			if (request.url?.startsWith('/log') && request.url.includes('stream=both')) {
				response.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'});
				response.end('stream not found\n');
				return true;
			}

			return false;
		},
	});
	const client = new DeviceClient(proxyTarget(proxy.port));
	const {lines} = await collect(client.logs('/user/chatty', 'both'), seen =>
		seen.some(line => line.stream === 'stderr') && seen.some(line => line.stream === 'stdout'));
	t.true(client.noBothStream);
	t.true(proxy.requests.some(request => request.includes('stream=stdout')));
	t.true(proxy.requests.some(request => request.includes('stream=stderr')));
	t.true(lines.some(line => line.stream === 'stdout' && /tick/.test(line.line)));
	client.close();
});

test('a dropped connection reconnects, and the replayed lines are not shown twice', async t => {
	let connections = 0;
	const proxy = await startProxy(t, {host: demo.host, port: demo.port}, {
		cutAfterBytes: () => (++connections === 1 ? 120 : undefined),
	});
	const client = new DeviceClient(proxyTarget(proxy.port));
	const {lines, events} = await collect(client.logs('/user/chatty', 'stdout'), (_seen, seenEvents) =>
		seenEvents.some(event => event.type === 'disconnected') && _seen.length > 12);
	const ticks = lines.map(line => Number(/tick (\d+)/.exec(line.line)?.[1]));
	t.true(connections >= 2);
	t.deepEqual(ticks, [...ticks].sort((a, b) => a - b), 'in order');
	t.is(new Set(ticks).size, ticks.length, 'no line twice');
	for (let index = 1; index < ticks.length; index++) {
		t.is(ticks[index], ticks[index - 1]! + 1, 'no line missing');
	}

	t.false(events.some(event => event.type === 'gap'));
	client.close();
});

test('more lines than the device replays while disconnected: a gap is marked exactly when lines were lost', async t => {
	let connections = 0;
	const proxy = await startProxy(t, {host: demo.host, port: demo.port}, {
		cutAfterBytes: () => (++connections === 1 ? 4000 : undefined),
		// The reconnect is held for a second and a half: the flood (2000 lines/s) prints far more than the 100 lines
		// the device replays, unless the machine starves it.
		delayMs: request => (request.url?.startsWith('/log') && connections >= 1 ? 1500 : 0),
	});
	const client = new DeviceClient(proxyTarget(proxy.port));
	const {lines, events} = await collect(client.logs('/user/flood', 'stdout'), (_lines, seen) =>
		seen.filter(event => event.type === 'connected').length >= 2 && seen.some(event => event.type === 'lines' && seen.indexOf(event) > seen.findIndex(other => other.type === 'disconnected')));
	t.true(events.some(event => event.type === 'disconnected'));
	// What came before the cut and what came after, from the flood's own line numbers.
	const cut = events.findIndex(event => event.type === 'disconnected');
	const before = events.slice(0, cut).flatMap(event => (event.type === 'lines' ? event.lines : []));
	const after = events.slice(cut).flatMap(event => (event.type === 'lines' ? event.lines : []));
	const number = (line: LogLine) => Number(/line (\d+)/.exec(line.line)?.[1]);
	const lastBefore = number(before.at(-1)!);
	const firstAfter = number(after[0]!);
	t.true(firstAfter > lastBefore, 'no line is shown twice');
	const gap = events.some(event => event.type === 'gap');
	t.is(gap, firstAfter !== lastBefore + 1, `a gap is marked iff lines are missing (${lastBefore} → ${firstAfter})`);
	t.true(lines.length > 0);
	client.close();
});

test('the async iterator delivers batches and ends on close', async t => {
	const client = new DeviceClient(target, budget);
	const stream = client.logs('/user/flood', 'stdout', {batchMs: 50});
	let batches = 0;
	let total = 0;
	for await (const event of stream) {
		if (event.type === 'lines') {
			batches++;
			total += event.lines.length;
			if (total > 500) {
				stream.close();
			}
		}
	}

	t.true(total > 500);
	t.true(batches < total / 5, `lines arrive batched (${batches} batches for ${total} lines)`);
	client.close();
});
