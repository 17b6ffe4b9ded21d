// The fleet's newest stderr lines in one bounded ring: one store log follower per device and service, merged as they arrive.
import {BatchedNotifier} from '../core/batched-notifier.js';
import type {DeviceSnapshot, FleetSnapshot, FleetStore} from '../core/fleet-store.js';
import type {LogFollower} from '../core/log-buffer.js';
import type {FleetLine} from './wall-model.js';

export type FleetStderrEntry = FleetLine & {readonly seq: number};

export type FleetStderrOptions = {
	/** Lines kept for the pane (default 200). */
	capacity?: number;
	/**
	 * A newly followed service first replays up to 100 old lines: of those, only this many newest are shown
	 * (default 3), so starting the wall does not bury the pane in history.
	 */
	replayLines?: number;
	/** How long after a follower's first lines the replay is taken to be over (default 1000 ms). */
	settleMs?: number;
	/** At most this many services are followed at once (default 160); the rest show their last line from the poll. */
	maxFollowers?: number;
	/** A follower that ended (unknown service, wrong password) is tried again after this long (default 30 s). */
	reopenMs?: number;
	/** Listeners hear at most once per this (default 100 ms). */
	notifyMs?: number;
	now?: () => number;
};

type Followed = {
	device: string;
	service: string;
	path: string;
	follower: LogFollower;
	/** Next buffer sequence number not yet taken into the ring. */
	nextSeq: number;
	/** When its first lines arrived; null before. */
	firstLinesAt: number | null;
	primed: boolean;
	settleTimer: NodeJS.Timeout | undefined;
	unsubscribe: () => void;
};

type LogSource = Pick<FleetStore, 'openLog'>;

const key = (device: string, path: string) => `${device}\u0000${path}`;

/**
 * Keeps `capacity` newest stderr lines across the fleet. Call `sync` with every store snapshot: it follows the
 * services of online devices and lets go of services that disappeared. Read-only: it only ever opens `/log`.
 */
export class FleetStderr {
	readonly #source: LogSource;
	readonly #capacity: number;
	readonly #replayLines: number;
	readonly #settleMs: number;
	readonly #maxFollowers: number;
	readonly #reopenMs: number;
	readonly #notifier: BatchedNotifier;
	readonly #now: () => number;
	readonly #followed = new Map<string, Followed>();
	/** Services whose follower ended, with when they may be tried again. */
	readonly #resting = new Map<string, number>();
	/** The last stderr line the poll showed, for services without a follower. */
	readonly #lastPolled = new Map<string, string>();
	readonly #listeners = new Set<() => void>();
	#entries: FleetStderrEntry[] = [];
	#nextSeq = 0;
	#version = 0;
	#closed = false;

