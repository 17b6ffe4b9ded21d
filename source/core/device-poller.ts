// Polls one device on a timer: never two requests at once, backing off while it fails, recovering by itself.
import type {DeviceClient} from './device-client.js';
import type {DeviceOverview, HtmlOverview} from './device-model.js';
import {DeviceError, describeError, isDeviceError} from './device-error.js';
import type {PollLimiter} from './poll-limiter.js';
import {
	defaultNodeExporterUrl,
	runsNodeExporter,
	scrapeNodeExporter,
	type NodeExporterReading,
} from './node-exporter.js';

/** The part of the device client the fleet needs: a test or another transport can supply its own. */
export type FleetClient = Pick<
	DeviceClient,
	| 'target'
	| 'overview'
	| 'htmlOverview'
	| 'service'
	| 'stop'
	| 'restart'
	| 'start'
	| 'waitForNewPid'
	| 'reboot'
	| 'powerOff'
	| 'logs'
	| 'close'
>;

/** Where the node exporter of a device is: a metrics URL, or null for "do not look". */
export type NodeExporterLocator = (target: FleetClient['target']) => string | null;

export type PollSuccess = {
	ok: true;
	/** When the poll started and finished (local clock). */
	startedAt: number;
	at: number;
	overview: DeviceOverview;
	/** null when the HTML page failed this time (then `htmlError` says why); the device still counts as online. */
	html: HtmlOverview | null;
	htmlError: string | null;
	/** A node exporter reading, when the device has one and it answered. */
	node: NodeExporterReading | null;
	/** Whether a node exporter is known to be there, and why not when it failed. */
	nodeExporter: {url: string; state: 'present' | 'absent' | 'failing'; error: string | null} | null;
};

export type PollFailure = {ok: false; at: number; error: DeviceError; consecutiveFailures: number; nextAttemptInMs: number};

export type PollResult = PollSuccess | PollFailure;

export type DevicePollerOptions = {
	client: FleetClient;
	intervalMs: number;
	/** Upper bound of the back-off while the device fails (default 30 s). */
	maxBackoffMs?: number;
	/** Fetch the HTML overview (per-service RSS, last log lines) on every poll; default true. */
	html?: boolean;
	/** How to find the node exporter; default `http://<host>:9100/metrics`; null: never. */
	nodeExporter?: NodeExporterLocator | null;
	/** How often to look again for a node exporter that did not answer (default 60 s). */
	nodeExporterRetryMs?: number;
	/** Delay before the first poll (spreads many devices over the interval). */
	initialDelayMs?: number;
	/** Shared by a fleet's pollers: a poll waits for a slot before its first request. */
	limiter?: PollLimiter;
	onResult: (result: PollResult) => void;
	now?: () => number;
};

/**
 * One device's polling loop. The next poll is scheduled only after the previous one finished, so a slow device
 * holds at most one request and never queues more; every request has the client's timeout, so a device that stops
 * answering shows up as unreachable within that time.
 */
export class DevicePoller {
	readonly #options: DevicePollerOptions;
	readonly #now: () => number;
	#intervalMs: number;
	#timer: NodeJS.Timeout | undefined;
	#abort: AbortController | undefined;
	#inFlight = false;
	#pollAgain = false;
	#running = false;
	#failures = 0;
	#nodeState: 'unknown' | 'present' | 'absent' = 'unknown';
	#nodeCheckedAt = 0;

	constructor(options: DevicePollerOptions) {
		this.#options = options;
		this.#now = options.now ?? Date.now;
		this.#intervalMs = options.intervalMs;
	}

	get inFlight(): boolean {
		return this.#inFlight;
	}

	get consecutiveFailures(): number {
		return this.#failures;
	}

	start(): void {
		if (this.#running) {
			return;
		}

		this.#running = true;
		this.#schedule(this.#options.initialDelayMs ?? 0);
	}

	stop(): void {
		this.#running = false;
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#abort?.abort();
	}

	setIntervalMs(intervalMs: number): void {
		this.#intervalMs = intervalMs;
	}

	/** Poll as soon as possible (after an action); if a poll is running, once more right after it. */
	pollNow(): void {
		if (!this.#running) {
			return;
		}

		if (this.#inFlight) {
			this.#pollAgain = true;
			return;
		}

		this.#schedule(0);
	}

	/** The delay after `failures` consecutive failures: the interval doubled each time, capped. */
	static backoffMs(intervalMs: number, failures: number, maxBackoffMs = 30_000): number {
		if (failures <= 0) {
			return intervalMs;
		}

		return Math.min(maxBackoffMs, intervalMs * 2 ** failures);
	}

