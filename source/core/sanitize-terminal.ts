// Makes device text safe to print: removes every control sequence that could move the cursor, set a title or write the
// clipboard, and every bidi control that could reorder what is shown; one-line messages and JSON output made safe too.

export type SanitizeOptions = {
	/** Keep SGR sequences (colours, bold, …); everything else is removed either way. Default false. */
	keepColors?: boolean;
	/** Keep `\n` (for multi-line text); default false, so a line stays one line. */
	keepNewlines?: boolean;
};

// Fast path: a line without any C0/C1 control, DEL or bidi control needs no work, which is nearly every line of a
// log flood. Bidi controls (Unicode's Bidi_Control: ALM, LRM, RLM, embeddings, overrides, isolates) would let a device
// show "exe.gnp" as "png.exe"; U+2028/U+2029 would break a line on some terminals.
const anyControl = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

/** Bidi controls and the Unicode line/paragraph separators: always removed. */
function isBidiOrSeparator(code: number): boolean {
	return code === 0x061C || code === 0x200E || code === 0x200F || (code >= 0x2028 && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
}

const esc = 0x1b;
const bel = 0x07;
const c1Csi = 0x9b;
const c1St = 0x9c;
const c1Osc = 0x9d;
// C1 openers of control strings (DCS, SOS, PM, APC): everything up to the string terminator goes.
const c1StringOpeners = new Set([0x90, 0x98, 0x9e, 0x9f]);
// Their 7-bit forms after ESC: P (DCS), X (SOS), ^ (PM), _ (APC).
const escStringOpeners = new Set([0x50, 0x58, 0x5e, 0x5f]);

/**
 * Returns `text` without: CSI sequences other than SGR (all CSI unless `keepColors`), OSC, DCS, SOS, PM and APC
 * strings (terminated or not), other escape sequences and bare ESC, C1 controls, `\r`, DEL, every C0 control
 * except tab (and `\n` with `keepNewlines`), bidi controls and U+2028/U+2029. Printable text, including invalid-UTF-8
 * replacement characters, is kept.
 */
export function sanitizeForTerminal(text: string, options: SanitizeOptions = {}): string {
	if (!anyControl.test(text)) {
		return text;
	}

	const keepColors = options.keepColors ?? false;
	const keepNewlines = options.keepNewlines ?? false;
	let out = '';
	let plainStart = 0;
	let index = 0;
	const length = text.length;

	const flush = (end: number) => {
		if (end > plainStart) {
			out += text.slice(plainStart, end);
		}
	};

	while (index < length) {
		const code = text.charCodeAt(index);
		const isControl = code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x61c && isBidiOrSeparator(code));
		if (!isControl || code === 0x09 || (code === 0x0a && keepNewlines)) {
			index++;
			continue;
		}

		flush(index);
		if (code === esc) {
			index = skipEscape(text, index, keepColors, kept => {
				out += kept;
			});
		} else if (code === c1Csi) {
			index = skipCsi(text, index + 1, keepColors, kept => {
				out += kept;
			});
		} else if (code === c1Osc || c1StringOpeners.has(code)) {
			index = skipControlString(text, index + 1);
		} else {
			index++;
		}

		plainStart = index;
	}

	flush(length);
	return out;
}

/** Skips the escape sequence starting with ESC at `start`; returns the index after it. */
function skipEscape(text: string, start: number, keepColors: boolean, keep: (sequence: string) => void): number {
	const next = text.charCodeAt(start + 1);
	if (Number.isNaN(next)) {
		return start + 1;
	}

	if (next === 0x5b) {
		return skipCsi(text, start + 2, keepColors, keep);
	}

	if (next === 0x5d || escStringOpeners.has(next)) {
		return skipControlString(text, start + 2);
	}

	// nF sequences: intermediates 0x20–0x2F, then one final byte 0x30–0x7E (ESC ( B, ESC # 8, ESC 7, ESC c, …).
	let index = start + 1;
	while (index < text.length) {
		const code = text.charCodeAt(index);
		if (code >= 0x20 && code <= 0x2f) {
			index++;
			continue;
		}

		if (code >= 0x30 && code <= 0x7e) {
			return index + 1;
		}

		// Not a sequence after all: drop the bare ESC and let the caller look at this character.
		return index;
	}

	return index;
}

/** `paramsStart` is just after `ESC [` or C1 CSI; returns the index after the sequence. */
function skipCsi(text: string, paramsStart: number, keepColors: boolean, keep: (sequence: string) => void): number {
	let index = paramsStart;
	while (index < text.length) {
		const code = text.charCodeAt(index);
		if (code >= 0x40 && code <= 0x7e) {
			if (keepColors && code === 0x6d && /^[\d;:]*$/.test(text.slice(paramsStart, index))) {
				// Normalise C1 CSI to its 7-bit form: terminals that ignore C1 would otherwise print garbage.
				keep(`\u001b[${text.slice(paramsStart, index)}m`);
			}

			return index + 1;
		}

		if (code < 0x20 || code > 0x7e) {
			// A control or non-ASCII byte inside a CSI: the sequence is broken; drop what was read.
			return index;
		}

		index++;
	}

	return index;
}

/** Skips an OSC/DCS/SOS/PM/APC body up to BEL, ESC \ or C1 ST (or the end of the text). */
function skipControlString(text: string, bodyStart: number): number {
	let index = bodyStart;
	while (index < text.length) {
		const code = text.charCodeAt(index);
		if (code === bel || code === c1St) {
			return index + 1;
		}

		if (code === esc) {
			return text.charCodeAt(index + 1) === 0x5c ? index + 2 : index + 1;
		}

		index++;
	}

	return index;
}

/** Strips every SGR sequence too: for measuring, searching and saving plain text. */
export function stripTerminalSequences(text: string): string {
	return sanitizeForTerminal(text, {keepColors: false});
}

/**
 * Device text made fit for one line of a message (stderr, a status bar): sanitised, line breaks and tabs turned into
 * spaces, at most `maxChars` characters (cut with "…"). Only about 4 × `maxChars` of the input is looked at, so a
 * 5 MB error body costs no more than a short one.
 */
export function oneLine(text: string, maxChars: number): string {
	const head = text.length > maxChars * 4 + 64 ? text.slice(0, maxChars * 4 + 64) : text;
	let line = sanitizeForTerminal(head.replaceAll('\r\n', '\n'), {keepNewlines: true});
	if (line.includes('\n') || line.includes('\t')) {
		line = line.replaceAll(/[\n\t]+/g, ' ');
	}

	if (line.length <= maxChars && head.length === text.length) {
		return line;
	}

	let end = Math.min(line.length, Math.max(0, maxChars - 1));
	const last = line.charCodeAt(end - 1);
	if (last >= 0xD800 && last <= 0xDBFF) {
		end--; // Never half a surrogate pair.
	}

	return `${line.slice(0, end)}…`;
}

// What JSON.stringify leaves raw but a terminal may obey or reorder: DEL, C1 controls, bidi controls, U+2028/U+2029.
const jsonUnsafe = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** JSON.stringify, with the characters it leaves raw that a terminal could obey escaped as \uXXXX (still the same JSON). */
export function jsonForTerminal(value: unknown): string {
	const json = JSON.stringify(value);
	return json.replace(jsonUnsafe, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
