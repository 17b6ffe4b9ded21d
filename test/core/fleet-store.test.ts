// The fleet store against real demo devices: health, history, actions with their new pid, crash loops, logs, failures.
import net from 'node:net';
import test from 'ava';
import {waitFor} from '../helpers/wait-for.js';
import {DeviceClient} from '../../source/core/device-client.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {createFleetStore, type DeviceSnapshot, type FleetSnapshot, type FleetStore} from '../../source/core/fleet-store.js';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {startNodeExporter} from '../helpers/node-exporter.js';
import {scriptedFleet} from '../ui/scripted-fleet.js';

async function until<T>(read: () => T | undefined | false, timeoutMs = 20_000, what = 'a condition'): Promise<T> {
	return waitFor(read, {timeoutMs, what});
}

function storeFor(demo: DemoDevice, options: Partial<Parameters<typeof createFleetStore>[0]> = {}): FleetStore {
	const store = createFleetStore({
		targets: [targetFromUrl(demo.url, 'demo')],
		pollIntervalMs: 250,
		notifyMs: 20,
		nodeExporter: null,
		// The test's own budget for an action's new pid, not the default meant for people at the dashboard.
		actionTimeoutMs: 60_000,
		...options,
	});
	store.start();
	return store;
}

const device = (store: FleetStore, name = 'demo'): DeviceSnapshot => store.device(name)!;
const service = (store: FleetStore, path: string) => device(store).services.find(entry => entry.path === path);

test('an online device: services with pids, RSS and last lines from the HTML page, memory history in a ring', async t => {
	const demo = await startDemoDevice();
	const store = storeFor(demo);
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	const notifications: Array<{snapshot: FleetSnapshot; changed: ReadonlySet<string>; urgent: boolean}> = [];
	store.subscribe((snapshot, changed, urgent) => notifications.push({snapshot, changed, urgent}));
	await until(() => device(store).memoryHistory.values.length >= 3, 20_000, 'three polls');
	const snapshot = device(store);
	t.is(snapshot.health, 'online');
	t.is(snapshot.overview?.hostname, demo.hostname);
	t.is(snapshot.url, demo.baseUrl);
	t.false(snapshot.url.includes(demo.password));
	t.true(snapshot.memory!.used > 0 && snapshot.memory!.used <= snapshot.memory!.total);
	t.is(snapshot.memoryHistory.source, 'gokrazy-json');
	const golink = service(store, '/user/golink')!;
	t.true(golink.status.pid > 0);
	t.true(golink.rss !== null && golink.rss > 0, 'RSS comes from the HTML overview');
	t.is(golink.rssHistory.source, 'gokrazy-html');
	t.is(service(store, '/user/breakglass')?.state, 'stopped');
	t.true(snapshot.counts.running + snapshot.counts.restarting >= 5);
	t.true(notifications.every(entry => entry.changed.has('demo')));
	// Coming online is news (drawn at once); more samples are not (the dashboard draws them at most once a second).
	const urgent = notifications.filter(entry => entry.urgent);
	t.is(urgent.length, 1, notifications.map(entry => String(entry.urgent)).join(' '));
	t.is(urgent[0]!.snapshot.devices[0]!.health, 'online');
	// Immutable snapshots: an unchanged device keeps its object until the next poll.
	t.is(store.device('demo'), store.device('demo'));
	t.true(Object.isFrozen(snapshot));
});

test('restart shows "restarting…" at once, then the new pid; the row counts as running, not as a crash', async t => {
	const demo = await startDemoDevice();
	const store = storeFor(demo);
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	await until(() => (service(store, '/user/golink')?.status.pid ?? 0) > 0);
	const oldPid = service(store, '/user/golink')!.status.pid;
	const urgent: boolean[] = [];
	store.subscribe((_snapshot, _changed, isUrgent) => urgent.push(isUrgent));
	const outcome = store.runServiceAction('demo', '/user/golink', 'restart');
	const pending = await until(() => (service(store, '/user/golink')?.action?.phase === 'pending' ? service(store, '/user/golink') : undefined), 5000, 'the pending action');
	t.is(pending.action?.text, 'restarting…');
	const [first] = await until(() => urgent.length > 0 && urgent, 5000, 'the action published');
	t.true(first, 'the action\'s first news is urgent (drawn at once)');
	const result = await outcome;
	t.true(result.ok, result.message);
	const after = service(store, '/user/golink')!;
	t.not(after.status.pid, oldPid);
	t.is(after.action?.phase, 'done');
	t.is(after.action?.text, `restarted: pid ${oldPid} → ${after.status.pid}`);
	// Without waiting for a poll, and without the web UI's 5 s "restarting" rule.
	const settled = await until(() => service(store, '/user/golink')?.state === 'running' ? service(store, '/user/golink') : undefined, 5000, 'running');
	t.is(settled.restartsInWindow, 0);
	t.true(demo.livePids().includes(after.status.pid));
});

