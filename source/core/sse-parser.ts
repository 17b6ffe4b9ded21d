// Server-Sent Events framing as a gokrazy init sends it: lines end at "\n" only, so "\r" stays in a line and empty
// lines survive (a spec-strict parser such as eventsource-parser would split at "\r" and drop empty data).

export type SseEvent = {event: string | undefined; data: string};

const newline = 0x0A;

/**
 * Incremental parser: feed it chunks as they arrive, it calls `onEvent` for each complete event (ended by a blank
 * line). Bytes are decoded as UTF-8 per line, so a multi-byte character split across chunks is kept whole.
 */
export class SseParser {
	private pending: Buffer | undefined;
	private eventName: string | undefined;
	private dataLines: string[] = [];

	constructor(private readonly onEvent: (event: SseEvent) => void) {}

	push(chunk: Buffer): void {
		let buffer = chunk;
		if (this.pending) {
			buffer = Buffer.concat([this.pending, chunk]);
			this.pending = undefined;
		}

		let start = 0;
		for (;;) {
			const end = buffer.indexOf(newline, start);
			if (end === -1) {
				break;
			}

			this.line(buffer.toString('utf8', start, end));
			start = end + 1;
		}

		if (start < buffer.length) {
			this.pending = buffer.subarray(start);
		}
	}

	/** The connection ended: an unterminated event is not delivered (the device always ends events with a blank line). */
	end(): void {
		this.pending = undefined;
		this.eventName = undefined;
		this.dataLines = [];
	}

	private line(line: string): void {
		if (line === '') {
			if (this.dataLines.length > 0) {
				this.onEvent({event: this.eventName, data: this.dataLines.join('\n')});
			}

			this.eventName = undefined;
			this.dataLines = [];
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
			this.dataLines.push(value);
		} else if (field === 'event') {
			this.eventName = value;
		}
	}
}

/** Parses a complete SSE text at once (for captures and tests). */
export function parseSseText(text: string | Buffer): SseEvent[] {
	const events: SseEvent[] = [];
	const parser = new SseParser(event => events.push(event));
	parser.push(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
	return events;
}
