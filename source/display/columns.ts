// Text measured in terminal columns, not code points: widths, cutting with an ellipsis, padding, wrapping, tabs.
//
// A hostname like 日本語のホスト名です is 20 columns wide in 10 code points; cut by code points it would overflow
// its cell and push the frame off the terminal. Widths come from string-width (the library Ink itself measures with),
// wrapping from wrap-ansi, cutting coloured text from cli-truncate. Most text on screen is ASCII, box drawing, blocks
// and marks, all one column each: those take a fast path (a test checks it against string-width character by
// character), since cells are fitted many times per frame and the libraries cost forty times more.
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/** Characters one column wide (checked against string-width in test/display/columns.test.ts). */
export const narrowRanges: ReadonlyArray<readonly [number, number]> = [
	[0x20, 0x7E], // ASCII
	[0xA0, 0xAC], // Latin-1 (· ×) without the soft hyphen, which has no width
	[0xAE, 0xFF],
	[0x2010, 0x2027], // dashes, quotes, bullets, …
	[0x2030, 0x203E], // ‰ › ‹
	[0x2190, 0x21FF], // arrows (→ ↻)
	[0x2500, 0x25FC], // box drawing, blocks (sparklines), geometric shapes (● ◌ ▶ ■ ▸)
	[0x2691, 0x2691], // ⚑ (Prometheus alerts)
	[0x26A0, 0x26A0], // ⚠
	[0x26B7, 0x26B7], // ⚷
	[0x2713, 0x2717], // ✓ ✗ ✖
];

const narrowOnly = new RegExp(`^[${narrowRanges.map(([from, to]) => `\\u{${from.toString(16)}}-\\u{${to.toString(16)}}`).join('')}]*$`, 'u');