	constructor(source: LogSource, options: FleetStderrOptions = {}) {
		this.#source = source;
		this.#capacity = options.capacity ?? 200;
		this.#replayLines = options.replayLines ?? 3;
		this.#settleMs = options.settleMs ?? 1000;
		this.#maxFollowers = options.maxFollowers ?? 160;
		this.#reopenMs = options.reopenMs ?? 30_000;
		this.#notifier = new BatchedNotifier(() => {
			for (const listener of this.#listeners) {
				listener();
			}
		}, {intervalMs: options.notifyMs ?? 100});
		this.#now = options.now ?? Date.now;
	}

	/** Changes whenever a line was added. */
	get version(): number {
		return this.#version;
	}

	/** How many services are followed now. */
	get following(): number {
		return this.#followed.size;
	}

	/** The newest `count` entries (at most the capacity), oldest first. */
	entries(count: number = this.#capacity): readonly FleetStderrEntry[] {
		return this.#entries.slice(Math.max(0, this.#entries.length - Math.min(count, this.#capacity)));
	}

	subscribe(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	sync(snapshot: FleetSnapshot): void {
		if (this.#closed) {
			return;
		}

		const listed = new Set<string>();
		for (const device of snapshot.devices) {
			if (!device.overview) {
				continue;
			}

			for (const service of device.services) {
				const id = key(device.name, service.path);
				listed.add(id);
				this.#follow(device, service.path, service.name, id);
			}

			if (device.health === 'online') {
				this.#takePolledLines(device);
			}
		}

		for (const [id, followed] of this.#followed) {
			if (!listed.has(id)) {
				this.#unfollow(followed);
			}
		}
	}

	close(): void {
		this.#closed = true;
		this.#notifier.stop();
		for (const followed of this.#followed.values()) {
			this.#unfollow(followed);
		}

		this.#listeners.clear();
	}

	#follow(device: DeviceSnapshot, path: string, service: string, id: string): void {
		const existing = this.#followed.get(id);
		if (existing) {
			if (existing.follower.getState().ended) {
				this.#unfollow(existing);
				this.#resting.set(id, this.#now() + this.#reopenMs);
			}

			return;
		}

		const restingUntil = this.#resting.get(id);
		if (device.health !== 'online' || this.#followed.size >= this.#maxFollowers || (restingUntil !== undefined && restingUntil > this.#now())) {
			return;
		}

		this.#resting.delete(id);
		let follower: LogFollower;
		try {
			follower = this.#source.openLog(device.name, path, {stream: 'stderr', capacity: 128, notifyMs: 100});
		} catch {
			this.#resting.set(id, this.#now() + this.#reopenMs);
			return;
		}

		const followed: Followed = {
			device: device.name, service, path, follower, nextSeq: 0, firstLinesAt: null, primed: false, settleTimer: undefined,
			unsubscribe: () => undefined,
		};
		followed.unsubscribe = follower.subscribe(() => {
			this.#take(followed);
		});
		this.#followed.set(id, followed);
	}

	#unfollow(followed: Followed): void {
		clearTimeout(followed.settleTimer);
		followed.unsubscribe();
		followed.follower.close();
		this.#followed.delete(key(followed.device, followed.path));
	}

	/** New lines of one follower into the ring; the first second after its first lines only keeps the newest few. */
	#take(followed: Followed): void {
		if (this.#closed) {
			return;
		}

		const {buffer} = followed.follower;
		if (!followed.primed) {
			if (buffer.size === 0) {
				return;
			}

			if (followed.firstLinesAt === null) {
				followed.firstLinesAt = this.#now();
				followed.settleTimer = setTimeout(() => {
					followed.settleTimer = undefined;
					this.#take(followed);
				}, this.#settleMs);
				return;
			}

			// Still settling until its timer has fired (and taken the lines): not a second clock read, which under load
			// can fall short of the timer's own (libuv's loop time lags Date.now()) and leave the service unshown until
			// its next lines.
			if (followed.settleTimer !== undefined) {
				return;
			}

			followed.primed = true;
			followed.nextSeq = Math.max(buffer.firstSeq, buffer.nextSeq - this.#replayLines);
		}

		if (followed.nextSeq < buffer.firstSeq) {
			this.#push(followed.device, followed.service, 'gap', `${buffer.firstSeq - followed.nextSeq} lines not shown`);
			followed.nextSeq = buffer.firstSeq;
		}

		for (const entry of buffer.slice(followed.nextSeq, buffer.nextSeq)) {
			this.#push(followed.device, followed.service, entry.kind, entry.text);
		}

		followed.nextSeq = buffer.nextSeq;
	}

	/** Services nobody follows (over the limit, or resting) still show their newest stderr line from the HTML overview. */
	#takePolledLines(device: DeviceSnapshot): void {
		for (const service of device.services) {
			const id = key(device.name, service.path);
			const line = service.lastLog.stderr;
			if (this.#followed.has(id) || line === undefined || line === '') {
				this.#lastPolled.delete(id);
				continue;
			}

			if (this.#lastPolled.get(id) !== line) {
				this.#lastPolled.set(id, line);
				this.#push(device.name, service.name, 'line', line);
			}
		}
	}

	#push(device: string, service: string, kind: 'line' | 'gap', text: string): void {
		this.#entries.push({seq: this.#nextSeq++, device, service, kind, text});
		if (this.#entries.length > this.#capacity * 2) {
			// Trimming in bulk keeps the cost per line constant.
			this.#entries = this.#entries.slice(-this.#capacity);
		}

		this.#version++;
		this.#notifier.changed();
	}
}
