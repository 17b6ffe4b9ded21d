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
//
// This file only wires the parts together: one DeviceTracker (device-tracker.ts, pure) and one DevicePoller per
// device, the action machine (fleet-actions.ts), and one BatchedNotifier for every listener.
import {BatchedNotifier} from './batched-notifier.js';
import {DeviceClient} from './device-client.js';
import {DeviceError, describeError} from './device-error.js';
import type {LogStreamChoice} from './device-model.js';
import {DevicePoller, type FleetClient, type NodeExporterLocator} from './device-poller.js';
import type {DeviceTarget} from './device-target.js';
import {DeviceTracker} from './device-tracker.js';
import {runPowerAction, runServiceAction, type ActionContext} from './fleet-actions.js';
import type {ActionOutcome, DeviceSnapshot, FleetSnapshot, PowerActionKind, ServiceActionKind} from './fleet-snapshot.js';
import {followLog, type LogFollower} from './log-buffer.js';
import {ringCapacity} from './metric-ring.js';
import {createPollLimiter} from './poll-limiter.js';

export type {FleetClient, NodeExporterLocator} from './device-poller.js';
export type * from './fleet-snapshot.js';

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
	/** Listeners hear of poll results at most once per this many ms (default 50; what the user did: 16). */
	notifyMs?: number;
	crashLoop?: {restarts: number; windowMs: number};
	/** How long an action waits for the new pid (default 20 s). */
	actionTimeoutMs?: number;
	/** Back-off cap while a device fails (default 30 s). */
	maxBackoffMs?: number;
	/** Polls running at once across the fleet (default 32); the others wait their turn. */
	maxConcurrentPolls?: number;
	/**
	 * Once `setFocus` has named the devices the user can see, the others are polled this often instead (never more often
	 * than the interval). Unset: every device at the interval, focus or not.
	 */
	unfocusedPollIntervalMs?: number;
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
	/**
	 * The devices on screen: polled at the interval, the others at `unfocusedPollIntervalMs`; one that comes into view
	 * is polled at once. Null: every device is in focus again.
	 */
	setFocus(devices: Iterable<string> | null): void;
	/**
	 * Devices found while running (Prometheus's discovery): added after the others, polled from now on (spread like the
	 * first polls). Resolves to the names they got (a name already taken gets `#2`).
	 */
	addTargets(targets: readonly DeviceTarget[]): string[];
	runServiceAction(device: string, path: string, kind: ServiceActionKind): Promise<ActionOutcome>;
	runPowerAction(device: string, kind: PowerActionKind): Promise<ActionOutcome>;
	/** Follows a service's log (stdout and stderr together) into a bounded buffer. Close it when done. */
	openLog(device: string, path: string, options?: {capacity?: number; stream?: LogStreamChoice; notifyMs?: number}): LogFollower;
};

/** Fleets bigger than this poll the devices off screen every `unfocusedPollIntervalMs` only (dashboard and wall). */
export const unfocusedFleetSize = 50;
export const unfocusedPollIntervalMs = 30_000;

/**
 * The store options for a fleet of this size: over a big fleet the devices off screen are polled every 30 s (the
 * interval, if longer) and those shown at the interval. A screen shows ~40 rows or 12 tiles, and 500 devices every 2 s
 * would keep a core busy for devices nobody sees.
 */
export function focusOptions(targetCount: number): Pick<FleetStoreOptions, 'unfocusedPollIntervalMs'> {
	return targetCount > unfocusedFleetSize ? {unfocusedPollIntervalMs} : {};
}

type Member = {tracker: DeviceTracker; client: FleetClient; poller: DevicePoller};

