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
