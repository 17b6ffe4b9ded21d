// `krazy-tui --prometheus URL`: which Prometheus (the flag, else the saved setting; `off`: none), and the devices only it
// knows (its exporters' devices, node exporters on gokrazy hosts), added to the dashboard's fleet at start.
import type {DeviceTarget} from '../core/device-target.js';
import type {FleetView} from '../core/prometheus/fleet-view.js';

/** The flag wins; `off` turns the saved setting off for this run. */
export function prometheusUrlFrom(flag: string | undefined, saved: string | null): string | null {
	return flag === 'off' ? null : flag ?? saved;
}

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

/** Reads the fleet view once for discovery; a Prometheus that does not answer adds nothing and says why. */
export async function discoverFromPrometheus(url: string, known: readonly DeviceTarget[], password: string | undefined, timeoutMs: number | undefined, signal: AbortSignal): Promise<{targets: DeviceTarget[]; problem: string | null}> {
	const [{PrometheusClient}, {readFleetView}, {describeError}] = await Promise.all([
		import('../core/prometheus/prometheus-client.js'),
		import('../core/prometheus/fleet-view.js'),
		import('../core/device-error.js'),
	]);
	let client;
	try {
		client = new PrometheusClient(url, {timeoutMs: timeoutMs ?? 3000});
		const view = await readFleetView(client, signal);
		return {targets: discoveredTargets(view, known, password), problem: view.failures[0] ?? null};
	} catch (error) {
		return {targets: [], problem: describeError(error, client?.name ?? `prometheus ${url}`)};
	}
}
