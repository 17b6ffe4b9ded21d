// Discovery: the devices Prometheus knows (its exporters' devices, node exporters on gokrazy hosts) that a fleet does not.
import type {DeviceTarget} from '../device-target.js';
import type {FleetView} from './fleet-view.js';

/**
 * Devices Prometheus knows that the dashboard does not (same name or same URL): polled directly like the others, with
 * the password given for this run (--password-file, $KRAZY_PASSWORD) if any; without one a device that wants one says
 * "wrong password" on its row, which is the truth.
 */
export function discoveredTargets(view: Pick<FleetView, 'devices'>, known: readonly DeviceTarget[], password: string | undefined): DeviceTarget[] {
	const names = new Set(known.map(target => target.name));
	const urls = new Set(known.map(target => target.url.replace(/\/+$/, '')));
	const added: DeviceTarget[] = [];
	for (const device of view.devices) {
		const url = device.url.replace(/\/+$/, '');
		if (names.has(device.name) || urls.has(url) || !/^https?:\/\/[^\s/]+$/.test(url)) {
			continue;
		}

		names.add(device.name);
		urls.add(url);
		added.push({name: device.name, url, source: 'url', ...(password === undefined ? {} : {password}), ...(device.nodeExporterUrl ? {nodeExporterUrl: device.nodeExporterUrl} : {})});
	}

	return added;
}
