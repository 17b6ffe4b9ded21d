// The fleet's stderr pane source: one follower per service, replays trimmed, lost lines marked, a real demo device too.
import test from 'ava';
import {waitFor as waitForValue} from '../helpers/wait-for.js';
import {createFleetStore, type FleetSnapshot} from '../../source/core/fleet-store.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {LogBuffer, type LogFollower, type LogFollowerState} from '../../source/core/log-buffer.js';
import {startDemoDevice} from '../../source/demo/demo-device.js';
import {FleetStderr} from '../../source/wall/fleet-stderr.js';
import {device, service} from './wall-fixtures.js';

type FakeFollower = {
	follower: LogFollower;
	push(lines: readonly string[]): void;
	end(): void;
	closed: boolean;
	options: {stream?: string} | undefined;
};

/** Followers over real LogBuffers that a test fills by hand. */
function fakeSource() {
	const opened = new Map<string, FakeFollower[]>();
	const source = {
		openLog(deviceName: string, path: string, options?: {stream?: string}): LogFollower {
			const buffer = new LogBuffer(128);
			const listeners = new Set<(state: LogFollowerState) => void>();
			let state: LogFollowerState = {connected: true, error: null, ended: false, received: 0, version: 0};
			const fake: FakeFollower = {
				closed: false,
				options,
				follower: {
					buffer,
					getState: () => state,
					subscribe(listener) {
						listeners.add(listener);
						return () => listeners.delete(listener);
					},
					close() {
						fake.closed = true;
					},
				},
				push(lines) {
					buffer.appendLines(lines.map(line => ({stream: 'stderr', line})));
					state = {...state, received: state.received + lines.length, version: state.version + 1};
					for (const listener of listeners) {
						listener(state);
					}
				},
				end() {
					state = {...state, ended: true, connected: false, version: state.version + 1};
				},
			};
			const key = `${deviceName} ${path}`;
			opened.set(key, [...(opened.get(key) ?? []), fake]);
			return fake.follower;
		},
	};
	const latest = (deviceName: string, path: string) => opened.get(`${deviceName} ${path}`)?.at(-1);
	return {source, opened, latest};
}

const snapshotOf = (...devices: ReturnType<typeof device>[]): FleetSnapshot => ({devices, version: 1});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
	await waitForValue(check, {timeoutMs, intervalMs: 10});
}

const lines = (count: number, prefix = 'line') => Array.from({length: count}, (_, index) => `${prefix} ${index + 1}`);

test('a new follower’s replay shows only its newest lines; later lines all arrive, named by device and service', async t => {
	const {source, latest} = fakeSource();
	const stderr = new FleetStderr(source, {settleMs: 30, notifyMs: 5});
	t.teardown(() => {
		stderr.close();
	});
	stderr.sync(snapshotOf(device({services: [service('/user/golink')]})));
	const golink = latest('casa', '/user/golink')!;
	t.deepEqual(golink.options, {stream: 'stderr', capacity: 128, notifyMs: 100});
	golink.push(lines(50, 'old'));
	await waitFor(() => stderr.entries().length === 3);
	t.deepEqual(stderr.entries().map(entry => entry.text), ['old 48', 'old 49', 'old 50']);
	golink.push(['new 1', 'new 2']);
	await waitFor(() => stderr.entries().length === 5);
	const last = stderr.entries().at(-1)!;
	t.like(last, {device: 'casa', service: 'golink', kind: 'line', text: 'new 2'});
	t.true(stderr.entries().every((entry, index, all) => index === 0 || entry.seq > all[index - 1].seq));
});

test('the replay is shown when its settle timer fires, whatever the wall clock says then (under load it lags the timer)', async t => {
	const {source, latest} = fakeSource();
	// A clock that does not move: when the settle timer fires, the wall clock says no time has passed since the first
	// lines, as Date.now() can under load (the timer runs on libuv's loop time, read at the start of a busy turn).
	const stderr = new FleetStderr(source, {settleMs: 30, notifyMs: 5, now: () => 1_000_000});
	t.teardown(() => {
		stderr.close();
	});
	stderr.sync(snapshotOf(device({services: [service('/user/golink')]})));
	latest('casa', '/user/golink')!.push(lines(50, 'old'));
	await waitFor(() => stderr.entries().length === 3);
	t.deepEqual(stderr.entries().map(entry => entry.text), ['old 48', 'old 49', 'old 50']);
});

test('lines the follower’s ring lost before they were taken are marked as a gap', async t => {
	const {source, latest} = fakeSource();
	const stderr = new FleetStderr(source, {settleMs: 0, notifyMs: 5});
	t.teardown(() => {
		stderr.close();
	});
	stderr.sync(snapshotOf(device({services: [service('/user/flood')]})));
	const flood = latest('casa', '/user/flood')!;
	flood.push(['first']);
	await waitFor(() => stderr.entries().length === 1);
	flood.push(lines(300));
	await waitFor(() => stderr.entries().some(entry => entry.text === 'line 300'));
	const gap = stderr.entries().find(entry => entry.kind === 'gap');
	t.like(gap, {kind: 'gap', text: '172 lines not shown', service: 'flood'});
});

