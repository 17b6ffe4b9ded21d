// What the fleet store publishes: immutable snapshots of every device and its services, and the records of actions.
import type {DeviceErrorKind} from './device-error.js';
import type {DeviceHealth} from './device-health.js';
import type {DeviceOverview, LastLog, ServiceState, ServiceStatus} from './device-model.js';
import type {DeviceTarget} from './device-target.js';
import type {MetricSeries} from './metric-ring.js';

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
	/** A reboot: when the device was first seen away after it was asked for (for "away 14 s"). */
	readonly awaySince?: number;
	/** A reboot: when the device answered again after being away. */
	readonly backAt?: number;
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

