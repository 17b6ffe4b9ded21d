// The exporter's adapter over fleet snapshots: restarts counted between two answers, not across an outage; a device down is up 0 and nothing else.
import test from 'ava';
import type {DeviceSnapshot, FleetListener, FleetSnapshot} from '../../source/core/fleet-store.js';
import {exporterMetrics} from '../../source/core/prometheus/exporter-metrics.js';
import {parsePrometheusText} from '../../source/core/prometheus-text.js';

/** A store that publishes what the test scripts, through the same two calls the exporter uses. */
function scriptedStore() {
	let snapshot: FleetSnapshot = {devices: [], version: 0};
	const listeners = new Set<FleetListener>();
	return {
		getSnapshot: () => snapshot,
		subscribe(listener: FleetListener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		publish(device: Partial<DeviceSnapshot>) {
			snapshot = {devices: [device as DeviceSnapshot], version: snapshot.version + 1};
			for (const listener of listeners) {
				listener(snapshot, new Set([device.name!]), false);
			}
		},
	};
}

function casa(online: boolean, lastSeen: number, crasherStart: number): Partial<DeviceSnapshot> {
	const service = (path: string, start: number) => ({path, rss: 4096, status: {path, stopped: false, startTime: new Date(start), pid: start, args: [path], diverted: ''}});
	return {
		name: 'casa',
		url: 'http://casa',
		health: online ? 'online' : 'unreachable',
		stale: !online,
		lastSeen,
		memory: {total: 1000, available: 400, used: 600},
		overview: {hostname: 'casa', model: 'Pi', kernel: 'k', buildTimestamp: '2025-01-01T00:00:00Z', sbomHash: 'ab'} as DeviceSnapshot['overview'],
		services: [service('/user/crasher', crasherStart), service('/user/golink', 1)] as unknown as DeviceSnapshot['services'],
	};
}

async function values(metrics: ReturnType<typeof exporterMetrics>): Promise<Map<string, number>> {
	const {samples} = parsePrometheusText((await metrics.render()).body);
	return new Map(samples.map(sample => [`${sample.name}${sample.labels.service ? ` ${sample.labels.service}` : ''}`, sample.value]));
}

test('restarts are counted between two answers, once per answer, and not across an outage', async t => {
	const store = scriptedStore();
	store.publish(casa(true, 1000, 100));
	const metrics = exporterMetrics(store, {processMetrics: false});
	t.teardown(() => {
		metrics.close();
	});
	t.is((await values(metrics)).get('gokrazy_service_restarts_total /user/crasher'), 0);

	store.publish(casa(true, 2000, 200));
	store.publish(casa(true, 2000, 200));
	t.is((await values(metrics)).get('gokrazy_service_restarts_total /user/crasher'), 1, 'the same answer twice is one restart');

	store.publish(casa(false, 2000, 200));
	const down = await values(metrics);
	t.is(down.get('gokrazy_device_up'), 0);
	t.false(down.has('gokrazy_service_running /user/crasher'), 'no service figures for a device that does not answer');
	t.false(down.has('gokrazy_device_memory_total_bytes'));
	t.is(down.get('gokrazy_device_info'), 1, 'the info stays, with the last known labels');

	store.publish(casa(true, 9000, 900));
	const back = await values(metrics);
	t.is(back.get('gokrazy_device_up'), 1);
	t.is(back.get('gokrazy_service_restarts_total /user/crasher'), 1, 'services started anew after an outage (a reboot) are no crash');
	t.is(back.get('gokrazy_service_restarts_total /user/golink'), 0);
	t.is(back.get('gokrazy_device_memory_available_bytes'), 400);
	t.is(back.get('gokrazy_device_build_timestamp_seconds'), Date.parse('2025-01-01T00:00:00Z') / 1000);
	t.is(back.get('gokrazy_service_start_time_seconds /user/crasher'), 0.9);

	store.publish(casa(true, 10_000, 1000));
	t.is((await values(metrics)).get('gokrazy_service_restarts_total /user/crasher'), 2);
});
