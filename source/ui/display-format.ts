// How figures read on screen: byte sizes, rates, durations, ages, and text cut to a width.

const units = ['B', 'K', 'M', 'G', 'T'];

/** 412M, 7.9G, 980K: short sizes for table cells (binary units). */
export function shortBytes(bytes: number | null | undefined): string {
	if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
		return '-';
	}

	let value = Math.max(0, bytes);
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	const digits = value < 10 && unit > 0 ? 1 : 0;
	return `${value.toFixed(digits)}${units[unit]}`;
}

/** 412.3 MiB, 7.9 GiB: sizes in sentences. */
export function longBytes(bytes: number | null | undefined): string {
	if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
		return 'unknown';
	}

	const names = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = Math.max(0, bytes);
	let unit = 0;
	while (value >= 1024 && unit < names.length - 1) {
		value /= 1024;
		unit++;
	}

	return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(1)} ${names[unit]}`;
}

export function bytesPerSecond(rate: number | null | undefined): string {
	if (rate === null || rate === undefined || !Number.isFinite(rate)) {
		return '-';
	}

	return `${shortBytes(rate)}/s`;
}

/** 45s, 12m, 3h05m, 2d04h: an uptime or an age in at most six characters. */
export function shortDuration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) {
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

/** Fits text into exactly `width` columns: cut with an ellipsis, or padded with spaces. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	if (width <= 0) {
		return '';
	}

	const chars = [...text];
	if (chars.length > width) {
		return width === 1 ? '…' : `${chars.slice(0, width - 1).join('')}…`;
	}

	const padding = ' '.repeat(width - chars.length);
	return align === 'left' ? text + padding : padding + text;
}

/** Tabs to spaces (terminals and Ink disagree about their width). */
export function expandTabs(text: string, tabSize = 8): string {
	if (!text.includes('\t')) {
		return text;
	}

	let out = '';
	let column = 0;
	for (const char of text) {
		if (char === '\t') {
			const spaces = tabSize - (column % tabSize);
			out += ' '.repeat(spaces);
			column += spaces;
		} else {
			out += char;
			column++;
		}
	}

	return out;
}

/** A section title drawn as a rule: `── Services · casa ──────…`, exactly `width` wide. */
export function rule(title: string, width: number): string {
	const head = `── ${title} `;
	const chars = [...head];
	if (chars.length >= width) {
		return fit(head, width);
	}

	return head + '─'.repeat(width - chars.length);
}

/** A table cell: the text fitted into `width - 1` columns and one space, so neighbours never run together. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	return width <= 1 ? fit(text, width) : `${fit(text, width - 1, align)} `;
}
