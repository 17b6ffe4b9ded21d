// The fleet store over hundreds of devices (a light demo fleet): first polls spread over the interval, polls at once bounded.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {createFleetStore} from '../../source/core/fleet-store.js';
import {createPollLimiter} from '../../source/core/poll-limiter.js';
import {startLightFleet} from '../../source/demo/light-fleet.js';

test('300 devices: every one polled, at most maxConcurrentPolls at once, first polls spread over the interval', async t => {
	const fleet = await startLightFleet({count: 300, password: 'light'});
	t.teardown(() => fleet.stop());
	let inFlight = 0;
	let mostInFlight = 0;
	const firstPollAt = new Map<string, number>();
	const polls = new Map<string, number>();
	const store = createFleetStore({
		targets: fleet.devices.map((device, index) => ({...targetFromUrl(device.url), name: `light-${index}`})),
		pollIntervalMs: 3000,
		nodeExporter: null,
		maxConcurrentPolls: 6,
		clientFactory(target) {
			const client = new DeviceClient(target, {timeoutMs: 10_000});
			// Counted from the first request of a poll (the JSON overview) to its last (the HTML overview).
			const overview = client.overview.bind(client);
			const htmlOverview = client.htmlOverview.bind(client);
			client.overview = async signal => {
				inFlight++;
				mostInFlight = Math.max(mostInFlight, inFlight);
				firstPollAt.set(target.name, firstPollAt.get(target.name) ?? Date.now());
				polls.set(target.name, (polls.get(target.name) ?? 0) + 1);
				try {
					return await overview(signal);
				} catch (error) {
					inFlight--;
					throw error;
				}
			};

			client.htmlOverview = async signal => {
				try {
					return await htmlOverview(signal);
				} finally {
					inFlight--;
				}
			};

			return client;
		},
	});
	t.teardown(() => {
		store.stop();
	});
	const started = Date.now();
	store.start();
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`only ${store.getSnapshot().devices.filter(device => device.health === 'online').length} of 300 online after 60 s`)), 60_000);
		const unsubscribe = store.subscribe(snapshot => {
			if (snapshot.devices.every(device => device.health === 'online')) {
				clearTimeout(timer);
				unsubscribe();
				resolve();
			}
		});
	});
	t.true(mostInFlight <= 6, `${mostInFlight} polls ran at once`);
	t.true(mostInFlight >= 2, 'polls do run side by side');
	const starts = [...firstPollAt.values()];
	t.is(starts.length, 300);
	t.true(Math.max(...starts) - Math.min(...starts) >= 2000, 'the first polls are spread over most of the 3 s interval, not fired at once');
	t.true(Math.min(...starts) - started < 1000);
});

test('the limiter lets waiting polls through in order, and one cancelled while waiting leaves the queue', async t => {
	const limiter = createPollLimiter(1);
	const order: string[] = [];
	const first = await limiter.acquire(new AbortController().signal, 'a');
	const cancelled = new AbortController();
	const waiting = [
		limiter.acquire(new AbortController().signal, 'b').then(release => {
			order.push('b');
			release();
		}),
		limiter.acquire(cancelled.signal, 'c').then(() => order.push('c'), (error: Error) => order.push(`c: ${error.message}`)),
		limiter.acquire(new AbortController().signal, 'd').then(release => {
			order.push('d');
			release();
			release();
		}),
	];
	t.is(limiter.waiting, 3);
	cancelled.abort();
	await Promise.resolve();
	t.is(limiter.waiting, 2);
	first();
	await Promise.all(waiting);
	t.deepEqual(order, ['c: c: polling stopped', 'b', 'd']);
	t.is(limiter.active, 0, 'a slot released twice is freed once');
	t.throws(() => createPollLimiter(0), {instanceOf: RangeError});
});
