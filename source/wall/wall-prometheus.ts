// The wall with `--prometheus URL`: its memory and CPU charts reach back an hour (read from Prometheus every few minutes,
// one device after another) instead of the five minutes the fleet store remembers; the newest samples still come from
// the devices; and Prometheus's firing alerts, read every 15 s, for the title and the tiles. A store in front of the
// fleet store. No blessed here.
import type {DeviceSnapshot, FleetSnapshot, FleetStore} from '../core/fleet-store.js';
import type {MetricSeries} from '../core/metric-ring.js';
import type {DeviceAlert, FleetView} from '../core/prometheus/fleet-view.js';
import type {DeviceHistory, HistorySeries} from '../core/prometheus/history.js';

export type HistoryReader = (device: DeviceSnapshot) => Promise<DeviceHistory>;
/** Reads Prometheus's view of the fleet (its alerts by device). */
export type AlertsReader = () => Promise<Pick<FleetView, 'alertsByDevice' | 'firing' | 'pending'>>;

/** The alerts the wall shows: on a device's tile or row, and counted in the title. */
export type WallAlerts = {
	for(device: string): readonly DeviceAlert[];
	counts(): {firing: number; pending: number} | null;
};

export type PrometheusWallStore = Pick<FleetStore, 'subscribe' | 'getSnapshot'> & {
	/** Reads every device's history once now (the first refresh), then every `refreshMs`. */
	start(): void;
	stop(): void;
	/** Devices with history from Prometheus, and the last problem (a device's read failed), for the title. */
	status(): {devices: number; problem: string | null};
	/** Prometheus's alerts, once read (with an alerts reader). */
	alerts: WallAlerts;
};

/** Prometheus's points, then the store's newer samples: one series, oldest first. */
export function mergeSeries(ring: MetricSeries, history: HistorySeries | null, capacity = 2000): MetricSeries {
	if (!history || history.values.length === 0) {
		return ring;
	}

	// The store's samples are thinned to Prometheus's step, so one point is one step all along the chart (the wall
	// draws the newest points that fit; unthinned, five minutes of 2 s polls would push the hour out).
	let lastTime = history.times.at(-1) ?? 0;
	const values: Array<number | null> = [...history.values];
	const times: number[] = [...history.times];
	for (let index = 0; index < ring.values.length; index++) {
		const time = ring.times[index]!;
		if (time >= lastTime + history.stepMs || (index === ring.values.length - 1 && time > lastTime)) {
			values.push(ring.values[index]!);
			times.push(time);
			lastTime = time;
		}
	}

	const from = Math.max(0, values.length - capacity);
	return {...ring, values: values.slice(from), times: times.slice(from), latest: ring.latest ?? history.latest, capacity: Math.max(ring.capacity, values.length - from)};
}

/** A device with its charts' series reaching back through Prometheus's history. */
export function withHistory(device: DeviceSnapshot, history: DeviceHistory | undefined): DeviceSnapshot {
	if (!history) {
		return device;
	}

	const memoryHistory = mergeSeries(device.memoryHistory, history.memoryUsed);
	const node = device.node && history.cpuPercent ? {...device.node, cpuPercent: mergeSeries(device.node.cpuPercent, history.cpuPercent)} : device.node;
	return memoryHistory === device.memoryHistory && node === device.node ? device : {...device, memoryHistory, node};
}

export function prometheusWallStore(
	store: Pick<FleetStore, 'subscribe' | 'getSnapshot'>,
	read: HistoryReader,
	options: {refreshMs?: number; readAlerts?: AlertsReader; alertsRefreshMs?: number} = {},
): PrometheusWallStore {
	const histories = new Map<string, DeviceHistory>();
	let alertView: Awaited<ReturnType<AlertsReader>> | null = null;
	let alertTimer: NodeJS.Timeout | undefined;
	let problem: string | null = null;
	let version = 0;
	let cached: {source: FleetSnapshot; version: number; snapshot: FleetSnapshot} | undefined;
	let timer: NodeJS.Timeout | undefined;
	let stopped = false;
	const listeners = new Set<Parameters<FleetStore['subscribe']>[0]>();

	const getSnapshot = (): FleetSnapshot => {
		const source = store.getSnapshot();
		if (cached && cached.source === source && cached.version === version) {
			return cached.snapshot;
		}

		// A device with alerts is a new object whenever they may have changed: the wall redraws what changed by identity.
		const snapshot = {...source, devices: source.devices.map(device => {
			const shown = withHistory(device, histories.get(device.name));
			return shown === device && (alertView?.alertsByDevice.get(device.name)?.length ?? 0) > 0 ? {...device} : shown;
		})};
		cached = {source, version, snapshot};
		return snapshot;
	};

	const notify = (changed: Set<string>) => {
		version++;
		const snapshot = getSnapshot();
		for (const listener of listeners) {
			listener(snapshot, changed, false);
		}
	};

	const refreshAlerts = async () => {
		if (!options.readAlerts) {
			return;
		}

		try {
			const before = alertView;
			alertView = await options.readAlerts();
			const changed = new Set([...before?.alertsByDevice.keys() ?? [], ...alertView.alertsByDevice.keys()]);
			if (!stopped) {
				notify(changed);
			}
		} catch (error) {
			// The last alerts read stay; status() says what went wrong.
			problem = `alerts: ${error instanceof Error ? error.message : String(error)}`;
		}
	};

	const refresh = async () => {
		for (const device of store.getSnapshot().devices) {
			if (stopped) {
				return;
			}

			try {
				histories.set(device.name, await read(device));
			} catch (error) {
				problem = `${device.name}: ${error instanceof Error ? error.message : String(error)}`;
				continue;
			}

			notify(new Set([device.name]));
		}
	};

	return {
		getSnapshot,
		subscribe(listener) {
			listeners.add(listener);
			const unsubscribe = store.subscribe((_snapshot, changed, urgent) => {
				listener(getSnapshot(), changed, urgent);
			});
			return () => {
				listeners.delete(listener);
				unsubscribe();
			};
		},
		start() {
			const tick = async () => {
				await refresh();
				if (!stopped) {
					timer = setTimeout(tick, options.refreshMs ?? 300_000);
					timer.unref();
				}
			};

			void tick();
			const alertsTick = async () => {
				await refreshAlerts();
				if (!stopped && options.readAlerts) {
					alertTimer = setTimeout(alertsTick, options.alertsRefreshMs ?? 15_000);
					alertTimer.unref();
				}
			};

			void alertsTick();
		},
		stop() {
			stopped = true;
			clearTimeout(timer);
			clearTimeout(alertTimer);
		},
		status: () => ({devices: histories.size, problem}),
		alerts: {
			for: device => alertView?.alertsByDevice.get(device) ?? [],
			counts: () => (alertView ? {firing: alertView.firing, pending: alertView.pending} : null),
		},
	};
}
