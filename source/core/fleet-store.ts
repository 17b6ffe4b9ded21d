// The fleet store: polls every device, keeps their last state and metric history, runs actions, tells subscribers in batches.
//
// Usage (the dashboard and the wall both do this; there is no second polling or parsing code):
//
//   const store = createFleetStore({targets, pollIntervalMs: settings.pollIntervalMs});
//   const unsubscribe = store.subscribe((snapshot, changed) => render(snapshot)); // batched, ≤ 1 call per notifyMs
//   store.start();
//   store.getSnapshot().devices[0].health;            // 'online' | 'unreachable' | 'auth' | 'tls' | …
//   store.getSnapshot().devices[0].memoryHistory;      // MetricSeries: values oldest first, source, unit
//   await store.runServiceAction('casa', '/user/golink', 'restart'); // row shows "restarting…" → new pid
//   const follower = store.openLog('casa', '/user/golink');           // bounded LogBuffer, batched notifications
//   store.stop();                                       // stops polling, closes clients
//
// Snapshots are immutable: a device whose state did not change keeps the very same object, so a view can compare
// by identity. `getSnapshot()` returns the same object until something changed (useSyncExternalStore-friendly).
import {DeviceClient} from './device-client.js';
import {
	serviceName,
	serviceState,
	type DeviceOverview,
	type LastLog,
	type ServiceState,
	type ServiceStatus,
} from './device-model.js';
import {DeviceError, describeError, type DeviceErrorKind} from './device-error.js';
import {displayUrl, type DeviceTarget} from './device-target.js';
import {healthFromError, type DeviceHealth} from './device-health.js';
import {DevicePoller, type FleetClient, type NodeExporterLocator, type PollResult, type PollSuccess} from './device-poller.js';
import {MetricRing, ringCapacity, type MetricSeries} from './metric-ring.js';
import {nodeExporterRates, type NodeExporterReading} from './node-exporter.js';
import {followLog, type LogFollower} from './log-buffer.js';
import type {LogStreamChoice} from './device-model.js';

export type {FleetClient, NodeExporterLocator} from './device-poller.js';

export type {DeviceHealth} from './device-health.js';

/** The device's own state, plus crash-looping: restarted `crashLoop.restarts` times within `crashLoop.windowMs`. */
export type ServiceDisplayState = ServiceState | 'crash-looping';

export type ServiceActionKind = 'restart' | 'stop' | 'start' | 'once' | 'kill';
export type PowerActionKind = 'reboot' | 'poweroff';

/** What an action is doing or did: "restarting…" while pending, "restarted: pid 412 → 513" when done. */
export type ActionRecord = {
	readonly kind: ServiceActionKind | PowerActionKind;
	readonly phase: 'pending' | 'done' | 'failed';
	readonly text: string;
	readonly startedAt: number;
	readonly finishedAt: number | null;
	/** The pid the action ended with (restart, start, once, kill). */
	readonly pid?: number;
};

export type ActionOutcome = {ok: true; message: string; status?: ServiceStatus} | {ok: false; message: string};

export type ServiceSnapshot = {
	readonly path: string;
	readonly name: string;
	readonly status: ServiceStatus;
	readonly state: ServiceDisplayState;
	/** Restarts seen by this client in the last crash-loop window (user-initiated ones excluded). */
	readonly restartsInWindow: number;
	/** Resident memory in bytes from the HTML overview; null when the device showed none. */
	readonly rss: number | null;
	readonly rssHistory: MetricSeries;
	readonly lastLog: LastLog;
	readonly action: ActionRecord | null;
};

export type NodeMetrics = {
	readonly url: string;
	/** unknown: not looked yet; absent: nothing answers there; failing: it was there but does not answer now. */
	readonly state: 'unknown' | 'present' | 'absent' | 'failing';
	readonly error: string | null;
	readonly cpuCount: number;
	readonly cpuPercent: MetricSeries;
	readonly load1: MetricSeries;
	readonly rxBytesPerSecond: MetricSeries;
	readonly txBytesPerSecond: MetricSeries;
	readonly load5: number | null;
	readonly load15: number | null;
};