export function createFleetStore(options: FleetStoreOptions): FleetStore {
	const now = options.now ?? Date.now;
	let intervalMs = Math.max(100, options.pollIntervalMs ?? 2000);
	let focus: ReadonlySet<string> | null = null;
	const intervalFor = (name: string) => focus === null || focus.has(name) || options.unfocusedPollIntervalMs === undefined
		? intervalMs
		: Math.max(intervalMs, options.unfocusedPollIntervalMs);
	const capacity = ringCapacity(options.historyMs ?? 300_000, intervalMs);
	const crashLoop = options.crashLoop ?? {restarts: 3, windowMs: 60_000};
	const clientFactory = options.clientFactory ?? ((target: DeviceTarget) => new DeviceClient(target, {timeoutMs: options.timeoutMs}));
	const isReadonly = options.readonly ?? false;
	const listeners = new Set<FleetListener>();
	const members = new Map<string, Member>();
	const openLogs = new Set<LogFollower>();
	const changed = new Set<string>();
	let running = false;
	let stopped = false;
	let snapshot: FleetSnapshot = {devices: [], version: 0};

	const publish = (urgent: boolean) => {
		if (changed.size === 0 || stopped) {
			return;
		}

		const names = new Set(changed);
		changed.clear();
		snapshot = {devices: [...members.values()].map(member => member.tracker.snapshot()), version: snapshot.version + 1};
		for (const listener of listeners) {
			try {
				listener(snapshot, names, urgent);
			} catch {
				// One listener's failure must not starve the others.
			}
		}
	};

	const notifier = new BatchedNotifier(publish, {intervalMs: options.notifyMs ?? 50, urgentMs: 16});
	const markChanged = (name: string, urgent = false) => {
		changed.add(name);
		notifier.changed(urgent);
	};

	const uniqueName = (name: string) => {
		let candidate = name;
		for (let n = 2; members.has(candidate); n++) {
			candidate = `${name}#${n}`;
		}

		return candidate;
	};

	const limiter = createPollLimiter(options.maxConcurrentPolls ?? 32);
	const addMember = (target: DeviceTarget, initialDelayMs: number): string => {
		const name = uniqueName(target.name);
		const client = clientFactory(target);
		const tracker = new DeviceTracker({name, target, capacity, crashLoop, now});
		const poller = new DevicePoller({
			client,
			intervalMs: intervalFor(name),
			maxBackoffMs: options.maxBackoffMs,
			nodeExporter: options.nodeExporter,
			initialDelayMs,
			limiter,
			onResult(result) {
				if (!stopped) {
					// A device that comes up or goes away is news; another sample of a healthy one can wait for the batch.
					markChanged(name, tracker.applyPoll(result));
				}
			},
			now,
		});
		members.set(name, {tracker, client, poller});
		return name;
	};

	// First polls are spread over a second for a few devices, over up to the whole interval (20 ms apart) for many.
	const spreadMs = Math.min(intervalMs, Math.max(1000, options.targets.length * 20));
	options.targets.forEach((target, index) => {
		addMember(target, Math.floor((index / Math.max(1, options.targets.length)) * spreadMs));
	});

	const find = (device: string): Member => {
		const member = members.get(device);
		if (!member) {
			throw new DeviceError(device, 'usage', 'no such device in this fleet');
		}

		return member;
	};

	/** The device an action is for, or why the action is refused (read-only mode, or no such device). */
	const actionTarget = (device: string, kind: ServiceActionKind | PowerActionKind): Member | ActionOutcome => {
		if (isReadonly) {
			return {ok: false, message: `${device}: read-only mode, ${kind} refused`};
		}

		try {
			return find(device);
		} catch (error) {
			return {ok: false, message: describeError(error)};
		}
	};

	const contextFor = (member: Member): ActionContext => ({
		now,
		timeoutMs: options.actionTimeoutMs ?? 20_000,
		changed: () => markChanged(member.tracker.name, true),
		pollNow: () => member.poller.pollNow(),
		stopped: () => stopped,
	});

	return {
		readonly: isReadonly,
		start() {
			if (running || stopped) {
				return;
			}

			running = true;
			for (const member of members.values()) {
				member.poller.start();
			}

			// The first snapshot already lists every device (as "connecting").
			for (const name of members.keys()) {
				markChanged(name);
			}
		},
		stop() {
			if (stopped) {
				return;
			}

			stopped = true;
			running = false;
			notifier.stop();
			for (const member of members.values()) {
				member.poller.stop();
				try {
					member.client.close();
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
			if (snapshot.version === 0 && members.size > 0) {
				snapshot = {devices: [...members.values()].map(member => member.tracker.snapshot()), version: 1};
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
			return members.get(name)?.tracker.snapshot();
		},
		pollNow(device) {
			for (const [name, member] of members) {
				if (device === undefined || name === device) {
					member.poller.pollNow();
				}
			}
		},
		setPollInterval(ms) {
			intervalMs = Math.max(100, ms);
			for (const [name, member] of members) {
				member.poller.setIntervalMs(intervalFor(name));
			}
		},
		addTargets(targets) {
			if (stopped) {
				return [];
			}

			const spread = Math.min(intervalMs, Math.max(1000, targets.length * 20));
			const names = targets.map((target, index) => addMember(target, Math.floor((index / Math.max(1, targets.length)) * spread)));
			for (const name of names) {
				if (running) {
					members.get(name)!.poller.start();
				}

				markChanged(name);
			}

			return names;
		},
		setFocus(devices) {
			const next = devices === null ? null : new Set(devices);
			const before = focus;
			focus = next;
			for (const [name, member] of members) {
				member.poller.setIntervalMs(intervalFor(name));
				const cameIntoView = before !== null && !before.has(name) && (next === null || next.has(name));
				if (cameIntoView && options.unfocusedPollIntervalMs !== undefined) {
					member.poller.pollNow();
				}
			}
		},
		async runServiceAction(device, path, kind) {
			const member = actionTarget(device, kind);
			return 'ok' in member ? member : runServiceAction(member.tracker, member.client, path, kind, contextFor(member));
		},
		async runPowerAction(device, kind) {
			const member = actionTarget(device, kind);
			return 'ok' in member ? member : runPowerAction(member.tracker, member.client, kind, contextFor(member));
		},
		openLog(device, path, logOptions = {}) {
			const {client} = find(device);
			const stream = client.logs(path, logOptions.stream ?? 'both', {follow: true, batchMs: 50});
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
