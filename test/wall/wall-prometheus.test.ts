// The wall's charts with Prometheus: an hour of Prometheus's points, then the store's newer samples thinned to the same
// step; the store in front of the fleet store hands the wall snapshots with that history, device after device.
import test from 'ava';
import fc from 'fast-check';
import type {DeviceSnapshot, FleetSnapshot, FleetStore} from '../../source/core/fleet-store.js';
import type {MetricSeries} from '../../source/core/metric-ring.js';
import type {DeviceAlert} from '../../source/core/prometheus/fleet-view.js';
import type {DeviceHistory, HistorySeries} from '../../source/core/prometheus/history.js';
import {mergeSeries, prometheusWallStore, withHistory} from '../../source/wall/wall-prometheus.js';

function ring(times: number[], values: number[]): MetricSeries {
	return {values, times, latest: values.at(-1) ?? null, source: 'gokrazy-json', unit: 'bytes', capacity: 150};
}

function history(times: number[], values: number[], stepMs = 15_000): HistorySeries {
	return {values, times, latest: values.at(-1) ?? null, unit: 'bytes', source: 'prometheus', query: 'q', stepMs};
}

test('Prometheus\'s points come first, then only the store\'s samples one step apart (and the newest)', t => {
	const merged = mergeSeries(ring([100_000, 102_000, 104_000, 116_000, 130_000, 131_000], [1, 2, 3, 4, 5, 6]), history([70_000, 85_000, 100_000], [10, 20, 30]));
	t.deepEqual(merged.times, [70_000, 85_000, 100_000, 116_000, 131_000]);
	t.deepEqual(merged.values, [10, 20, 30, 4, 6]);
	t.is(merged.latest, 6);
	t.is(merged.source, 'gokrazy-json');
	// No history: the ring as it is.
	const alone = ring([1, 2], [3, 4]);
	t.is(mergeSeries(alone, null), alone);
});

test('merged times only ever increase, whatever the two series hold', t => {
	t.notThrows(() => fc.assert(fc.property(
		fc.array(fc.integer({min: 0, max: 10_000}), {maxLength: 60}),
		fc.array(fc.integer({min: 0, max: 10_000}), {maxLength: 60}),
		fc.integer({min: 1, max: 500}),
		(ringTimes, historyTimes, step) => {
			const sortedRing = [...new Set(ringTimes)].sort((a, b) => a - b);
			const sortedHistory = [...new Set(historyTimes)].sort((a, b) => a - b);
			const merged = mergeSeries(ring(sortedRing, sortedRing), history(sortedHistory, sortedHistory, step));
			return merged.times.every((time, index) => index === 0 || time > merged.times[index - 1]!) && merged.times.length === merged.values.length;
		},
	)));
});

const device = (name: string): DeviceSnapshot => ({name, memoryHistory: ring([200_000], [7]), node: null} as unknown as DeviceSnapshot);

/** The fleet store in front of which the wall's store sits: casa and shed, and its listeners for a test to call. */
function fakeStore() {
	const listeners: Array<(snapshot: FleetSnapshot, changed: ReadonlySet<string>, urgent: boolean) => void> = [];
	const source: FleetSnapshot = {devices: [device('casa'), device('shed')], version: 1};
	const store: Pick<FleetStore, 'subscribe' | 'getSnapshot'> = {
		getSnapshot: () => source,
		subscribe(listener) {
			listeners.push(listener);
			return () => undefined;
		},
	};
	return {listeners, source, store};
}

test('the wall\'s store: snapshots carry each device\'s history as it arrives; a device that fails is a problem, not a stop', async t => {
	const {listeners, source, store} = fakeStore();
	const answer = {memoryUsed: history([150_000, 165_000], [1, 2]), cpuPercent: null, serviceRss: new Map()} as unknown as DeviceHistory;
	const wall = prometheusWallStore(store, async asked => {
		if (asked.name === 'shed') {
			throw new Error('prometheus 127.0.0.1:9: not reachable');
		}

		return answer;
	});
	const seen: FleetSnapshot[] = [];
	wall.subscribe(snapshot => seen.push(snapshot));
	t.is(wall.getSnapshot().devices[0], source.devices[0], 'before any history: the store\'s own devices');
	wall.start();
	t.teardown(() => wall.stop());
	await new Promise(resolve => setTimeout(resolve, 50));
	const casa = wall.getSnapshot().devices.find(entry => entry.name === 'casa')!;
	t.deepEqual(casa.memoryHistory.times, [150_000, 165_000, 200_000]);
	t.is(wall.getSnapshot(), wall.getSnapshot(), 'the same snapshot until something changes');
	t.true(seen.length >= 1);
	t.deepEqual(wall.status(), {devices: 1, problem: 'shed: prometheus 127.0.0.1:9: not reachable'});
	// A poll result passes through, with the history still in.
	listeners[0]!({...source, version: 2}, new Set(['casa']), false);
	t.deepEqual(seen.at(-1)!.devices.find(entry => entry.name === 'casa')!.memoryHistory.times, [150_000, 165_000, 200_000]);
	t.is(withHistory(source.devices[1]!, undefined), source.devices[1]);
});

test('the wall\'s store reads Prometheus\'s alerts: by device and counted, the devices they are about redrawn, the last read kept when one fails', async t => {
	const {source, store} = fakeStore();
	const crash: DeviceAlert = {name: 'KrazyServiceCrashLooping', state: 'firing', severity: 'warning', service: '/user/flaky', summary: '', activeAt: null, labels: {}};
	const reads: Array<Error | {alertsByDevice: Map<string, DeviceAlert[]>; firing: number; pending: number}> = [
		{alertsByDevice: new Map([['shed', [crash]]]), firing: 1, pending: 0},
		new Error('prometheus 127.0.0.1:9: not reachable'),
	];
	const wall = prometheusWallStore(store, async () => {
		throw new Error('no history here');
	}, {
		async readAlerts() {
			const next = reads.shift() ?? new Error('no more');
			if (next instanceof Error) {
				throw next;
			}

			return next;
		},
		alertsRefreshMs: 30,
	});
	const changes: Array<ReadonlySet<string>> = [];
	wall.subscribe((_snapshot, changed) => changes.push(changed));
	t.is(wall.alerts.counts(), null, 'nothing read yet');
	const before = wall.getSnapshot().devices.find(entry => entry.name === 'shed');
	wall.start();
	t.teardown(() => wall.stop());
	await new Promise(resolve => setTimeout(resolve, 150));
	t.deepEqual(wall.alerts.counts(), {firing: 1, pending: 0});
	t.deepEqual(wall.alerts.for('shed').map(alert => alert.name), ['KrazyServiceCrashLooping']);
	t.deepEqual(wall.alerts.for('casa'), []);
	t.true(changes.some(changed => changed.has('shed')));
	// The tile of a device with alerts is a new object, so the wall redraws it.
	t.not(wall.getSnapshot().devices.find(entry => entry.name === 'shed'), before);
	t.is(wall.getSnapshot().devices.find(entry => entry.name === 'casa'), source.devices[0]);
	// The second read failed: the first one's alerts stay, and the title's problem says why.
	t.regex(wall.status().problem ?? '', /alerts: prometheus 127\.0\.0\.1:9: not reachable|alerts: no more/);
	t.deepEqual(wall.alerts.counts(), {firing: 1, pending: 0});
});