export type DeviceSnapshot = {
	/** Unique within the fleet (the target's name, suffixed when two targets share one). */
	readonly name: string;
	readonly target: DeviceTarget;
	/** The URL to show: never the password. */
	readonly url: string;
	readonly health: DeviceHealth;
	/** The last failure, naming the device and the cause; null while it answers. */
	readonly error: string | null;
	readonly errorKind: DeviceErrorKind | null;
	/** When it last answered (local clock, ms); null if never. */
	readonly lastSeen: number | null;
	readonly consecutiveFailures: number;
	/** When the poller tries next after a failure (for "retrying in 8 s"). */
	readonly nextAttemptAt: number | null;
	/** Offline, showing the last known data. */
	readonly stale: boolean;
	readonly overview: DeviceOverview | null;
	readonly memory: {readonly total: number; readonly available: number; readonly used: number} | null;
	readonly memoryHistory: MetricSeries;
	readonly services: readonly ServiceSnapshot[];
	readonly counts: {readonly running: number; readonly stopped: number; readonly restarting: number; readonly crashLooping: number};
	/** Why the HTML overview (RSS, last lines) is missing this time, if it is. */
	readonly htmlError: string | null;
	readonly node: NodeMetrics | null;
	readonly power: ActionRecord | null;
};

export type FleetSnapshot = {
	readonly devices: readonly DeviceSnapshot[];
	/** Increases with every published change. */
	readonly version: number;
};

/** `urgent`: the change is (also) what the user did, or an action's progress; otherwise poll results only. */
export type FleetListener = (snapshot: FleetSnapshot, changedDevices: ReadonlySet<string>, urgent: boolean) => void;

export type FleetStoreOptions = {
	targets: readonly DeviceTarget[];
	/** Default 2000 ms. */
	pollIntervalMs?: number;
	/** How much history the rings keep (default 5 minutes at the poll rate). */
	historyMs?: number;
	/** Default: the real HTTP client with `timeoutMs`. */
	clientFactory?: (target: DeviceTarget) => FleetClient;
	/** The real client's timeout per request (--timeout; default the client's 5 s). */
	timeoutMs?: number;
	/** Where to look for node exporters; default `http://<host>:9100/metrics`; null: never. */
	nodeExporter?: NodeExporterLocator | null;
	/** Refuse every action (the dashboard's --readonly). */
	readonly?: boolean;
	/** Changes are collected for this long before listeners hear of them (default 50 ms). */
	notifyMs?: number;
	crashLoop?: {restarts: number; windowMs: number};
	/** How long an action waits for the new pid (default 20 s). */
	actionTimeoutMs?: number;
	/** Back-off cap while a device fails (default 30 s). */
	maxBackoffMs?: number;
	now?: () => number;
};

export type FleetStore = {
	readonly readonly: boolean;
	start(): void;
	/** Stops every poller, closes every client and open log. Listeners stay registered but hear nothing more. */
	stop(): void;
	getSnapshot(): FleetSnapshot;
	subscribe(listener: FleetListener): () => void;
	device(name: string): DeviceSnapshot | undefined;
	/** Poll now (one device, or all). */
	pollNow(device?: string): void;
	setPollInterval(ms: number): void;
	runServiceAction(device: string, path: string, kind: ServiceActionKind): Promise<ActionOutcome>;
	runPowerAction(device: string, kind: PowerActionKind): Promise<ActionOutcome>;
	/** Follows a service's log (stdout and stderr together) into a bounded buffer. Close it when done. */
	openLog(device: string, path: string, options?: {capacity?: number; stream?: LogStreamChoice; notifyMs?: number}): LogFollower;
};

const pendingText: Readonly<Record<ServiceActionKind | PowerActionKind, string>> = {
	restart: 'restarting…',
	stop: 'stopping…',
	start: 'starting…',
	once: 'starting once…',
	kill: 'killing…',
	reboot: 'rebooting…',
	poweroff: 'powering off…',
};

type ServiceTrack = {
	status: ServiceStatus;
	restarts: number[];
	rssRing: MetricRing;
	rss: number | null;
	lastLog: LastLog;
	action: ActionRecord | null;
	snapshot: ServiceSnapshot | undefined;
};

type DeviceRecord = {
	name: string;
	target: DeviceTarget;
	client: FleetClient;
	poller: DevicePoller;
	health: DeviceHealth;
	error: DeviceError | null;
	lastSeen: number | null;
	failures: number;
	nextAttemptAt: number | null;
	overview: DeviceOverview | null;
	memoryRing: MetricRing;
	services: Map<string, ServiceTrack>;
	htmlError: string | null;
	node: {
		url: string;
		state: NodeMetrics['state'];
		error: string | null;
		previous: NodeExporterReading | null;
		cpuCount: number;
		cpu: MetricRing;
		load1: MetricRing;
		rx: MetricRing;
		tx: MetricRing;
		load5: number | null;
		load15: number | null;
	} | null;
	power: ActionRecord | null;
	powerSawDown: boolean;
	snapshot: DeviceSnapshot | undefined;
};