test('stop then start: stopped, then running with a new pid', async t => {
	const demo = await startDemoDevice();
	const store = storeFor(demo);
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	await until(() => (service(store, '/user/chatty')?.status.pid ?? 0) > 0);
	const oldPid = service(store, '/user/chatty')!.status.pid;
	const stopped = await store.runServiceAction('demo', '/user/chatty', 'stop');
	t.true(stopped.ok, stopped.message);
	t.is(service(store, '/user/chatty')?.state, 'stopped');
	t.is(service(store, '/user/chatty')?.action?.text, 'stopped');
	const started = await store.runServiceAction('demo', '/user/chatty', 'start');
	t.true(started.ok, started.message);
	t.not(service(store, '/user/chatty')?.status.pid, oldPid);
	t.is(service(store, '/user/chatty')?.state, 'running');
});

test('a service that restarts again and again is crash-looping', async t => {
	const demo = await startDemoDevice({crashAfterMs: 200});
	const store = storeFor(demo, {crashLoop: {restarts: 3, windowMs: 60_000}});
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	const crasher = await until(() => (service(store, '/user/crasher')?.state === 'crash-looping' ? service(store, '/user/crasher') : undefined), 30_000, 'crash-looping');
	t.true(crasher.restartsInWindow >= 3);
	t.true(device(store).counts.crashLooping >= 1);
	t.not(service(store, '/user/golink')?.state, 'crash-looping');
});

test('a device whose API goes away is unreachable with its last data kept, and comes back by itself', async t => {
	const demo = await startDemoDevice();
	const store = storeFor(demo, {maxBackoffMs: 500});
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	await until(() => device(store).health === 'online');
	await demo.closeHttp();
	const down = await until(() => (device(store).health === 'unreachable' ? device(store) : undefined), 15_000, 'unreachable');
	t.true(down.stale);
	t.not(down.overview, null);
	t.true(down.services.length > 0);
	t.not(down.lastSeen, null);
	t.regex(down.error!, /^demo: /);
	t.true(down.consecutiveFailures >= 1);
	await demo.reopenHttp();
	const up = await until(() => (device(store).health === 'online' ? device(store) : undefined), 15_000, 'online again');
	t.false(up.stale);
	t.is(up.error, null);
});

test('a device that never answers does not hold up the others', async t => {
	const demo = await startDemoDevice();
	// Accepts connections and says nothing: the worst kind of device.
	const sockets = new Set<net.Socket>();
	const silent = net.createServer(socket => {
		sockets.add(socket);
	});
	await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
	const {port} = silent.address() as net.AddressInfo;
	const store = createFleetStore({
		targets: [targetFromUrl(`http://gokrazy:pw@127.0.0.1:${port}`, 'silent'), targetFromUrl(demo.url, 'demo')],
		pollIntervalMs: 200,
		notifyMs: 20,
		nodeExporter: null,
		// The silent device's first request waits 15 s; the demo must be polled several times meanwhile, however slow
		// the machine is (8 s was not always enough for four polls on the 2-core machine under a full load).
		clientFactory: target => new DeviceClient(target, {timeoutMs: 15_000}),
	});
	store.start();
	t.teardown(async () => {
		store.stop();
		for (const socket of sockets) {
			socket.destroy();
		}

		silent.close();
		await demo.stop();
	});
	// While the silent device's first request is still waiting, the demo has been polled several times.
	await until(() => device(store).memoryHistory.values.length >= 4, 14_000, 'demo polls');
	t.is(device(store, 'silent').health, 'connecting');
	const silentDown = await until(() => (device(store, 'silent').health === 'unreachable' ? device(store, 'silent') : undefined), 30_000);
	t.regex(silentDown.error!, /no answer/);
	t.is(device(store).health, 'online');
});

test('logs: a followed service fills a bounded buffer', async t => {
	const demo = await startDemoDevice();
	const store = storeFor(demo);
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	await until(() => device(store).health === 'online');
	const follower = store.openLog('demo', '/user/chatty', {capacity: 50});
	t.teardown(() => follower.close());
	await until(() => follower.buffer.entries().some(entry => entry.kind === 'line' && entry.stream === 'stderr' && entry.text.includes('chatty: warning')), 15_000, 'a stderr line');
	t.true(follower.buffer.entries().some(entry => entry.kind === 'line' && entry.stream === 'stdout' && entry.text.startsWith('chatty: tick')));
	t.true(follower.getState().connected);
	t.true(follower.buffer.size <= 50);
});

