// The fleet store over hundreds of devices (a light demo fleet): first polls spread over the interval, polls at once bounded.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {createFleetStore, focusOptions, unfocusedFleetSize, unfocusedPollIntervalMs} from '../../source/core/fleet-store.js';
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

test('focus options: fleets up to 50 devices poll everything at the interval, bigger ones the devices off screen every 30 s (dashboard and wall alike)', t => {
	t.is(unfocusedFleetSize, 50);
	t.deepEqual(focusOptions(1), {});
	t.deepEqual(focusOptions(unfocusedFleetSize), {});
	t.deepEqual(focusOptions(unfocusedFleetSize + 1), {unfocusedPollIntervalMs: 30_000});
	t.is(unfocusedPollIntervalMs, 30_000);
});

test('focus: the devices on screen are polled at the interval, the others at the unfocused interval; one coming into view is polled at once', async t => {
	const fleet = await startLightFleet({count: 12, password: 'light'});
	t.teardown(() => fleet.stop());
	const polls = new Map<string, number[]>();
	const store = createFleetStore({
		targets: fleet.devices.map((device, index) => ({...targetFromUrl(device.url), name: `light-${index}`})),
		pollIntervalMs: 300,
		unfocusedPollIntervalMs: 60_000,
		nodeExporter: null,
		clientFactory(target) {
			const client = new DeviceClient(target, {timeoutMs: 10_000});
			const overview = client.overview.bind(client);
			client.overview = async signal => {
				polls.set(target.name, [...(polls.get(target.name) ?? []), Date.now()]);
				return overview(signal);
			};

			return client;
		},
	});
	t.teardown(() => {
		store.stop();
	});
	const count = (name: string, since: number) => (polls.get(name) ?? []).filter(time => time >= since).length;
	const waitUntil = async (condition: () => boolean, what: string) => {
		for (const started = Date.now(); !condition(); ) {
			if (Date.now() - started > 30_000) {
				throw new Error(`not within 30 s: ${what}`);
			}

			await new Promise(resolve => {
				setTimeout(resolve, 20);
			});
		}
	};

	store.start();
	// Before any focus is set, every device is polled at the interval.
	await waitUntil(() => store.getSnapshot().devices.every(device => (polls.get(device.name)?.length ?? 0) >= 2), 'two polls of every device');
	store.setFocus(['light-0', 'light-1']);
	const focusedAt = Date.now();
	// Six more polls of a device on screen: those off screen have had at most the one already scheduled.
	await waitUntil(() => count('light-0', focusedAt) >= 6 && count('light-1', focusedAt) >= 6, 'six polls of the devices on screen');
	for (let index = 2; index < 12; index++) {
		t.true(count(`light-${index}`, focusedAt) <= 1, `light-${index} polled ${count(`light-${index}`, focusedAt)} times while off screen`);
	}

	// Scrolled into view: polled at once (not after the 60 s interval), then at the interval.
	const scrolledAt = Date.now();
	store.setFocus(['light-1', 'light-7']);
	await waitUntil(() => count('light-7', scrolledAt) >= 6, 'light-7 polled at the interval once in view');
	// light-7 had six polls, 300 ms apart: light-0 at the interval would have had four or more in that time.
	t.true(count('light-0', scrolledAt + 400) <= 1, `light-0, gone from view, polled ${count('light-0', scrolledAt + 400)} times`);
	// No focus: everything at the interval again.
	const allAt = Date.now();
	store.setFocus(null);
	await waitUntil(() => count('light-5', allAt) >= 2, 'light-5 polled again once everything is in focus');
	t.true(count('light-5', allAt) >= 2);
});

test('devices added while running (Prometheus\'s discovery) join the snapshot after the others and are polled from then on', async t => {
	const fleet = await startLightFleet({count: 3, password: 'light'});
	t.teardown(() => fleet.stop());
	const target = (index: number, name = `light-${index}`) => ({...targetFromUrl(fleet.devices[index]!.url), name});
	const store = createFleetStore({targets: [target(0)], pollIntervalMs: 200, nodeExporter: null});
	t.teardown(() => {
		store.stop();
	});
	const online = async (count: number) => new Promise<string[]>((resolve, reject) => {
		const check = () => {
			const devices = store.getSnapshot().devices;
			if (devices.length === count && devices.every(device => device.health === 'online')) {
				resolve(devices.map(device => device.name));
				return true;
			}

			return false;
		};

		if (check()) {
			return;
		}

		const timer = setTimeout(() => reject(new Error(`not ${count} online: ${store.getSnapshot().devices.map(device => `${device.name} ${device.health}`).join(', ')}`)), 30_000);
		const unsubscribe = store.subscribe(() => {
			if (check()) {
				clearTimeout(timer);
				unsubscribe();
			}
		});
	});
	store.start();
	t.deepEqual(await online(1), ['light-0']);
	// A second device, and a third whose name is taken already: it gets #2, as at start.
	t.deepEqual(store.addTargets([target(1), target(2, 'light-0')]), ['light-1', 'light-0#2']);
	t.deepEqual(await online(3), ['light-0', 'light-1', 'light-0#2']);
	t.is(store.device('light-0#2')!.url, targetFromUrl(fleet.devices[2]!.url).url);
	store.stop();
	t.deepEqual(store.addTargets([target(1, 'late')]), [], 'a stopped store takes no more devices');
});
