// Sparklines: a series drawn with the eight block heights, gaps where a poll had no value.

const blocks = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export type SparklineOptions = {
	/** Characters to draw; the newest values win when the series is longer. */
	width: number;
	/** Scale from this value (default: 0, so a flat line at 400 MB does not look empty or full). */
	min?: number;
	/** Scale to this value (default: the largest value shown). */
	max?: number;
	/** Drawn where there is no value yet (left padding) or a poll had none. */
	empty?: string;
};

/** The last `width` values as block characters, right-aligned; always exactly `width` characters. */
export function sparkline(values: readonly (number | null)[], options: SparklineOptions): string {
	const {width} = options;
	if (width <= 0) {
		return '';
	}

	const empty = options.empty ?? ' ';
	const shown = values.slice(-width);
	const numbers = shown.filter((value): value is number => value !== null && Number.isFinite(value));
	const min = options.min ?? Math.min(0, ...numbers);
	const max = options.max ?? Math.max(min, ...numbers);
	const span = max - min;
	let line = empty.repeat(width - shown.length);
	for (const value of shown) {
		if (value === null || !Number.isFinite(value)) {
			line += empty;
			continue;
		}

		const level = span <= 0 ? 0 : Math.round(((value - min) / span) * (blocks.length - 1));
		line += blocks[Math.max(0, Math.min(blocks.length - 1, level))];
	}

	return line;
}

/**
 * The last `width` values as a chart `height` rows tall (top row first), each row an eighth-step of its share of the
 * range: a tall terminal's graphs grow into the free rows. Every row is exactly `width` characters.
 */
export function tallSparkline(values: readonly (number | null)[], options: SparklineOptions & {height: number}): string[] {
	const {width, height} = options;
	if (height <= 1) {
		return [sparkline(values, options)];
	}

	const empty = options.empty ?? ' ';
	const shown = values.slice(-width);
	const numbers = shown.filter((value): value is number => value !== null && Number.isFinite(value));
	const min = options.min ?? Math.min(0, ...numbers);
	const max = options.max ?? Math.max(min, ...numbers);
	const span = max - min;
	const steps = height * blocks.length;
	// Eighths filled per column; -1 where there is no value.
	const levels = [...Array.from({length: width - shown.length}, () => -1), ...shown.map(value => {
		if (value === null || !Number.isFinite(value)) {
			return -1;
		}

		return span <= 0 ? 1 : Math.max(1, Math.min(steps, Math.round(((value - min) / span) * steps)));
	})];
	const rows: string[] = [];
	for (let row = height - 1; row >= 0; row--) {
		rows.push(levels.map(level => {
			if (level < 0) {
				return row === 0 ? empty : ' ';
			}

			const filled = level - row * blocks.length;
			return filled <= 0 ? ' ' : blocks[Math.min(blocks.length, filled) - 1];
		}).join(''));
	}

	return rows;
}

/**
 * A scale for a figure's own range (a service's RSS, a device's used memory): the lowest and highest values shown,
 * with a little room above and below. A constant value, or one that moves by less than 2 % of itself, is drawn flat
 * in the middle rather than as full bars; `low` and `high` are the values to print as the scale.
 */
export function ownRange(values: readonly (number | null)[]): {min: number; max: number; low: number; high: number} | undefined {
	let low = Number.POSITIVE_INFINITY;
	let high = Number.NEGATIVE_INFINITY;
	for (const value of values) {
		if (value !== null && Number.isFinite(value)) {
			low = Math.min(low, value);
			high = Math.max(high, value);
		}
	}

	if (low > high) {
		return undefined;
	}

	const span = Math.max(high - low, 0.02 * Math.max(Math.abs(high), Math.abs(low)), Number.EPSILON);
	const center = (low + high) / 2;
	return {min: center - span * 0.55, max: center + span * 0.55, low, high};
}

/**
 * Samples placed by their time on `width` columns covering the `windowMs` before `now` (so "last 5 min" spans the
 * whole chart whatever the poll interval): a column holds the largest sample in it (a peak is never hidden); a column
 * between two samples closer than 2.5 poll intervals repeats the earlier one (a wide chart over a slow poll has no
 * holes); a longer silence, and the time before the first sample, stay empty (null).
 */
export function timeColumns(values: readonly (number | null)[], times: readonly number[], options: {width: number; windowMs: number; now: number}): Array<number | null> {
	const {width, windowMs, now} = options;
	const columns: Array<number | null> = Array.from({length: Math.max(0, width)}, () => null);
	if (width <= 0 || windowMs <= 0) {
		return columns;
	}

	const start = now - windowMs;
	const columnMs = windowMs / width;
	const intervals: number[] = [];
	for (let index = 1; index < times.length; index++) {
		intervals.push(times[index]! - times[index - 1]!);
	}

	intervals.sort((a, b) => a - b);
	const interval = intervals.length > 0 ? intervals[Math.floor(intervals.length / 2)]! : columnMs;
	const lastSampleAt: Array<number | null> = Array.from({length: width}, () => null);
	for (let index = 0; index < values.length; index++) {
		const time = times[index]!;
		const value = values[index];
		if (time < start || time > now) {
			continue;
		}

		const column = Math.min(width - 1, Math.floor((time - start) / columnMs));
		lastSampleAt[column] = time;
		if (value !== null && value !== undefined && Number.isFinite(value)) {
			columns[column] = Math.max(columns[column] ?? Number.NEGATIVE_INFINITY, value);
		}
	}

	let previous: {value: number | null; time: number} | null = null;
	for (let column = 0; column < width; column++) {
		const sampled = lastSampleAt[column];
		if (sampled !== null) {
			previous = {value: columns[column] ?? null, time: sampled};
			continue;
		}

		const columnEnd = start + (column + 1) * columnMs;
		if (previous && previous.value !== null && columnEnd - previous.time <= interval * 2.5) {
			columns[column] = previous.value;
		}
	}

	return columns;
}
