// Devices Prometheus finds while the dashboard runs join its fleet, polled with the run's password.
import test from 'ava';
import {targetFromUrl} from '../../../source/core/device-target.js';
import {createFleetStore} from '../../../source/core/fleet-store.js';
import type {DiscoveredDevice, FleetView} from '../../../source/core/prometheus/fleet-view.js';
import {startLightFleet} from '../../../source/demo/light-fleet.js';
import {joinDiscovered, type PrometheusLinkState} from '../../../source/ui/prometheus/prometheus-link.js';
import {waitFor} from '../../helpers/wait-for.js';

function viewOf(devices: Array<Pick<DiscoveredDevice, 'name' | 'url'>>): FleetView {
	return {
		server: 'http://127.0.0.1:9090',
		devices: devices.map(device => ({...device, hostname: null, up: true, via: 'exporter', exporter: '127.0.0.1:9101', nodeExporterUrl: null, nodeInstance: null})),
		alerts: [],
		alertsByDevice: new Map(),
		otherAlerts: [],
		firing: 0,
		pending: 0,
		failures: [],
		warnings: [],
	};
}

test('each new view adds the devices the fleet does not know yet (by name or URL), once, with the password of the run', async t => {
	const fleet = await startLightFleet({count: 3, password: 'light-pw'});
	t.teardown(() => fleet.stop());
	const [first, second, third] = fleet.devices.map(device => targetFromUrl(device.baseUrl).url);
	const store = createFleetStore({targets: [{...targetFromUrl(fleet.devices[0]!.url), name: 'configured'}], pollIntervalMs: 300, nodeExporter: null});
	t.teardown(() => {
		store.stop();
	});
	store.start();
	let state = {view: null} as unknown as PrometheusLinkState;
	const listeners = new Set<() => void>();
	const link = {
		subscribe(listener: () => void) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		getState: () => state,
	};
	const publish = (view: FleetView) => {
		state = {...state, view};
		for (const listener of listeners) {
			listener();
		}
	};

	// The store publishes in batches (50 ms): a device added would be in the snapshot after this.
	const settled = async () => new Promise(resolve => {
		setTimeout(resolve, 300);
	});
	const stop = joinDiscovered(link, store, 'light-pw');
	// The configured device, known to Prometheus by another name but the same URL, is not added twice.
	publish(viewOf([{name: 'light-a', url: first!}]));
	await settled();
	t.deepEqual(store.getSnapshot().devices.map(device => device.name), ['configured']);
	// Later, the exporter reports two more: they join and answer with the run's password.
	publish(viewOf([{name: 'light-a', url: first!}, {name: 'light-b', url: second!}, {name: 'light-c', url: third!}]));
	await waitFor(() => store.getSnapshot().devices.length === 3 && store.getSnapshot().devices.every(device => device.health === 'online'), {what: 'three devices online', timeoutMs: 30_000});
	t.deepEqual(store.getSnapshot().devices.map(device => device.name), ['configured', 'light-b', 'light-c']);
	// The same view again, or a new one with nothing new: nothing more.
	publish(viewOf([{name: 'light-b', url: second!}, {name: 'light-c', url: third!}]));
	await settled();
	t.is(store.getSnapshot().devices.length, 3);
	stop();
	publish(viewOf([{name: 'light-d', url: 'http://127.0.0.1:9'}]));
	await settled();
	t.is(store.getSnapshot().devices.length, 3, 'unsubscribed: no more joins');
});
