// When the dashboard draws: poll results at most once per `minGapMs`, a tick so ages move, what the user did at once.
//
//   const pacer = new FramePacer(() => setFrame(frame => frame + 1), {minGapMs: 1000});
//   store.subscribe((_snapshot, _changed, urgent) => pacer.changed(urgent));
//   useEffect(() => pacer.drawn()); // after every commit, whatever caused it
//   pacer.setTick(1000);            // or null: no frame without a cause
//
// Fifty devices polled every 2 s answer spread over a second: drawn as they come, that is a frame every few hundred
// milliseconds, each costing the whole screen's layout and output (bench/dashboard-idle.ts). Poll results that arrive
// within `minGapMs` of the last frame wait for the next one, and the tick that keeps ages moving is that same frame.

export type FramePacerOptions = {
	/** Poll results are drawn at most this often (ms). */
	minGapMs: number;
	now?: () => number;
	/** Tests hand in a clock of their own. */
	timers?: {set: (callback: () => void, ms: number) => unknown; clear: (handle: unknown) => void};
};

const realTimers = {
	set(callback: () => void, ms: number): unknown {
		// The dashboard keeps the process alive while it runs; a pending frame must not keep it alive after.
		return setTimeout(callback, ms).unref();
	},
	clear(handle: unknown): void {
		clearTimeout(handle as NodeJS.Timeout);
	},
};

export class FramePacer {
	readonly #draw: () => void;
	readonly #minGapMs: number;
	readonly #now: () => number;
	readonly #timers: NonNullable<FramePacerOptions['timers']>;
	#lastDrawn: number;
	#tickMs: number | null = null;
	#timer: unknown;
	#due = Number.POSITIVE_INFINITY;
	#stopped = false;
	/** Poll results arrived since the last frame. */
	#changePending = false;

	/** `draw` must lead to a frame, and that frame to `drawn()`. */
	constructor(draw: () => void, options: FramePacerOptions) {
		this.#draw = draw;
		this.#minGapMs = options.minGapMs;
		this.#now = options.now ?? Date.now;
		this.#timers = options.timers ?? realTimers;
		this.#lastDrawn = this.#now();
	}

	/** A frame was drawn (for any reason): the next tick counts from now, and so does the gap for poll results. */
	drawn(): void {
		this.#lastDrawn = this.#now();
		this.#changePending = false;
		this.#cancel();
		this.#rearm();
	}

	/** The store changed: urgent changes (the user's) are drawn at once, poll results once the gap has passed. */
	changed(urgent: boolean): void {
		if (urgent) {
			this.#fire();
			return;
		}

		this.#changePending = true;
		this.#rearm();
	}

	/** A frame at most `ms` after the last one even when nothing changed (ages on screen), or none (null). */
	setTick(ms: number | null): void {
		if (ms === this.#tickMs) {
			return;
		}

		this.#tickMs = ms;
		this.#cancel();
		this.#rearm();
	}

	stop(): void {
		this.#stopped = true;
		this.#cancel();
	}

	/** The next frame: a pending change's after the gap, else the tick's. */
	#rearm(): void {
		if (this.#changePending) {
			this.#arm(Math.max(this.#now(), this.#lastDrawn + this.#minGapMs));
		}

		if (this.#tickMs !== null) {
			this.#arm(this.#lastDrawn + this.#tickMs);
		}
	}

	/** Arms the timer for `at`, unless it is already armed for that time or earlier. */
	#arm(at: number): void {
		if (this.#stopped || this.#due <= at) {
			return;
		}

		this.#cancel();
		this.#due = at;
		this.#timer = this.#timers.set(() => {
			this.#fire();
		}, Math.max(0, at - this.#now()));
	}

	#fire(): void {
		this.#cancel();
		this.#changePending = false;
		if (!this.#stopped) {
			this.#draw();
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
