// The dashboard's line to Prometheus (`--prometheus URL` or the `devices prometheus` setting): the fleet view (discovered
// devices, firing alerts) read every `refreshMs`, and a device's history over 1 h / 24 h / 7 d on demand, with core's
// client and mappings (core/prometheus/). A useSyncExternalStore source; no renderer. Without it everything works as
// before: the rows and graphs come from the devices themselves.
import type {DeviceSnapshot} from '../../core/fleet-snapshot.js';
import type {FleetStore} from '../../core/fleet-store.js';
import {discoveredTargets} from '../../core/prometheus/discovery.js';
import {readFleetView, type DeviceAlert, type DiscoveredDevice, type FleetView} from '../../core/prometheus/fleet-view.js';
import {deviceHistory, historyWindows, type DeviceHistory, type HistoryWindow} from '../../core/prometheus/history.js';
import {PrometheusClient} from '../../core/prometheus/prometheus-client.js';
import {describeError} from '../../core/device-error.js';

export type HistoryView = {
	readonly device: string;
	readonly window: HistoryWindow;
	readonly data: DeviceHistory | null;
	readonly loading: boolean;
	readonly error: string | null;
	/** How long the last read took (ms), for the pane's footnote and the bench. */
	readonly tookMs: number | null;
};

export type PrometheusLinkState = {
	/** The server, without credentials. */
	readonly server: string;
	readonly view: FleetView | null;
	/** Why the last read of the fleet view failed (the dashboard goes on from direct polls). */
	readonly error: string | null;
	readonly readAt: number | null;
	readonly history: HistoryView | null;
};

export type PrometheusLinkOptions = {
	url: string;
	timeoutMs?: number;
	/** How often discovery and alerts are read again (default 15 s, Prometheus's usual scrape interval). */
	refreshMs?: number;
	/** Points per history graph (default 240). */
	points?: number;
	now?: () => number;
};

export const windowOrder: readonly HistoryWindow[] = ['1h', '24h', '7d'];

export class PrometheusLink {
	readonly client: PrometheusClient;
	private state: PrometheusLinkState;
	private readonly listeners = new Set<() => void>();
	private timer: NodeJS.Timeout | null = null;
	private readonly abort = new AbortController();
	private historyRequest = 0;
	/** The view's devices by name and by URL, made once per view (rows ask on every frame). */
	private index: {view: FleetView | null; byName: Map<string, DiscoveredDevice>; byUrl: Map<string, DiscoveredDevice>} = {view: null, byName: new Map(), byUrl: new Map()};
	private stopped = false;

	constructor(private readonly options: PrometheusLinkOptions) {
		this.client = new PrometheusClient(options.url, {timeoutMs: options.timeoutMs});
		this.state = {server: this.client.url, view: null, error: null, readAt: null, history: null};
	}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	readonly getState = (): PrometheusLinkState => this.state;

	private set(next: Partial<PrometheusLinkState>): void {
		if (this.stopped) {
			return;
		}

		this.state = {...this.state, ...next};
		for (const listener of this.listeners) {
			listener();
		}
	}

	private now(): number {
		return (this.options.now ?? Date.now)();
	}

	/** Reads the fleet view now and then every `refreshMs`. */
	start(): void {
		const tick = async () => {
			await this.refresh();
			if (!this.stopped) {
				this.timer = setTimeout(tick, this.options.refreshMs ?? 15_000);
				this.timer.unref();
			}
		};

		void tick();
	}

	stop(): void {
		this.stopped = true;
		this.abort.abort();
		if (this.timer) {
			clearTimeout(this.timer);
		}
	}

	async refresh(): Promise<void> {
		try {
			const view = await readFleetView(this.client, this.abort.signal);
			this.set({view, error: view.failures[0] ?? null, readAt: this.now()});
		} catch (error) {
			// The last good view stays (its alerts may be stale: the header says since when).
			this.set({error: describeError(error, this.client.name)});
		}
	}

	/** The device Prometheus knows for a dashboard row: the exporter's `device` label, else the same URL. */
	discovered(device: Pick<DeviceSnapshot, 'name' | 'url'>): DiscoveredDevice | undefined {
		const view = this.state.view;
		if (this.index.view !== view) {
			const devices = view?.devices ?? [];
			this.index = {view, byName: new Map(devices.map(found => [found.name, found])), byUrl: new Map(devices.map(found => [found.url, found]))};
		}

		return this.index.byName.get(device.name) ?? this.index.byUrl.get(device.url);
	}

	/** Firing and pending alerts about a device row. */
	alertsFor(device: Pick<DeviceSnapshot, 'name' | 'url'>): readonly DeviceAlert[] {
		const view = this.state.view;
		if (!view) {
			return [];
		}

		const found = this.discovered(device);
		return view.alertsByDevice.get(found?.name ?? device.name) ?? [];
	}

	/** Opens (or switches) the history of a device, in the window last used. */
	showHistory(device: Pick<DeviceSnapshot, 'name' | 'url'>, window: HistoryWindow = this.state.history?.window ?? '1h'): void {
		const request = ++this.historyRequest;
		const found = this.discovered(device);
		const name = found?.name ?? device.name;
		this.set({history: {device: device.name, window, data: this.state.history?.device === device.name && this.state.history.window === window ? this.state.history.data : null, loading: true, error: null, tookMs: null}});
		const started = performance.now();
		deviceHistory(this.client, {device: name, nodeInstance: found?.nodeInstance ?? null, window, points: this.options.points, signal: this.abort.signal}).then(data => {
			if (request === this.historyRequest) {
				this.set({history: {device: device.name, window, data, loading: false, error: null, tookMs: performance.now() - started}});
			}
		}, (error: unknown) => {
			if (request === this.historyRequest) {
				this.set({history: {device: device.name, window, data: null, loading: false, error: describeError(error, this.client.name), tookMs: performance.now() - started}});
			}
		});
	}

	/** The next (or previous) window: 1 h → 24 h → 7 d. */
	cycleWindow(device: Pick<DeviceSnapshot, 'name' | 'url'>, step: 1 | -1 = 1): void {
		const current = this.state.history?.window ?? '1h';
		const next = windowOrder[(windowOrder.indexOf(current) + step + windowOrder.length) % windowOrder.length]!;
		this.showHistory(device, next);
	}

	closeHistory(): void {
		this.historyRequest++;
		this.set({history: null});
	}
}

/**
 * Devices Prometheus knows and the fleet does not join it whenever the link reads a new view: the exporter's devices
 * and node exporters on gokrazy hosts that appeared since the start (with `password`, if the run was given one).
 * Returns the unsubscribe.
 */
export function joinDiscovered(link: Pick<PrometheusLink, 'subscribe' | 'getState'>, store: Pick<FleetStore, 'getSnapshot' | 'addTargets'>, password?: string): () => void {
	let seen: FleetView | null = null;
	return link.subscribe(() => {
		const {view} = link.getState();
		if (!view || view === seen) {
			return;
		}

		seen = view;
		const added = discoveredTargets(view, store.getSnapshot().devices.map(device => device.target), password);
		if (added.length > 0) {
			store.addTargets(added);
		}
	});
}

/** The window's length in words. */
export function windowText(window: HistoryWindow): string {
	return {'1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days'}[window];
}

export {historyWindows};
