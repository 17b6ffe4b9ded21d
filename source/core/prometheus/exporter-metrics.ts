// What `krazy-tui exporter` serves: the fleet store's snapshots as Prometheus metrics, through prom-client.
//
// This is the one adapter between the fleet store and the exporter: it uses only the store's public
// subscribe/getSnapshot API, so the store can change inside without this file noticing.
import {Counter, Gauge, Registry, collectDefaultMetrics} from 'prom-client';
import type {DeviceSnapshot, FleetSnapshot, FleetStore} from '../fleet-store.js';
import {metricNames} from './metric-names.js';

export {metricNames} from './metric-names.js';

/** Device-controlled text (hostname, model, kernel) is cut to this many characters in a label value. */
export const maxLabelChars = 256;

function label(text: string): string {
	return text.length > maxLabelChars ? `${text.slice(0, maxLabelChars - 1)}…` : text;
}

function seconds(ms: number): number {
	return ms / 1000;
}

/** The device answered its last poll (a device showing stale data after a failure is down). */
function isUp(device: DeviceSnapshot): boolean {
	return device.health === 'online' && device.overview !== null && !device.stale;
}

export type ExporterMetrics = {
	readonly registry: Registry;
	/** The /metrics body and its content type. */
	render(): Promise<{body: string; contentType: string}>;
	/** Stops following the store. */
	close(): void;
};

/**
 * Builds the registry over `store`. Gauges are filled from the current snapshot at each scrape; the restart counter
 * follows every published snapshot, since a restart is an event between two polls, not a state.
 */
export function exporterMetrics(store: Pick<FleetStore, 'getSnapshot' | 'subscribe'>, options: {processMetrics?: boolean} = {}): ExporterMetrics {
	const registry = new Registry();
	if (options.processMetrics ?? true) {
		// The exporter's own CPU and memory (process_cpu_seconds_total, process_resident_memory_bytes, …).
		collectDefaultMetrics({register: registry});
	}

	const snapshot = (): FleetSnapshot => store.getSnapshot();
	const eachUp = function* () {
		for (const device of snapshot().devices) {
			if (isUp(device)) {
				yield device;
			}
		}
	};

	new Gauge({
		name: metricNames.deviceUp,
		help: 'Whether the device answered the exporter\'s last poll of its gokrazy HTTP API (1) or not (0).',
		labelNames: ['device'],
		registers: [registry],
		collect() {
			this.reset();
			for (const device of snapshot().devices) {
				this.set({device: device.name}, isUp(device) ? 1 : 0);
			}
		},
	});

	new Gauge({
		name: metricNames.deviceInfo,
		help: 'Always 1; the labels describe the device as it last answered (empty before its first answer).',
		labelNames: ['device', 'url', 'hostname', 'model', 'kernel', 'sbom_hash'],
		registers: [registry],
		collect() {
			this.reset();
			for (const device of snapshot().devices) {
				const overview = device.overview;
				this.set({
					device: device.name,
					url: device.url,
					hostname: label(overview?.hostname ?? ''),
					model: label(overview?.model ?? ''),
					kernel: label(overview?.kernel ?? ''),
					sbom_hash: label(overview?.sbomHash ?? ''),
				}, 1);
			}
		},
	});

	new Gauge({
		name: metricNames.lastSeen,
		help: 'When the device last answered a poll, in seconds since the epoch.',
		labelNames: ['device'],
		registers: [registry],
		collect() {
			this.reset();
			for (const device of snapshot().devices) {
				if (device.lastSeen !== null) {
					this.set({device: device.name}, seconds(device.lastSeen));
				}
			}
		},
	});

	new Gauge({
		name: metricNames.buildTimestamp,
		help: 'When the gokrazy image the device runs was built, in seconds since the epoch.',
		labelNames: ['device'],
		registers: [registry],
		collect() {
			this.reset();
			for (const device of eachUp()) {
				const built = Date.parse(device.overview!.buildTimestamp);
				if (Number.isFinite(built)) {
					this.set({device: device.name}, seconds(built));
				}
			}
		},
	});

	const memory = (name: string, help: string, pick: (memory: {total: number; available: number}) => number) =>
		new Gauge({
			name,
			help,
			labelNames: ['device'],
			registers: [registry],
			collect() {
				this.reset();
				for (const device of eachUp()) {
					if (device.memory) {
						this.set({device: device.name}, pick(device.memory));
					}
				}
			},
		});
	memory(metricNames.memoryTotal, 'MemTotal of the device, in bytes.', figures => figures.total);
	memory(metricNames.memoryAvailable, 'MemAvailable of the device, in bytes.', figures => figures.available);

	const perService = (name: string, help: string, value: (service: DeviceSnapshot['services'][number]) => number | null) =>
		new Gauge({
			name,
			help,
			labelNames: ['device', 'service'],
			registers: [registry],
			collect() {
				this.reset();
				for (const device of eachUp()) {
					for (const service of device.services) {
						const figure = value(service);
						if (figure !== null) {
							this.set({device: device.name, service: service.path}, figure);
						}
					}
				}
			},
		});
	perService(metricNames.serviceRunning, 'Whether a process of the service runs (1) or not (0): stopped, or restarting after an exit.', service =>
		service.status.stopped || service.status.startTime === null ? 0 : 1);
	perService(metricNames.serviceStopped, 'Whether the supervisor was told to leave the service stopped (1) or keeps it running (0).', service =>
		service.status.stopped ? 1 : 0);
	perService(metricNames.serviceStart, 'When the service\'s current (or last) process started, in seconds since the epoch.', service =>
		service.status.startTime === null ? null : seconds(service.status.startTime.getTime()));
	perService(metricNames.serviceRss, 'Resident memory of the service\'s process, in bytes, from the device\'s overview page.', service => service.rss);

	const restarts = new Counter({
		name: metricNames.serviceRestarts,
		help: 'Restarts this exporter saw: a new start time of a service between two answers of its device.',
		labelNames: ['device', 'service'],
		registers: [registry],
	});

	/** The start times of the last answer of each device that answered; a device that stopped answering is forgotten. */
	const lastStarts = new Map<string, {lastSeen: number; starts: Map<string, number | null>}>();
	const observe = (current: FleetSnapshot, changed: ReadonlySet<string> | null) => {
		for (const device of current.devices) {
			if (changed && !changed.has(device.name)) {
				continue;
			}

			if (!isUp(device)) {
				// A device back after an outage (a reboot, most likely) started everything anew: that is no crash.
				lastStarts.delete(device.name);
				continue;
			}

			const previous = lastStarts.get(device.name);
			if (previous?.lastSeen === device.lastSeen) {
				continue;
			}

			const starts = new Map<string, number | null>();
			for (const service of device.services) {
				const start = service.status.startTime?.getTime() ?? null;
				starts.set(service.path, start);
				// Every series exists from the first answer on, so increase() sees the first restart too.
				restarts.inc({device: device.name, service: service.path}, 0);
				const before = previous?.starts.get(service.path);
				if (before !== undefined && start !== null && (before === null || start > before)) {
					restarts.inc({device: device.name, service: service.path});
				}
			}

			lastStarts.set(device.name, {lastSeen: device.lastSeen ?? 0, starts});
		}
	};

	observe(store.getSnapshot(), null);
	const unsubscribe = store.subscribe((current, changed) => {
		observe(current, changed);
	});

	return {
		registry,
		async render() {
			return {body: await registry.metrics(), contentType: registry.contentType};
		},
		close() {
			unsubscribe();
		},
	};
}
