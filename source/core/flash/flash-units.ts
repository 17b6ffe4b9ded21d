// Sizes, speeds and durations as the flashing screens and messages print them (card makers count in powers of 1000).

/** 31.9 GB, 512 MB, 4.0 kB: decimal, as printed on the card. */
export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes)) {
		return '?';
	}

	const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
	let value = bytes;
	let unit = 0;
	while (Math.abs(value) >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}

	if (unit === 0) {
		return `${Math.round(value)} B`;
	}

	return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** 21.4 MB/s */
export function formatRate(bytesPerSecond: number): string {
	return `${formatBytes(bytesPerSecond)}/s`;
}

/** 1h02m, 3m05s, 42s */
export function formatDuration(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds < 0) {
		return '?';
	}

	const total = Math.round(seconds);
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const rest = total % 60;
	if (hours > 0) {
		return `${hours}h${String(minutes).padStart(2, '0')}m`;
	}

	if (minutes > 0) {
		return `${minutes}m${String(rest).padStart(2, '0')}s`;
	}

	return `${rest}s`;
}

/** 0x1f400000 (524288000): how a byte offset is named in a verification failure. */
export function formatOffset(offset: number): string {
	return `${offset} (0x${offset.toString(16)})`;
}
