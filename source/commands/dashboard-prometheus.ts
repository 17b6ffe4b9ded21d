// `krazy-tui --prometheus URL`: which Prometheus (the flag, else the saved setting; `off`: none), and the devices only it
// knows (its exporters' devices, node exporters on gokrazy hosts), added to the dashboard's fleet at start (and, while it
// runs, as Prometheus finds more: ui/dashboard-app.tsx).
import type {DeviceTarget} from '../core/device-target.js';
import {discoveredTargets} from '../core/prometheus/discovery.js';

export {discoveredTargets} from '../core/prometheus/discovery.js';

/** The flag wins; `off` turns the saved setting off for this run. */
export function prometheusUrlFrom(flag: string | undefined, saved: string | null): string | null {
	return flag === 'off' ? null : flag ?? saved;
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