const sgrSequence = /\u001b\[[\d;]*m/g;

/** Columns the text takes on a terminal (colour sequences count nothing). */
export function textWidth(text: string): number {
	if (narrowOnly.test(text)) {
		return text.length;
	}

	// A painted row of marks (the wall's) is still one column a character once its colours are off: string-width's
	// Unicode tables (emoji, grapheme clusters) are only needed, and only loaded, for the rest.
	const plain = text.includes('\u001b') ? text.replaceAll(sgrSequence, '') : text;
	return plain !== text && narrowOnly.test(plain) ? plain.length : stringWidth(plain);
}

/** Fits text into exactly `width` columns: cut with an ellipsis, or padded with spaces. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	if (width <= 0) {
		return '';
	}

	let shown = text;
	let used = textWidth(text);
	if (used > width) {
		shown = cut(text, width);
		// A wide character at the cut leaves a column over: padding fills it, so the cell stays exactly `width`.
		used = textWidth(shown);
	}

	if (used === width) {
		return shown;
	}

	const padding = ' '.repeat(width - used);
	return align === 'left' ? shown + padding : padding + shown;
}

/** Text cut to at most `width` columns (with an ellipsis), never padded. */
export function cut(text: string, width: number): string {
	if (width <= 0) {
		return '';
	}

	// The common case, one column per code unit, is cut in place: this runs for many cells of every frame.
	if (narrowOnly.test(text)) {
		return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
	}

	if (stringWidth(text) <= width) {
		return text;
	}

	if (text.includes('\u001b')) {
		// Colour sequences are kept whole (and closed) by cli-truncate.
		const truncated = cliTruncate(text, width);
		if (textWidth(truncated) <= width) {
			return truncated;
		}
	}

	// By grapheme cluster, so a wide character never straddles the edge (cli-truncate 5 can end a column over when
	// one meets the ellipsis: 日本語… in 2 columns).
	return cutByClusters(text.replaceAll(sgrSequence, ''), width);
}

const clusters = new Intl.Segmenter();

function cutByClusters(text: string, width: number): string {
	let out = '';
	let used = 0;
	for (const {segment} of clusters.segment(text)) {
		const columns = stringWidth(segment);
		if (used + columns > width - 1) {
			break;
		}

		out += segment;
		used += columns;
	}

	return `${out}…`;
}

/** A table cell: the text fitted into `width - 1` columns and one space, so neighbours never run together. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	return width <= 1 ? fit(text, width) : `${fit(text, width - 1, align)} `;
}

/** A section title drawn as a rule: `── Services · casa ──────…`, exactly `width` wide. */
export function rule(title: string, width: number): string {
	const head = `── ${title} `;
	const used = textWidth(head);
	return used >= width ? fit(head, width) : head + '─'.repeat(width - used);
}

/** Tabs to spaces at the column they reach (terminals and Ink disagree about a tab's width). */
export function expandTabs(text: string, tabSize = 8): string {
	if (!text.includes('\t')) {
		return text;
	}

	let out = '';
	let column = 0;
	for (const part of text.split(/(\t)/)) {
		if (part === '\t') {
			const spaces = tabSize - (column % tabSize);
			out += ' '.repeat(spaces);
			column += spaces;
		} else {
			out += part;
			column += textWidth(part);
		}
	}

	return out;
}

/** Words into at most `maxLines` lines of `width` columns; what does not fit ends the last line with an ellipsis. */
export function wrapWords(text: string, width: number, maxLines: number): string[] {
	if (width <= 0 || maxLines <= 0) {
		return [''];
	}

	// A word longer than the line is cut on its own line rather than broken across lines.
	const lines = wrapAnsi(text, width, {hard: false, trim: true}).split('\n');
	if (lines.length > maxLines) {
		lines.splice(maxLines - 1, Infinity, lines.slice(maxLines - 1).join(' '));
	}

	return lines.map(line => cut(line, width));
}

/** Words into lines of `width` columns, a word longer than a line (a path) broken across lines: nothing is lost. */
export function wrapFully(text: string, width: number): string[] {
	if (width <= 0) {
		return [''];
	}

	return wrapAnsi(text, width, {hard: true, trim: true}).split('\n');
}

/**
 * Text cut into pieces of at most `width` columns each (a wide character never straddles two), for wrapped log
 * rows; `offset` is where each piece starts in the text, in code units.
 */
export function columnChunks(text: string, width: number, maxChunks = Number.POSITIVE_INFINITY): Array<{text: string; offset: number}> {
	const size = Math.max(1, width);
	const chunks: Array<{text: string; offset: number}> = [];
	if (narrowOnly.test(text)) {
		let offset = 0;
		do {
			chunks.push({text: text.slice(offset, offset + size), offset});
			offset += size;
		} while (offset < text.length && chunks.length < maxChunks);
		return chunks;
	}

	let current = '';
	let currentWidth = 0;
	let start = 0;
	let offset = 0;
	for (const character of text) {
		const columns = textWidth(character);
		if (currentWidth + columns > size && current !== '') {
			chunks.push({text: current, offset: start});
			if (chunks.length >= maxChunks) {
				return chunks;
			}

			current = '';
			currentWidth = 0;
			start = offset;
		}

		current += character;
		currentWidth += columns;
		offset += character.length;
	}

	chunks.push({text: current, offset: start});
	return chunks;
}

/** Anything drawn as runs of text: the Ink line's styled segments, the wall's toned ones. */
export type TextRun = {readonly text: string};

/** The runs that fit in `width` columns, the last one cut with an ellipsis. */
export function fitRuns<T extends TextRun>(runs: readonly T[], width: number): T[] {
	const result: T[] = [];
	let used = 0;
	for (const run of runs) {
		const columns = textWidth(run.text);
		if (used + columns <= width) {
			result.push(run);
			used += columns;
			continue;
		}

		const room = width - used;
		if (room > 0) {
			result.push({...run, text: cut(run.text, room)});
		}

		break;
	}

	return result;
}

/** The total width of runs in columns. */
export function runsWidth(runs: readonly TextRun[]): number {
	return runs.reduce((sum, run) => sum + textWidth(run.text), 0);
}