export function createFleetStore(options: FleetStoreOptions): FleetStore {
	const now = options.now ?? Date.now;
	let intervalMs = Math.max(100, options.pollIntervalMs ?? 2000);
	const historyMs = options.historyMs ?? 300_000;
	const capacity = ringCapacity(historyMs, intervalMs);
	const notifyMs = options.notifyMs ?? 50;
	const urgentNotifyMs = 16;
	const crashLoop = options.crashLoop ?? {restarts: 3, windowMs: 60_000};
	const actionTimeoutMs = options.actionTimeoutMs ?? 20_000;
	const clientFactory = options.clientFactory ?? ((target: DeviceTarget) => new DeviceClient(target, {timeoutMs: options.timeoutMs}));
	const isReadonly = options.readonly ?? false;
	const listeners = new Set<FleetListener>();
	const records = new Map<string, DeviceRecord>();
	const openLogs = new Set<LogFollower>();
	const changed = new Set<string>();
	let notifyTimer: NodeJS.Timeout | undefined;
	let running = false;
	let stopped = false;
	let snapshot: FleetSnapshot = {devices: [], version: 0};

	const uniqueName = (name: string) => {
		let candidate = name;
		for (let n = 2; records.has(candidate); n++) {
			candidate = `${name}#${n}`;
		}

		return candidate;
	};

	options.targets.forEach((target, index) => {
		const name = uniqueName(target.name);
		const client = clientFactory(target);
		const record: DeviceRecord = {
			name,
			target,
			client,
			poller: new DevicePoller({
				client,
				intervalMs,
				maxBackoffMs: options.maxBackoffMs,
				nodeExporter: options.nodeExporter,
				// The first polls are spread over up to a second, so 50 devices do not all connect at once.
				initialDelayMs: Math.floor((index / Math.max(1, options.targets.length)) * Math.min(intervalMs, 1000)),
				onResult: result => {
					applyPoll(record, result);
				},
				now,
			}),
			health: 'connecting',
			error: null,
			lastSeen: null,
			failures: 0,
			nextAttemptAt: null,
			overview: null,
			memoryRing: new MetricRing(capacity, 'gokrazy-json', 'bytes'),
			services: new Map(),
			htmlError: null,
			node: null,
			power: null,
			powerSawDown: false,
			snapshot: undefined,
		};
		records.set(name, record);
	});

	const publish = () => {
		notifyTimer = undefined;
		if (changed.size === 0 || stopped) {
			return;
		}

		const names = new Set(changed);
		const urgent = urgentChange;
		changed.clear();
		urgentChange = false;
		snapshot = {devices: [...records.values()].map(record => deviceSnapshot(record)), version: snapshot.version + 1};
		for (const listener of listeners) {
			try {
				listener(snapshot, names, urgent);
			} catch {
				// One listener's failure must not starve the others.
			}
		}
	};

	let notifyDue = 0;
	let urgentChange = false;
	/** Poll results wait up to notifyMs to be published together; what the user did is published at once. */
	const markChanged = (record: DeviceRecord, urgent = false) => {
		record.snapshot = undefined;
		changed.add(record.name);
		urgentChange ||= urgent;
		if (stopped) {
			return;
		}

		const delay = urgent ? Math.min(notifyMs, urgentNotifyMs) : notifyMs;
		const due = Date.now() + delay;
		if (notifyTimer && notifyDue <= due) {
			return;
		}

		clearTimeout(notifyTimer);
		notifyDue = due;
		notifyTimer = setTimeout(publish, delay);
	};

	const serviceSnapshot = (track: ServiceTrack, at: number): ServiceSnapshot => {
		if (track.snapshot) {
			return track.snapshot;
		}

		const restartsInWindow = track.restarts.filter(time => at - time <= crashLoop.windowMs).length;
		// A restart this client asked for and saw through to its new pid is running, not "restarting" for 5 s.
		const confirmed = track.action?.phase === 'done' && track.action.pid !== undefined && track.action.pid === track.status.pid && track.action.pid > 0;
		const base = confirmed && !track.status.stopped ? 'running' : serviceState(track.status, at);
		const state: ServiceDisplayState = !track.status.stopped && restartsInWindow >= crashLoop.restarts ? 'crash-looping' : base;
		track.snapshot = Object.freeze({
			path: track.status.path,
			name: serviceName(track.status.path),
			status: track.status,
			state,
			restartsInWindow,
			rss: track.rss,
			rssHistory: track.rssRing.series(),
			lastLog: track.lastLog,
			action: track.action,
		});
		return track.snapshot;
	};

	const deviceSnapshot = (record: DeviceRecord): DeviceSnapshot => {
		if (record.snapshot) {
			return record.snapshot;
		}

		const at = now();
		const services = [...record.services.values()].map(track => serviceSnapshot(track, at));
		const counts = {running: 0, stopped: 0, restarting: 0, crashLooping: 0};
		for (const service of services) {
			if (service.state === 'crash-looping') {
				counts.crashLooping++;
			} else {
				counts[service.state]++;
			}
		}

		const memoryInfo = record.overview?.memory;
		const node = record.node;
		record.snapshot = Object.freeze({
			name: record.name,
			target: record.target,
			url: displayUrl(record.target),
			health: record.health,
			error: record.error ? record.error.message : null,
			errorKind: record.error ? record.error.kind : null,
			lastSeen: record.lastSeen,
			consecutiveFailures: record.failures,
			nextAttemptAt: record.nextAttemptAt,
			stale: record.health !== 'online' && record.overview !== null,
			overview: record.overview,
			memory: memoryInfo
				? {total: memoryInfo.total, available: memoryInfo.available, used: Math.max(0, memoryInfo.total - memoryInfo.available)}
				: null,
			memoryHistory: record.memoryRing.series(),
			services: Object.freeze(services),
			counts,
			htmlError: record.htmlError,
			node: node
				? {
					url: node.url,
					state: node.state,
					error: node.error,
					cpuCount: node.cpuCount,
					cpuPercent: node.cpu.series(),
					load1: node.load1.series(),
					rxBytesPerSecond: node.rx.series(),
					txBytesPerSecond: node.tx.series(),
					load5: node.load5,
					load15: node.load15,
				}
				: null,
			power: record.power,
		});
		return record.snapshot;
	};

	const applySuccess = (record: DeviceRecord, result: PollSuccess) => {
		const {at, overview, html} = result;
		record.health = 'online';
		record.error = null;
		record.lastSeen = at;
		record.failures = 0;
		record.nextAttemptAt = null;
		record.overview = overview;
		record.htmlError = result.htmlError;
		record.memoryRing.push(at, overview.memory ? overview.memory.total - overview.memory.available : null);

		const seen = new Set<string>();
		for (const status of overview.services) {
			seen.add(status.path);
			let track = record.services.get(status.path);
			if (track) {
				const previous = track.status;
				const action = track.action;
				// A poll that began before an action ended may show the old process: the action's result is newer.
				const staleForAction = action !== null && (action.phase === 'pending' || (action.finishedAt !== null && result.startedAt < action.finishedAt));
				const restarted = !status.stopped
					&& (status.pid !== previous.pid || status.startTime?.getTime() !== previous.startTime?.getTime());
				if (restarted && !staleForAction) {
					track.restarts.push(at);
				}

				track.restarts = track.restarts.filter(time => at - time <= crashLoop.windowMs);
				if (!staleForAction || action?.phase === 'pending') {
					track.status = status;
				}
			} else {
				track = {
					status,
					restarts: [],
					rssRing: new MetricRing(capacity, 'gokrazy-html', 'bytes'),
					rss: null,
					lastLog: {},
					action: null,
					snapshot: undefined,
				};
				record.services.set(status.path, track);
			}

			if (html) {
				track.rss = html.rss.get(status.path) ?? null;
				track.rssRing.push(at, track.rss);
				track.lastLog = html.lastLog.get(status.path) ?? {};
			}

			track.snapshot = undefined;
		}

		// A service that disappeared between polls (a new image without it) leaves the list.
		for (const path of record.services.keys()) {
			if (!seen.has(path)) {
				record.services.delete(path);
			}
		}

		applyNode(record, result, at);
		if (record.power) {
			if (record.power.kind === 'reboot' && record.power.phase !== 'failed' && record.powerSawDown) {
				record.power = {...record.power, phase: 'done', text: 'back after reboot', finishedAt: at};
				record.powerSawDown = false;
			}
		}
	};

	const applyNode = (record: DeviceRecord, result: PollSuccess, at: number) => {
		const info = result.nodeExporter;
		if (!info) {
			record.node = null;
			return;
		}

		record.node ??= {
			url: info.url,
			state: 'unknown',
			error: null,
			previous: null,
			cpuCount: 0,
			cpu: new MetricRing(capacity, 'node-exporter', 'percent'),
			load1: new MetricRing(capacity, 'node-exporter', 'load'),
			rx: new MetricRing(capacity, 'node-exporter', 'bytes-per-second'),
			tx: new MetricRing(capacity, 'node-exporter', 'bytes-per-second'),
			load5: null,
			load15: null,
		};
		const node = record.node;
		node.url = info.url;
		node.state = info.state;
		node.error = info.error;
		const reading = result.node;
		if (!reading) {
			if (info.state === 'failing') {
				node.previous = null;
				node.cpu.push(at, null);
				node.load1.push(at, null);
				node.rx.push(at, null);
				node.tx.push(at, null);
			}

			return;
		}

		node.cpuCount = reading.cpuCount;
		node.load1.push(at, reading.load1);
		node.load5 = reading.load5;
		node.load15 = reading.load15;
		if (node.previous) {
			const rates = nodeExporterRates(node.previous, reading);
			node.cpu.push(at, rates.cpuPercent);
			node.rx.push(at, rates.rxBytesPerSecond);
			node.tx.push(at, rates.txBytesPerSecond);
		}

		node.previous = reading;
	};

	const applyPoll = (record: DeviceRecord, result: PollResult) => {
		if (stopped) {
			return;
		}

		const healthBefore = record.health;

		if (result.ok) {
			applySuccess(record, result);
		} else {
			record.health = healthFromError(result.error.kind);
			record.error = result.error;
			record.failures = result.consecutiveFailures;
			record.nextAttemptAt = result.at + result.nextAttemptInMs;
			if (record.power?.phase === 'done' || record.power?.phase === 'pending') {
				record.powerSawDown = true;
				if (record.power.kind === 'poweroff' && record.power.phase === 'done') {
					record.power = {...record.power, text: 'powered off'};
				}
			}

			for (const track of record.services.values()) {
				track.snapshot = undefined;
			}
		}

		// A device that comes up or goes away is news; another sample of a healthy one can wait for the batch.
		markChanged(record, record.health !== healthBefore);
	};

	const setServiceAction = (record: DeviceRecord, path: string, action: ActionRecord) => {
		const track = record.services.get(path);
		if (track) {
			track.action = action;
			track.snapshot = undefined;
			markChanged(record, true);
		}
	};

	const findRecord = (device: string): DeviceRecord => {
		const record = records.get(device);
		if (!record) {
			throw new DeviceError(device, 'usage', 'no such device in this fleet');
		}

		return record;
	};

	/** The device an action is for, or why the action is refused (read-only mode, or no such device). */
	const actionTarget = (device: string, kind: ServiceActionKind | PowerActionKind): DeviceRecord | ActionOutcome => {
		if (isReadonly) {
			return {ok: false, message: `${device}: read-only mode, ${kind} refused`};
		}

		try {
			return findRecord(device);
		} catch (error) {
			return {ok: false, message: describeError(error)};
		}
	};

	const runServiceAction = async (device: string, path: string, kind: ServiceActionKind): Promise<ActionOutcome> => {
		const record = actionTarget(device, kind);
		if ('ok' in record) {
			return record;
		}

		const {client} = record;
		const oldPid = record.services.get(path)?.status.pid ?? 0;
		const startedAt = now();
		setServiceAction(record, path, {kind, phase: 'pending', text: pendingText[kind], startedAt, finishedAt: null});
		try {
			let status: ServiceStatus;
			switch (kind) {
				case 'stop': {
					await client.stop(path);
					status = await client.service(path);
					break;
				}

				case 'start': {
					await client.start(path);
					status = await client.waitForNewPid(path, oldPid, actionTimeoutMs);
					break;
				}

				case 'once': {
					await client.restart(path, {once: true});
					status = await client.waitForNewPid(path, oldPid, actionTimeoutMs);
					break;
				}

				case 'kill': {
					await client.restart(path, {kill: true});
					status = await client.waitForNewPid(path, oldPid, actionTimeoutMs);
					break;
				}

				case 'restart': {
					await client.restart(path);
					status = await client.waitForNewPid(path, oldPid, actionTimeoutMs);
					break;
				}
			}

			const message = doneText(kind, oldPid, status);
			const track = record.services.get(path);
			if (track && !stopped) {
				// Taking the new status now means the next poll does not count this restart as a crash.
				track.status = status;
				if (record.overview) {
					record.overview = {
						...record.overview,
						services: record.overview.services.map(service => (service.path === path ? status : service)),
					};
				}
			}

			setServiceAction(record, path, {kind, phase: 'done', text: message, startedAt, finishedAt: now(), pid: kind === 'stop' ? undefined : status.pid});
			record.poller.pollNow();
			return {ok: true, message: `${device}: ${path} ${message}`, status};
		} catch (error) {
			const message = describeError(error, device);
			setServiceAction(record, path, {kind, phase: 'failed', text: `${kind} failed: ${stripDevice(message, device)}`, startedAt, finishedAt: now()});
			record.poller.pollNow();
			return {ok: false, message};
		}
	};

	const runPowerAction = async (device: string, kind: PowerActionKind): Promise<ActionOutcome> => {
		const record = actionTarget(device, kind);
		if ('ok' in record) {
			return record;
		}

		const startedAt = now();
		record.power = {kind, phase: 'pending', text: pendingText[kind], startedAt, finishedAt: null};
		record.powerSawDown = false;
		markChanged(record, true);
		try {
			await (kind === 'reboot' ? record.client.reboot() : record.client.powerOff());
			record.power = {
				kind,
				phase: kind === 'reboot' ? 'pending' : 'done',
				text: kind === 'reboot' ? 'rebooting…' : 'power off requested',
				startedAt,
				finishedAt: kind === 'reboot' ? null : now(),
			};
			markChanged(record, true);
			record.poller.pollNow();
			return {ok: true, message: `${device}: ${kind === 'reboot' ? 'reboot' : 'power off'} requested`};
		} catch (error) {
			const message = describeError(error, device);
			record.power = {kind, phase: 'failed', text: `${kind} failed: ${stripDevice(message, device)}`, startedAt, finishedAt: now()};
			markChanged(record, true);
			return {ok: false, message};
		}
	};

	return {
		readonly: isReadonly,
		start() {
			if (running || stopped) {
				return;
			}

			running = true;
			for (const record of records.values()) {
				record.poller.start();
			}

			// The first snapshot already lists every device (as "connecting").
			for (const record of records.values()) {
				markChanged(record);
			}
		},
		stop() {
			if (stopped) {
				return;
			}

			stopped = true;
			running = false;
			clearTimeout(notifyTimer);
			for (const record of records.values()) {
				record.poller.stop();
				try {
					record.client.close();
				} catch {
					// Closing is best effort.
				}
			}

			for (const follower of openLogs) {
				follower.close();
			}

			openLogs.clear();
		},
		getSnapshot() {
			if (snapshot.version === 0 && records.size > 0) {
				snapshot = {devices: [...records.values()].map(record => deviceSnapshot(record)), version: 1};
			}

			return snapshot;
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		device(name) {
			const record = records.get(name);
			return record ? deviceSnapshot(record) : undefined;
		},
		pollNow(device) {
			for (const record of records.values()) {
				if (device === undefined || record.name === device) {
					record.poller.pollNow();
				}
			}
		},
		setPollInterval(ms) {
			intervalMs = Math.max(100, ms);
			for (const record of records.values()) {
				record.poller.setIntervalMs(intervalMs);
			}
		},
		runServiceAction,
		runPowerAction,
		openLog(device, path, logOptions = {}) {
			const record = findRecord(device);
			const stream = record.client.logs(path, logOptions.stream ?? 'both', {follow: true, batchMs: 50});
			const follower = followLog(stream, {capacity: logOptions.capacity, notifyMs: logOptions.notifyMs});
			openLogs.add(follower);
			const close = follower.close.bind(follower);
			return {
				...follower,
				buffer: follower.buffer,
				close() {
					openLogs.delete(follower);
					close();
				},
			};
		},
	};
}

function doneText(kind: ServiceActionKind, oldPid: number, status: ServiceStatus): string {
	switch (kind) {
		case 'stop': {
			return status.stopped ? 'stopped' : 'stop sent, still running';
		}

		case 'start': {
			return `started: pid ${status.pid}`;
		}

		case 'once': {
			return `started once: pid ${status.pid}`;
		}

		case 'kill': {
			return `killed: pid ${oldPid} → ${status.pid}`;
		}

		case 'restart': {
			return `restarted: pid ${oldPid} → ${status.pid}`;
		}
	}
}

function stripDevice(message: string, device: string): string {
	return message.startsWith(`${device}: `) ? message.slice(device.length + 2) : message;
}
