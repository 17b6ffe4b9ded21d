// What the fleet knows about one device, kept from its poll results: a pure record with no timers and no network.
// Apply a poll, set an action's record, build a snapshot; the clock is handed in, so a test runs it on a fake one.
//
//   const tracker = new DeviceTracker({name: 'casa', target, capacity: 150, crashLoop, now});
//   tracker.applyPoll(result);        // → true when the device came up or went away (news worth drawing at once)
//   tracker.snapshot();               // the same frozen object until something changed
import {serviceName, serviceState, type DeviceOverview, type LastLog, type ServiceStatus} from './device-model.js';
import type {DeviceError} from './device-error.js';
import {healthFromError, type DeviceHealth} from './device-health.js';
import {displayUrl, type DeviceTarget} from './device-target.js';
import type {PollResult, PollSuccess} from './device-poller.js';
import {MetricRing} from './metric-ring.js';
import {nodeExporterRates, type NodeExporterReading} from './node-exporter.js';
import type {ActionRecord, DeviceSnapshot, NodeMetrics, ServiceDisplayState, ServiceSnapshot} from './fleet-snapshot.js';

export type CrashLoopRule = {restarts: number; windowMs: number};

export type DeviceTrackerOptions = {
	/** Unique within the fleet. */
	name: string;
	target: DeviceTarget;
	/** Samples each metric ring keeps. */
	capacity: number;
	crashLoop: CrashLoopRule;
	now: () => number;
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

type NodeTrack = {
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
};

export class DeviceTracker {
	readonly name: string;
	readonly target: DeviceTarget;
	readonly #capacity: number;
	readonly #crashLoop: CrashLoopRule;
	readonly #now: () => number;
	#health: DeviceHealth = 'connecting';
	#error: DeviceError | null = null;
	#lastSeen: number | null = null;
	#failures = 0;
	#nextAttemptAt: number | null = null;
	#overview: DeviceOverview | null = null;
	readonly #memoryRing: MetricRing;
	readonly #services = new Map<string, ServiceTrack>();
	#htmlError: string | null = null;
	#node: NodeTrack | null = null;
	#power: ActionRecord | null = null;
	/** A power action's device was seen away since: the next answer means it is back. */
	#powerSawDown = false;
	#snapshot: DeviceSnapshot | undefined;

	constructor(options: DeviceTrackerOptions) {
		this.name = options.name;
		this.target = options.target;
		this.#capacity = options.capacity;
		this.#crashLoop = options.crashLoop;
		this.#now = options.now;
		this.#memoryRing = new MetricRing(options.capacity, 'gokrazy-json', 'bytes');
	}

	get health(): DeviceHealth {
		return this.#health;
	}

	/** The pid a service had at the last poll (0 when unknown). */
	servicePid(path: string): number {
		return this.#services.get(path)?.status.pid ?? 0;
	}

	/** Takes one poll's result; true when the device came up or went away. */
	applyPoll(result: PollResult): boolean {
		const before = this.#health;
		if (result.ok) {
			this.#applySuccess(result);
		} else {
			this.#health = healthFromError(result.error.kind);
			this.#error = result.error;
			this.#failures = result.consecutiveFailures;
			this.#nextAttemptAt = result.at + result.nextAttemptInMs;
			if (this.#power?.phase === 'done' || this.#power?.phase === 'pending') {
				if (!this.#powerSawDown && this.#power.kind === 'reboot' && this.#power.phase === 'pending') {
					this.#power = {...this.#power, awaySince: result.at};
				}

				this.#powerSawDown = true;
				if (this.#power.kind === 'poweroff' && this.#power.phase === 'done') {
					this.#power = {...this.#power, text: 'powered off'};
				}
			}

			// Services go stale with their device (their state's age counts from now).
			for (const track of this.#services.values()) {
				track.snapshot = undefined;
			}
		}

		this.#snapshot = undefined;
		return this.#health !== before;
	}

	/** Records an action on a service; false when the device lists no such service. */
	setServiceAction(path: string, action: ActionRecord): boolean {
		const track = this.#services.get(path);
		if (!track) {
			return false;
		}

		track.action = action;
		track.snapshot = undefined;
		this.#snapshot = undefined;
		return true;
	}

	/** The status an action ended with: taken now, so the next poll does not count the restart as a crash. */
	adoptServiceStatus(path: string, status: ServiceStatus): void {
		const track = this.#services.get(path);
		if (!track) {
			return;
		}

		track.status = status;
		track.snapshot = undefined;
		if (this.#overview) {
			this.#overview = {...this.#overview, services: this.#overview.services.map(service => (service.path === path ? status : service))};
		}

		this.#snapshot = undefined;
	}

	/** Records a power action (reboot, power off); a new one starts watching for the device going away. */
	setPower(record: ActionRecord, options: {restart?: boolean} = {}): void {
		this.#power = record;
		if (options.restart) {
			this.#powerSawDown = false;
		}

		this.#snapshot = undefined;
	}

	/** The device as it is now: the same frozen object until something changed. */
	snapshot(): DeviceSnapshot {
		if (this.#snapshot) {
			return this.#snapshot;
		}

		const at = this.#now();
		const services = [...this.#services.values()].map(track => this.#serviceSnapshot(track, at));
		const counts = {running: 0, stopped: 0, restarting: 0, crashLooping: 0};
		for (const service of services) {
			if (service.state === 'crash-looping') {
				counts.crashLooping++;
			} else {
				counts[service.state]++;
			}
		}

		const memoryInfo = this.#overview?.memory;
		const node = this.#node;
		this.#snapshot = Object.freeze({
			name: this.name,
			target: this.target,
			url: displayUrl(this.target),
			health: this.#health,
			error: this.#error ? this.#error.message : null,
			errorKind: this.#error ? this.#error.kind : null,
			lastSeen: this.#lastSeen,
			consecutiveFailures: this.#failures,
			nextAttemptAt: this.#nextAttemptAt,
			stale: this.#health !== 'online' && this.#overview !== null,
			overview: this.#overview,
			memory: memoryInfo
				? {total: memoryInfo.total, available: memoryInfo.available, used: Math.max(0, memoryInfo.total - memoryInfo.available)}
				: null,
			memoryHistory: this.#memoryRing.series(),
			services: Object.freeze(services),
			counts,
			htmlError: this.#htmlError,
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
			power: this.#power,
		});
		return this.#snapshot;
	}

	#serviceSnapshot(track: ServiceTrack, at: number): ServiceSnapshot {
		if (track.snapshot) {
			return track.snapshot;
		}

		const restartsInWindow = track.restarts.filter(time => at - time <= this.#crashLoop.windowMs).length;
		// A restart this client asked for and saw through to its new pid is running, not "restarting" for 5 s.
		const confirmed = track.action?.phase === 'done' && track.action.pid !== undefined && track.action.pid === track.status.pid && track.action.pid > 0;
		let base = confirmed && !track.status.stopped ? 'running' : serviceState(track.status, at);
		// "restarting" is a restart this client saw (a new pid between two answers); a service that was just started
		// when first seen, or when its device came back from a reboot or an outage, is simply running.
		if (base === 'restarting' && track.status.startTime !== null && track.restarts.length === 0) {
			base = 'running';
		}

		const state: ServiceDisplayState = !track.status.stopped && restartsInWindow >= this.#crashLoop.restarts ? 'crash-looping' : base;
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
	}

	#applySuccess(result: PollSuccess): void {
		const {at, overview, html} = result;
		// Back from an outage (a reboot): every service has a new pid, and none of them restarted in the sense of a crash.
		const wasOnline = this.#health === 'online';
		this.#health = 'online';
		this.#error = null;
		this.#lastSeen = at;
		this.#failures = 0;
		this.#nextAttemptAt = null;
		this.#overview = overview;
		this.#htmlError = result.htmlError;
		this.#memoryRing.push(at, overview.memory ? overview.memory.total - overview.memory.available : null);

		const seen = new Set<string>();
		for (const status of overview.services) {
			seen.add(status.path);
			let track = this.#services.get(status.path);
			if (track) {
				const previous = track.status;
				const action = track.action;
				// A poll that began before an action ended may show the old process: the action's result is newer.
				const staleForAction = action !== null && (action.phase === 'pending' || (action.finishedAt !== null && result.startedAt < action.finishedAt));
				const restarted = !status.stopped
					&& (status.pid !== previous.pid || status.startTime?.getTime() !== previous.startTime?.getTime());
				if (restarted && !staleForAction && wasOnline) {
					track.restarts.push(at);
				}

				track.restarts = track.restarts.filter(time => at - time <= this.#crashLoop.windowMs);
				if (!staleForAction || action?.phase === 'pending') {
					track.status = status;
				}
			} else {
				track = {
					status,
					restarts: [],
					rssRing: new MetricRing(this.#capacity, 'gokrazy-html', 'bytes'),
					rss: null,
					lastLog: {},
					action: null,
					snapshot: undefined,
				};
				this.#services.set(status.path, track);
			}

			if (html) {
				track.rss = html.rss.get(status.path) ?? null;
				track.rssRing.push(at, track.rss);
				track.lastLog = html.lastLog.get(status.path) ?? {};
			}

			track.snapshot = undefined;
		}

		// A service that disappeared between polls (a new image without it) leaves the list.
		for (const path of this.#services.keys()) {
			if (!seen.has(path)) {
				this.#services.delete(path);
			}
		}

		this.#applyNode(result, at);
		if (this.#power?.kind === 'reboot' && this.#power.phase !== 'failed' && this.#powerSawDown) {
			const away = this.#power.awaySince === undefined ? '' : ` (away ${Math.max(1, Math.round((at - this.#power.awaySince) / 1000))} s)`;
			this.#power = {...this.#power, phase: 'done', text: `back after reboot${away}`, finishedAt: at, backAt: at};
			this.#powerSawDown = false;
		}
	}

	#applyNode(result: PollSuccess, at: number): void {
		const info = result.nodeExporter;
		if (!info) {
			this.#node = null;
			return;
		}

		const capacity = this.#capacity;
		this.#node ??= {
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
		const node = this.#node;
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
	}
}
