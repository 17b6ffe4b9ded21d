// Server-Sent Events framing as a gokrazy init sends it: lines end at "\n" only, so "\r" stays in a line and empty
// lines survive (a spec-strict parser such as eventsource-parser would split at "\r" and drop empty data).

import {cutMarker, readLimits} from './read-limits.js';

export type SseEvent = {event: string | undefined; data: string};

export type SseLimits = {
	/** Most bytes kept of one line (default readLimits.logLineBytes); the rest is counted and cut. */
	lineBytes?: number;
	/** Most bytes kept of one event's data (default readLimits.sseEventBytes). */
	eventBytes?: number;
};

const newline = 0x0A;

/**
 * Incremental parser: feed it chunks as they arrive, it calls `onEvent` for each complete event (ended by a blank
 * line). Bytes are decoded as UTF-8 per line, so a multi-byte character split across chunks is kept whole.
 *
 * Bounded whatever the device sends, in time and memory: each byte is looked at once, at most `lineBytes` of a line
 * and `eventBytes` of an event are kept, and what is dropped is counted: such a line or event ends with
 * "… N bytes cut". A line or event that never ends costs no more than those bounds.
 */
export class SseParser {
	/** Kept bytes of the line being read (pieces of chunks), and how many were dropped. */
	private pieces: Buffer[] = [];
	private pieceBytes = 0;
	private lineCut = 0;
	private eventName: string | undefined;
	private dataLines: string[] = [];
	private dataBytes = 0;
	private eventCut = 0;
	private readonly lineBytes: number;
	private readonly eventBytes: number;

	constructor(private readonly onEvent: (event: SseEvent) => void, limits: SseLimits = {}) {
		this.lineBytes = limits.lineBytes ?? readLimits.logLineBytes;
		this.eventBytes = limits.eventBytes ?? readLimits.sseEventBytes;
	}

	push(chunk: Buffer): void {
		let start = 0;
		for (;;) {
			const end = chunk.indexOf(newline, start);
			if (end === -1) {
				this.keep(chunk, start, chunk.length);
				return;
			}

			if (this.pieces.length === 0 && this.lineCut === 0 && end - start <= this.lineBytes) {
				// The common case: a whole line inside one chunk, decoded straight from it.
				this.line(chunk.toString('utf8', start, end), 0);
			} else {
				this.keep(chunk, start, end);
				this.endLine();
			}

			start = end + 1;
		}
	}

	/**
	 * The connection ended. An unterminated event is not delivered (the device always ends events with a blank line),
	 * except one that was cut: a device that sent a megabyte without ending it shows that much, marked.
	 */
	end(): void {
		if (this.lineCut > 0 || this.eventCut > 0) {
			if (this.pieceBytes > 0 || this.lineCut > 0) {
				this.endLine();
			}

			this.deliver();
		}

		this.pieces = [];
		this.pieceBytes = 0;
		this.lineCut = 0;
		this.eventName = undefined;
		this.dataLines = [];
		this.dataBytes = 0;
		this.eventCut = 0;
	}

	private keep(chunk: Buffer, start: number, end: number): void {
		const room = this.lineBytes - this.pieceBytes;
		const take = Math.min(room, end - start);
		if (take > 0) {
			this.pieces.push(chunk.subarray(start, start + take));
			this.pieceBytes += take;
		}

		this.lineCut += end - start - take;
	}

	private endLine(): void {
		const bytes = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.pieceBytes);
		let text = bytes.toString('utf8');
		const cut = this.lineCut;
		if (cut > 0 && text.endsWith('\uFFFD')) {
			text = text.slice(0, -1); // A character cut in half.
		}

		this.pieces = [];
		this.pieceBytes = 0;
		this.lineCut = 0;
		this.line(text, cut);
	}

	private deliver(): void {
		if (this.dataLines.length > 0 || this.eventCut > 0) {
			const data = this.dataLines.join('\n');
			this.onEvent({event: this.eventName, data: this.eventCut > 0 ? data + cutMarker(this.eventCut) : data});
		}

		this.eventName = undefined;
		this.dataLines = [];
		this.dataBytes = 0;
		this.eventCut = 0;
	}

	private line(line: string, cut: number): void {
		if (line === '' && cut === 0) {
			this.deliver();
			return;
		}

		const colon = line.indexOf(':');
		if (colon === 0) {
			return; // A comment.
		}

		const field = colon === -1 ? line : line.slice(0, colon);
		let value = colon === -1 ? '' : line.slice(colon + 1);
		if (value.startsWith(' ')) {
			value = value.slice(1);
		}

		if (field === 'data') {
			this.addData(value, cut);
		} else if (field === 'event') {
			this.eventName = value.length > 64 ? value.slice(0, 64) : value;
		}
	}

	private addData(value: string, cut: number): void {
		// Bytes as UTF-16 code units are close enough for a bound (and cost nothing to count).
		const room = this.eventBytes - this.dataBytes;
		if (room <= 0) {
			this.eventCut += value.length + 1 + cut;
			return;
		}

		if (value.length > room) {
			this.eventCut += value.length - room + cut;
			this.dataLines.push(value.slice(0, room));
			this.dataBytes = this.eventBytes;
			return;
		}

		this.dataLines.push(cut > 0 ? value + cutMarker(cut) : value);
		this.dataBytes += value.length + 1;
	}
}

/** Parses a complete SSE text at once (for captures and tests). */
export function parseSseText(text: string | Buffer, limits?: SseLimits): SseEvent[] {
	const events: SseEvent[] = [];
	const parser = new SseParser(event => events.push(event), limits);
	parser.push(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
	return events;
}
