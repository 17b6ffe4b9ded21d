// Fixed-size history of one figure (memory, RSS, CPU %, …): the client keeps every graph's past, the device keeps none.

/** Where a figure comes from, so a view can say it ("gokrazy JSON", "node_exporter :9100"). */
export type MetricSource = 'gokrazy-json' | 'gokrazy-html' | 'node-exporter';

export type MetricUnit = 'bytes' | 'percent' | 'bytes-per-second' | 'load';

/** An immutable copy of a ring, oldest first; `null` marks a poll without a value (a gap in the graph). */
export type MetricSeries = {
	readonly values: readonly (number | null)[];
	/** Sample times (ms since the epoch), parallel to `values`. */
	readonly times: readonly number[];
	/** The newest non-null value. */
	readonly latest: number | null;
	readonly source: MetricSource;
	readonly unit: MetricUnit;
	readonly capacity: number;
};

/** A ring of `capacity` samples; pushing past it forgets the oldest. */
export class MetricRing {
	readonly #values: Float64Array;
	readonly #times: Float64Array;
	#start = 0;
	#size = 0;
	#latest: number | null = null;
	#cached: MetricSeries | undefined;

	constructor(
		readonly capacity: number,
		readonly source: MetricSource,
		readonly unit: MetricUnit,
	) {
		if (!Number.isInteger(capacity) || capacity < 1) {
			throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
		}

		this.#values = new Float64Array(capacity);
		this.#times = new Float64Array(capacity);
	}

	get size(): number {
		return this.#size;
	}

	/** Adds a sample; `null` (or a non-finite number) records that the poll had no value. */
	push(time: number, value: number | null): void {
		const stored = value === null || !Number.isFinite(value) ? Number.NaN : value;
		const slot = (this.#start + this.#size) % this.capacity;
		this.#values[slot] = stored;
		this.#times[slot] = time;
		if (this.#size < this.capacity) {
			this.#size++;
		} else {
			this.#start = (this.#start + 1) % this.capacity;
		}

		if (!Number.isNaN(stored)) {
			this.#latest = stored;
		}

		this.#cached = undefined;
	}

	/** The samples as an immutable series; the same object until the next push. */
	series(): MetricSeries {
		if (this.#cached) {
			return this.#cached;
		}

		const values: (number | null)[] = [];
		const times: number[] = [];
		for (let offset = 0; offset < this.#size; offset++) {
			const slot = (this.#start + offset) % this.capacity;
			const value = this.#values[slot];
			values.push(Number.isNaN(value) ? null : value);
			times.push(this.#times[slot]);
		}

		this.#cached = Object.freeze({
			values: Object.freeze(values),
			times: Object.freeze(times),
			latest: this.#latest,
			source: this.source,
			unit: this.unit,
			capacity: this.capacity,
		});
		return this.#cached;
	}
}

/**
 * How many samples cover `historyMs` at one sample per `intervalMs`: one more than the intervals in it, so the oldest
 * sample is `historyMs` old and "last 5 min" spans 5 minutes (at least 2, so a rate can be drawn).
 */
export function ringCapacity(historyMs: number, intervalMs: number): number {
	return Math.max(2, Math.ceil(historyMs / Math.max(1, intervalMs)) + 1);
}

/** An empty series, for figures that have no ring (yet). */
export function emptySeries(source: MetricSource, unit: MetricUnit, capacity = 0): MetricSeries {
	return Object.freeze({values: Object.freeze([]), times: Object.freeze([]), latest: null, source, unit, capacity});
}
