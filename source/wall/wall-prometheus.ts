// The wall with `--prometheus URL`: its memory and CPU charts reach back an hour (read from Prometheus every few minutes,
// one device after another) instead of the five minutes the fleet store remembers; the newest samples still come from
// the devices. A store in front of the fleet store: the wall's screen code does not change. No blessed here.
import type {DeviceSnapshot, FleetSnapshot, FleetStore} from '../core/fleet-store.js';
import type {MetricSeries} from '../core/metric-ring.js';
import type {DeviceHistory, HistorySeries} from '../core/prometheus/history.js';

export type HistoryReader = (device: DeviceSnapshot) => Promise<DeviceHistory>;

export type PrometheusWallStore = Pick<FleetStore, 'subscribe' | 'getSnapshot'> & {
	/** Reads every device's history once now (the first refresh), then every `refreshMs`. */
	start(): void;
	stop(): void;
	/** Devices with history from Prometheus, and the last problem (a device's read failed), for the title. */
	status(): {devices: number; problem: string | null};
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

export function prometheusWallStore(store: Pick<FleetStore, 'subscribe' | 'getSnapshot'>, read: HistoryReader, options: {refreshMs?: number} = {}): PrometheusWallStore {
	const histories = new Map<string, DeviceHistory>();
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

		const snapshot = {...source, devices: source.devices.map(device => withHistory(device, histories.get(device.name)))};
		cached = {source, version, snapshot};
		return snapshot;
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

			version++;
			const snapshot = getSnapshot();
			for (const listener of listeners) {
				listener(snapshot, new Set([device.name]), false);
			}
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
		},
		stop() {
			stopped = true;
			clearTimeout(timer);
		},
		status: () => ({devices: histories.size, problem}),
	};
}