	#schedule(delayMs: number): void {
		clearTimeout(this.#timer);
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			void this.#poll();
		}, delayMs);
		// Pollers never keep the process alive on their own: the UI or the command that owns the store does.
		this.#timer.unref?.();
	}

	async #poll(): Promise<void> {
		if (!this.#running || this.#inFlight) {
			return;
		}

		this.#inFlight = true;
		this.#pollAgain = false;
		const abort = new AbortController();
		this.#abort = abort;
		let startedAt = this.#now();
		let result: PollResult;
		let release: (() => void) | undefined;
		try {
			release = await this.#options.limiter?.acquire(abort.signal, this.#options.client.target.name);
			// The interval counts from when the requests start, not from the wait for a slot.
			startedAt = this.#now();
			result = await this.#fetchAll(abort.signal, startedAt);
			this.#failures = 0;
		} catch (error) {
			this.#failures++;
			const deviceError = isDeviceError(error)
				? error
				: new DeviceError(this.#options.client.target.name, 'http', describeError(error));
			result = {
				ok: false,
				at: this.#now(),
				error: deviceError,
				consecutiveFailures: this.#failures,
				nextAttemptInMs: DevicePoller.backoffMs(this.#intervalMs, this.#failures, this.#options.maxBackoffMs),
			};
		} finally {
			release?.();
			this.#inFlight = false;
			this.#abort = undefined;
		}

		if (!this.#running) {
			return;
		}

		try {
			this.#options.onResult(result);
		} catch {
			// A listener's bug must not stop the polling of this device.
		}

		if (this.#pollAgain) {
			this.#schedule(0);
		} else if (result.ok) {
			this.#schedule(Math.max(0, this.#intervalMs - (this.#now() - startedAt)));
		} else {
			this.#schedule(result.nextAttemptInMs);
		}
	}

	async #fetchAll(signal: AbortSignal, startedAt: number): Promise<PollSuccess> {
		const {client} = this.#options;
		// Each request starts only while the poller still runs (stop() aborts between two requests of one poll).
		throwIfStopped(signal, client.target.name);
		const overview = await client.overview(signal);
		let html: HtmlOverview | null = null;
		let htmlError: string | null = null;
		if (this.#options.html ?? true) {
			try {
				throwIfStopped(signal, client.target.name);
				html = await client.htmlOverview(signal);
			} catch (error) {
				if (signal.aborted) {
					throw error;
				}

				htmlError = describeError(error, client.target.name);
			}
		}

		const nodeResult = await this.#nodeExporter(overview, signal);
		return {ok: true, startedAt, at: this.#now(), overview, html, htmlError, ...nodeResult};
	}

	async #nodeExporter(
		overview: DeviceOverview,
		signal: AbortSignal,
	): Promise<Pick<PollSuccess, 'node' | 'nodeExporter'>> {
		const locate = this.#options.nodeExporter === undefined ? defaultNodeExporterUrl : this.#options.nodeExporter;
		const url = locate ? locate(this.#options.client.target) : null;
		if (!url) {
			return {node: null, nodeExporter: null};
		}

		const listed = runsNodeExporter(overview.services.map(service => service.path));
		const now = this.#now();
		const retryMs = this.#options.nodeExporterRetryMs ?? 60_000;
		if (!listed && this.#nodeState === 'absent' && now - this.#nodeCheckedAt < retryMs) {
			return {node: null, nodeExporter: {url, state: 'absent', error: null}};
		}

		this.#nodeCheckedAt = now;
		throwIfStopped(signal, this.#options.client.target.name);
		try {
			const node = await scrapeNodeExporter(this.#options.client.target.name, url, {signal, timeoutMs: 3000});
			this.#nodeState = 'present';
			return {node, nodeExporter: {url, state: 'present', error: null}};
		} catch (error) {
			if (signal.aborted) {
				throw error;
			}

			const wasPresent = this.#nodeState === 'present' || listed;
			// A listed exporter that fails is "failing" (and tried every poll); one never seen is just absent.
			this.#nodeState = wasPresent ? 'present' : 'absent';
			return {
				node: null,
				nodeExporter: {url, state: wasPresent ? 'failing' : 'absent', error: wasPresent ? describeError(error) : null},
			};
		}
	}
}

function throwIfStopped(signal: AbortSignal, device: string): void {
	if (signal.aborted) {
		throw new DeviceError(device, 'aborted', 'polling stopped');
	}
}
