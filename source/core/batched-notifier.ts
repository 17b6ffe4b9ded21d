// The one way core tells listeners about changes that come fast: at most one call per `intervalMs`, none late by more.
//
//   const notifier = new BatchedNotifier(() => publish(), {intervalMs: 50, urgentMs: 16});
//   notifier.changed();      // a poll result: published with what else changes within 50 ms
//   notifier.changed(true);  // what the user did: published within 16 ms
//
// The fleet store, a followed log and the wall's stderr pane all batch through this; how often a screen draws is
// decided once more by the screen itself (the dashboard's frame pacer, the wall's render gap), never by stacking
// batchers. A change after a quiet spell goes out at the next turn of the event loop, so a burst within one turn is
// still one call.

export type NotifierTimers = {set: (callback: () => void, ms: number) => unknown; clear: (handle: unknown) => void};

const realTimers: NotifierTimers = {
	set: (callback, ms) => setTimeout(callback, ms),
	clear: handle => {
		clearTimeout(handle as NodeJS.Timeout);
	},
};

export type BatchedNotifierOptions = {
	/** At most one call per this many ms for ordinary changes. */
	intervalMs: number;
	/** The gap allowed for urgent changes (default: intervalMs). */
	urgentMs?: number;
	now?: () => number;
	timers?: NotifierTimers;
};

export class BatchedNotifier {
	readonly #publish: (urgent: boolean) => void;
	readonly #intervalMs: number;
	readonly #urgentMs: number;
	readonly #now: () => number;
	readonly #timers: NotifierTimers;
	#timer: unknown;
	#due = Number.POSITIVE_INFINITY;
	#last = Number.NEGATIVE_INFINITY;
	#urgent = false;
	#stopped = false;

	/** `publish` gets whether any change since the last call was urgent. */
	constructor(publish: (urgent: boolean) => void, options: BatchedNotifierOptions) {
		this.#publish = publish;
		this.#intervalMs = options.intervalMs;
		this.#urgentMs = Math.min(options.urgentMs ?? options.intervalMs, options.intervalMs);
		this.#now = options.now ?? Date.now;
		this.#timers = options.timers ?? realTimers;
	}

	changed(urgent = false): void {
		if (this.#stopped) {
			return;
		}

		this.#urgent ||= urgent;
		const now = this.#now();
		const due = Math.max(now, this.#last + (urgent ? this.#urgentMs : this.#intervalMs));
		if (this.#timer !== undefined && this.#due <= due) {
			return;
		}

		this.#cancel();
		this.#due = due;
		this.#timer = this.#timers.set(() => {
			this.#fire();
		}, due - now);
	}

	stop(): void {
		this.#stopped = true;
		this.#cancel();
	}

	#fire(): void {
		this.#timer = undefined;
		this.#due = Number.POSITIVE_INFINITY;
		this.#last = this.#now();
		const urgent = this.#urgent;
		this.#urgent = false;
		if (!this.#stopped) {
			this.#publish(urgent);
		}
	}

	#cancel(): void {
		if (this.#timer !== undefined) {
			this.#timers.clear(this.#timer);
			this.#timer = undefined;
		}

		this.#due = Number.POSITIVE_INFINITY;
	}
}
