// Progress events of a flash (write, verify, done) and the speed and ETA figures derived from them.

export type WriteProgress = {
	phase: 'write';
	/** Image bytes done (written or, in the fast mode, skipped). Never decreases. */
	bytes: number;
	/** The image's size, or null when the format does not tell it (gzip). */
	total: number | null;
	bytesPerSecond: number;
	/** Bytes read from the image file: the only measure of progress when the total is unknown. */
	sourceBytes: number;
	sourceTotal: number;
	/** Bytes that went to the card (fast mode: less than bytes). */
	writtenBytes: number;
	skippedBytes: number;
};

export type VerifyProgress = {phase: 'verify'; bytes: number; total: number; bytesPerSecond: number};

export type FlashProgress = WriteProgress | VerifyProgress;

/** The fraction done in 0…1: of the image when its size is known, else of the file read so far. */
export function fractionDone(progress: FlashProgress): number {
	if (progress.phase === 'verify' || progress.total !== null) {
		const total = progress.phase === 'verify' ? progress.total : progress.total ?? 0;
		return total > 0 ? Math.min(1, progress.bytes / total) : 0;
	}

	return progress.sourceTotal > 0 ? Math.min(1, progress.sourceBytes / progress.sourceTotal) : 0;
}

/** Seconds left at the current speed, or undefined while unknown. */
export function secondsLeft(progress: FlashProgress): number | undefined {
	if (progress.bytesPerSecond <= 0) {
		return undefined;
	}

	if (progress.phase === 'verify' || progress.total !== null) {
		const total = progress.phase === 'verify' ? progress.total : progress.total ?? 0;
		return Math.max(0, total - progress.bytes) / progress.bytesPerSecond;
	}

	const fraction = fractionDone(progress);
	if (fraction <= 0) {
		return undefined;
	}

	// Unknown total: extrapolate from the share of the compressed file consumed.
	const estimatedTotal = progress.bytes / fraction;
	return Math.max(0, estimatedTotal - progress.bytes) / progress.bytesPerSecond;
}

/** Bytes per second over the last few seconds, so a slow stretch shows quickly and a pause does not linger. */
export class RateMeter {
	private readonly samples: Array<[time: number, bytes: number]> = [];

	constructor(private readonly windowMs = 3000) {}

	sample(bytes: number, now = performance.now()): number {
		this.samples.push([now, bytes]);
		while (this.samples.length > 2 && now - this.samples[1][0] >= this.windowMs) {
			this.samples.shift();
		}

		const [firstTime, firstBytes] = this.samples[0];
		const elapsed = (now - firstTime) / 1000;
		return elapsed > 0 ? (bytes - firstBytes) / elapsed : 0;
	}
}

/** Lets a progress event through at most every `intervalMs`, unless forced (the last one). */
export class ProgressThrottle {
	private last = Number.NEGATIVE_INFINITY;

	constructor(private readonly intervalMs = 100) {}

	due(force = false, now = performance.now()): boolean {
		if (force || now - this.last >= this.intervalMs) {
			this.last = now;
			return true;
		}

		return false;
	}
}
