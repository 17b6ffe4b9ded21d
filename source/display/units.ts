// How figures read on every screen and in `status`: byte sizes, rates, durations, ages, percentages, clock times.

const shortUnits = ['B', 'K', 'M', 'G', 'T'];
const longUnits = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

function known(value: number | null | undefined): value is number {
	return value !== null && value !== undefined && Number.isFinite(value);
}

/** 412M, 7.9G, 980K: short sizes for table cells (binary units). */
export function shortBytes(bytes: number | null | undefined): string {
	if (!known(bytes)) {
		return '-';
	}

	let value = Math.max(0, bytes);
	let unit = 0;
	while (value >= 1024 && unit < shortUnits.length - 1) {
		value /= 1024;
		unit++;
	}

	const digits = value < 10 && unit > 0 ? 1 : 0;
	return `${value.toFixed(digits)}${shortUnits[unit]}`;
}

/** 412.3 MiB, 7.9 GiB: sizes in sentences. */
export function longBytes(bytes: number | null | undefined): string {
	if (!known(bytes)) {
		return 'unknown';
	}

	let value = Math.max(0, bytes);
	let unit = 0;
	while (value >= 1024 && unit < longUnits.length - 1) {
		value /= 1024;
		unit++;
	}

	return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(1)} ${longUnits[unit]}`;
}

export function bytesPerSecond(rate: number | null | undefined): string {
	return known(rate) ? `${shortBytes(rate)}/s` : '-';
}

/** 45s, 12m, 3h05m, 2d04h: an uptime or an age in at most six characters. */
export function shortDuration(ms: number | null | undefined): string {
	if (!known(ms) || ms < 0) {
		return '-';
	}

	const seconds = Math.floor(ms / 1000);
	if (seconds < 60) {
		return `${seconds}s`;
	}

	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) {
		return `${minutes}m`;
	}

	const hours = Math.floor(minutes / 60);
	if (hours < 24) {
		return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
	}

	const days = Math.floor(hours / 24);
	return days < 100 ? `${days}d${String(hours % 24).padStart(2, '0')}h` : `${days}d`;
}

/** "12 s ago", "3 min ago", "2 h ago": for "last seen". */
export function agoText(ms: number): string {
	const seconds = Math.max(0, Math.round(ms / 1000));
	if (seconds < 90) {
		return `${seconds} s ago`;
	}

	const minutes = Math.round(seconds / 60);
	if (minutes < 90) {
		return `${minutes} min ago`;
	}

	const hours = Math.round(minutes / 60);
	return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

/** 14:03:07 on the local clock. */
export function clockTime(ms: number): string {
	const date = new Date(ms);
	return [date.getHours(), date.getMinutes(), date.getSeconds()].map(part => String(part).padStart(2, '0')).join(':');
}

/** part / whole as a percentage, or null when either is unknown. */
export function percentOf(part: number | null | undefined, whole: number | null | undefined): number | null {
	if (!known(part) || !whole || whole <= 0) {
		return null;
	}

	return Math.max(0, (part / whole) * 100);
}

/** 42%, <1%, – (unknown). */
export function percentText(percent: number | null): string {
	if (percent === null) {
		return '–';
	}

	return percent > 0 && percent < 1 ? '<1%' : `${Math.round(percent)}%`;
}
