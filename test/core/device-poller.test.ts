// One device's polling loop against the demo device: back-off while it is away, recovery, and one request at a time.
import http from 'node:http';
import test from 'ava';
import {waitFor} from '../helpers/wait-for.js';
import {DeviceClient} from '../../source/core/device-client.js';
import {DevicePoller, type FleetClient, type PollResult} from '../../source/core/device-poller.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {startDemoDevice} from '../../source/demo/demo-device.js';

async function until<T>(read: () => T | undefined, timeoutMs = 15_000): Promise<T> {
	return waitFor(read, {timeoutMs, intervalMs: 20});
}

test('the back-off doubles the interval per failure up to its cap', t => {
	t.is(DevicePoller.backoffMs(2000, 0), 2000);
	t.is(DevicePoller.backoffMs(2000, 1), 4000);
	t.is(DevicePoller.backoffMs(2000, 3), 16_000);
	t.is(DevicePoller.backoffMs(2000, 4), 30_000);
	t.is(DevicePoller.backoffMs(2000, 40), 30_000);
});

test('a device whose API goes away is retried with growing delays and recovers by itself', async t => {
	const demo = await startDemoDevice();
	t.teardown(() => demo.stop());
	const results: PollResult[] = [];
	const poller = new DevicePoller({
		client: new DeviceClient(targetFromUrl(demo.url, 'demo'), {timeoutMs: 1000}),
		intervalMs: 100,
		maxBackoffMs: 400,
		nodeExporter: null,
		onResult: result => results.push(result),
	});
	poller.start();
	t.teardown(() => poller.stop());
	const first = await until(() => results.find(result => result.ok));
	t.true(first.ok && first.overview.services.some(service => service.path === '/user/golink'));
	t.true(first.ok && first.html !== null && first.html.rss.size > 0, 'the HTML overview brings RSS figures');

	await demo.closeHttp();
	const failures = await until(() => {
		const failed = results.filter(result => !result.ok);
		return failed.length >= 4 ? failed : undefined;
	});
	t.deepEqual(failures.slice(0, 4).map(result => (result.ok ? 0 : result.nextAttemptInMs)), [200, 400, 400, 400]);
	t.true(failures.every(result => !result.ok && result.error.kind === 'unreachable'));
	t.regex(failures[0].ok ? '' : failures[0].error.message, /^demo: /);

	const before = results.length;
	await demo.reopenHttp();
	await until(() => results.slice(before).find(result => result.ok));
	t.is(poller.consecutiveFailures, 0);
});

test('never more than one request in flight, however often a poll is asked for', async t => {
	let inFlight = 0;
	let maxInFlight = 0;
	let calls = 0;
	const demo = await startDemoDevice();
	t.teardown(() => demo.stop());
	const real = new DeviceClient(targetFromUrl(demo.url, 'demo'));
	// The real client, slowed down and counted.
	const client: FleetClient = Object.assign(Object.create(real) as DeviceClient, {
		async overview(signal?: AbortSignal) {
			inFlight++;
			calls++;
			maxInFlight = Math.max(maxInFlight, inFlight);
			try {
				await new Promise(resolve => setTimeout(resolve, 150));
				if (signal?.aborted) {
					throw new Error('stopped');
				}

				return await real.overview(signal);
			} finally {
				inFlight--;
			}
		},
	});
	const results: PollResult[] = [];
	const poller = new DevicePoller({client, intervalMs: 50, html: false, nodeExporter: null, onResult: result => results.push(result)});
	poller.start();
	t.teardown(() => poller.stop());
	const timer = setInterval(() => poller.pollNow(), 5);
	t.teardown(() => clearInterval(timer));
	await until(() => (results.length >= 5 ? true : undefined));
	clearInterval(timer);
	t.is(maxInFlight, 1);
	t.true(calls >= 5);
	t.true(results.every(result => result.ok));
});

test('a device that answers garbage is a bad answer, not a crash', async t => {
	const server = http.createServer((_request, response) => {
		response.writeHead(200, {'content-type': 'application/json'});
		response.end('{"Services": "not a list", garbage');
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => server.close());
	const {port} = server.address() as {port: number};
	const results: PollResult[] = [];
	const poller = new DevicePoller({
		client: new DeviceClient(targetFromUrl(`http://gokrazy:pw@127.0.0.1:${port}`, 'junk')),
		intervalMs: 100,
		nodeExporter: null,
		onResult: result => results.push(result),
	});
	poller.start();
	t.teardown(() => poller.stop());
	const failure = await until(() => results.find(result => !result.ok));
	t.false(failure.ok);
	if (!failure.ok) {
		t.is(failure.error.kind, 'not-gokrazy');
		t.regex(failure.error.message, /^junk: /);
	}
});