test('node exporter figures: CPU %, load and network rates from a real prometheus-node-exporter', async t => {
	const demo = await startDemoDevice();
	const exporter = await startNodeExporter();
	// On a port of its own, as a saved device's --node-exporter or its gok flags say: no locator option needed.
	const store = storeFor(demo, {targets: [{...targetFromUrl(demo.url, 'demo'), nodeExporterUrl: exporter.url}], nodeExporter: undefined});
	t.teardown(async () => {
		store.stop();
		await exporter.stop();
		await demo.stop();
	});
	const node = await until(() => {
		const current = device(store).node;
		return current && current.cpuPercent.values.filter(value => value !== null).length >= 2 ? current : undefined;
	}, 20_000, 'two CPU figures');
	t.is(node.state, 'present');
	t.is(node.cpuPercent.source, 'node-exporter');
	t.true(node.cpuPercent.latest! >= 0 && node.cpuPercent.latest! <= 100);
	t.not(node.load1.latest, null);
	t.true(node.cpuCount >= 1);
	await exporter.stop();
	const failing = await until(() => (device(store).node?.state === 'failing' ? device(store).node : undefined), 15_000, 'failing exporter');
	t.regex(failing!.error!, /node_exporter/);
	t.is(device(store).health, 'online', 'a missing exporter does not make the device unhealthy');
});

test('no node exporter: the figures are absent, not an error', async t => {
	const demo = await startDemoDevice();
	const store = storeFor(demo, {nodeExporter: () => 'http://127.0.0.1:9/metrics'});
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	const node = await until(() => device(store).node ?? undefined);
	t.is(node.state, 'absent');
	t.is(node.error, null);
	t.is(device(store).health, 'online');
});

test('read-only refuses every action without asking the device', async t => {
	const {store, devices} = scriptedFleet(['casa'], {readonly: true});
	t.teardown(() => store.stop());
	await until(() => store.device('casa')?.health === 'online');
	const outcome = await store.runServiceAction('casa', '/user/golink', 'restart');
	t.false(outcome.ok);
	t.regex(outcome.message, /read-only/);
	const power = await store.runPowerAction('casa', 'reboot');
	t.false(power.ok);
	t.deepEqual(devices.get('casa')!.actions, []);
});

test('a service that disappears between polls leaves the list; a failed action says why on the row', async t => {
	const {store, devices} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	await until(() => store.device('casa')?.services.some(entry => entry.path === '/user/weird'));
	const casa = devices.get('casa')!;
	casa.overviewData = {...casa.overviewData, services: casa.overviewData.services.filter(entry => entry.path !== '/user/weird')};
	await until(() => !store.device('casa')?.services.some(entry => entry.path === '/user/weird'), 5000, 'weird gone');
	t.true(store.device('casa')!.services.some(entry => entry.path === '/user/golink'));
	const outcome = await store.runServiceAction('casa', '/user/weird', 'restart');
	t.false(outcome.ok);
	t.regex(outcome.message, /^casa: /);
});

test('reboot: "rebooting…" until the device was away and answers again', async t => {
	const demo = await startDemoDevice({rebootDowntimeMs: 1500});
	const store = storeFor(demo, {maxBackoffMs: 300});
	t.teardown(async () => {
		store.stop();
		await demo.stop();
	});
	await until(() => device(store).health === 'online');
	const outcome = await store.runPowerAction('demo', 'reboot');
	t.true(outcome.ok, outcome.message);
	t.is(device(store).power?.text, 'rebooting…');
	const back = await until(() => (device(store).power?.text.startsWith('back after reboot') ? device(store) : undefined), 30_000, 'back after reboot');
	t.is(back.health, 'online');
});

test('--timeout reaches every request of the store\'s own clients', async t => {
	const sockets = new Set<net.Socket>();
	const silent = net.createServer(socket => {
		sockets.add(socket);
	});
	await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
	const {port} = silent.address() as net.AddressInfo;
	const store = createFleetStore({targets: [targetFromUrl(`http://127.0.0.1:${port}`, 'silent')], pollIntervalMs: 200, notifyMs: 20, nodeExporter: null, timeoutMs: 1500});
	store.start();
	t.teardown(() => {
		store.stop();
		for (const socket of sockets) {
			socket.destroy();
		}

		silent.close();
	});
	// The message says how long the client waited: 1.5 s, not the client's default of 5 s.
	const down = await until(() => (device(store, 'silent').health === 'unreachable' ? device(store, 'silent') : undefined), 20_000, 'the timeout');
	t.regex(down.error!, /no answer from 127\.0\.0\.1:\d+ after 1\.5 s/);
});