test('only online devices’ services are followed, and a service that disappears is let go', t => {
	const {source, latest, opened} = fakeSource();
	const stderr = new FleetStderr(source);
	t.teardown(() => {
		stderr.close();
	});
	const services = [service('/user/a'), service('/user/b')];
	stderr.sync(snapshotOf(device({health: 'unreachable', services})));
	t.is(opened.size, 0);
	stderr.sync(snapshotOf(device({services})));
	t.is(stderr.following, 2);
	stderr.sync(snapshotOf(device({services: [services[0]]})));
	t.is(stderr.following, 1);
	t.true(latest('casa', '/user/b')!.closed);
	t.false(latest('casa', '/user/a')!.closed);
	// Going offline keeps following (the log stream reconnects by itself).
	stderr.sync(snapshotOf(device({health: 'unreachable', services: [services[0]]})));
	t.is(stderr.following, 1);
	stderr.close();
	t.true(latest('casa', '/user/a')!.closed);
	t.is(stderr.following, 0);
});

test('a follower that ended is tried again only after a rest', t => {
	const {source, opened, latest} = fakeSource();
	let now = 1000;
	const stderr = new FleetStderr(source, {reopenMs: 30_000, now: () => now});
	t.teardown(() => {
		stderr.close();
	});
	const snapshot = snapshotOf(device({services: [service('/user/a')]}));
	stderr.sync(snapshot);
	latest('casa', '/user/a')!.end();
	stderr.sync(snapshot);
	t.is(stderr.following, 0);
	now += 10_000;
	stderr.sync(snapshot);
	t.is(opened.get('casa /user/a')!.length, 1);
	now += 25_000;
	stderr.sync(snapshot);
	t.is(opened.get('casa /user/a')!.length, 2);
	t.is(stderr.following, 1);
});

test('beyond the follower limit, services show the newest stderr line the poll saw, once per change', async t => {
	const {source} = fakeSource();
	const stderr = new FleetStderr(source, {maxFollowers: 1, notifyMs: 5});
	t.teardown(() => {
		stderr.close();
	});
	const withLine = (line: string) => snapshotOf(device({services: [service('/user/a'), service('/user/b', {lastLog: {stderr: line}})]}));
	stderr.sync(withLine('b: oops'));
	t.is(stderr.following, 1);
	stderr.sync(withLine('b: oops'));
	stderr.sync(withLine('b: oops again'));
	t.deepEqual(stderr.entries().map(entry => `${entry.service}: ${entry.text}`), ['b: b: oops', 'b: b: oops again']);
});

test('the pane keeps at most its capacity of lines', async t => {
	const {source, latest} = fakeSource();
	const stderr = new FleetStderr(source, {capacity: 10, settleMs: 0, replayLines: 100, notifyMs: 5});
	t.teardown(() => {
		stderr.close();
	});
	stderr.sync(snapshotOf(device({services: [service('/user/a')]})));
	latest('casa', '/user/a')!.push(lines(25));
	await waitFor(() => stderr.entries().at(-1)?.text === 'line 25');
	t.is(stderr.entries().length, 10);
	t.is(stderr.entries(3).length, 3);
	t.is(stderr.entries(3).at(-1)!.text, 'line 25');
});

test('listeners hear of new lines, batched', async t => {
	const {source, latest} = fakeSource();
	const stderr = new FleetStderr(source, {settleMs: 0, notifyMs: 20});
	t.teardown(() => {
		stderr.close();
	});
	let heard = 0;
	stderr.subscribe(() => {
		heard++;
	});
	stderr.sync(snapshotOf(device({services: [service('/user/a')]})));
	const a = latest('casa', '/user/a')!;
	a.push(['x']);
	await waitFor(() => heard === 1);
	a.push(['y']);
	a.push(['z']);
	await waitFor(() => heard >= 2);
	await new Promise(resolve => setTimeout(resolve, 60));
	t.is(heard, 2);
	t.is(stderr.version, 3);
});

test('real demo device: its services’ stderr lines arrive through the store, prefixed with the device', async t => {
	const demo = await startDemoDevice();
	t.teardown(async () => demo.stop());
	const store = createFleetStore({targets: [targetFromUrl(demo.url, 'demo')], pollIntervalMs: 300, nodeExporter: null, readonly: true});
	const stderr = new FleetStderr(store, {settleMs: 200});
	store.subscribe(snapshot => {
		stderr.sync(snapshot);
	});
	t.teardown(() => {
		stderr.close();
		store.stop();
	});
	store.start();
	await waitFor(() => stderr.following === 8, 10_000);
	// chatty warns on stderr every few seconds, counting up.
	await waitFor(() => stderr.entries().filter(entry => /slow upstream/.test(entry.text)).length >= 2, 20_000);
	const chatty = stderr.entries().filter(entry => /slow upstream/.test(entry.text));
	t.true(chatty.every(entry => entry.device === 'demo' && entry.service === 'chatty' && entry.kind === 'line'));
	const counts = chatty.map(entry => Number(/\((\d+)\)/.exec(entry.text)?.[1]));
	t.true(counts.every((count, index) => index === 0 || count > counts[index - 1]), JSON.stringify(counts));
	// The init's own lines about a service go to that service's stderr too.
	t.true(stderr.entries().some(entry => /gokrazy: attempt \d+, starting/.test(entry.text)));
});
