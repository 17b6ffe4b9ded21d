// The bounded ring of one service's log lines (with markers where lines were lost) and the follower that fills it.
import {writeFile} from 'node:fs/promises';
import {BatchedNotifier} from './batched-notifier.js';
import type {LogLine, LogStreamName} from './device-model.js';
import type {LogEvent, LogStream} from './log-stream.js';
import {readLimits} from './read-limits.js';
import {sanitizeForTerminal} from './sanitize-terminal.js';

export const defaultLogBufferLines = 10_000;

/** Longer lines are cut (a 1 MB line must not make every frame slow); the entry says how long it was. */
export const maxStoredLineLength = readLimits.logViewLineChars;

/** A copy of a cut line that does not keep the whole line alive (V8's slices point into their parent string). */
function detached(text: string): string {
	return Buffer.from(text, 'utf8').toString('utf8');
}

/** What an entry costs, roughly: its text as UTF-16 plus the entry itself. */
function entryBytes(entry: LogEntry): number {
	return entry.text.length * 2 + 64;
}

export type LogEntry =
	| {
		readonly seq: number;
		readonly kind: 'line';
		readonly stream: LogStreamName;
		/** Sanitised: no control sequences, no colours. */
		readonly text: string;
		/** The original length when the line was cut to `maxStoredLineLength`. */
		readonly fullLength?: number;
		/** When the line reached this program (ms since the epoch): the device sends no time of its own. */
		readonly receivedAt: number;
	}
	| {
		readonly seq: number;
		readonly kind: 'gap';
		/** `replay`: not a loss, a note that the device's replay on connect follows. */
		readonly reason: 'reconnect' | 'dropped' | 'disconnected' | 'replay';
		readonly count?: number;
		readonly text: string;
		readonly receivedAt: number;
	};

/**
 * A ring of at most `capacity` entries holding at most `maxBytes` of text: whichever bound is reached first, the
 * oldest entries fall out (a service printing 512 KiB lines must not fill memory before the line cap is reached).
 * Every entry has a sequence number that only grows, so a paused view can keep its place by number while new lines
 * arrive and old ones fall out.
 *
 * A paused view pins its first line (`pin(seq)`): from there on nothing falls out for the line cap, so what the view
 * shows stays put however busy the service is; only the byte budget still applies (then `pinnedDropped` counts what
 * the view lost).
 */
export class LogBuffer {
	/** A ring: `#size` entries from `#start`. It is `capacity` long unless a pin made it grow (doubling). */
	#ring: Array<LogEntry | undefined>;
	#start = 0;
	#size = 0;
	#nextSeq = 0;
	#evicted = 0;
	#cleared = 0;
	#pinnedDropped = 0;
	#pin: number | null = null;
	#version = 0;
	#bytes = 0;
	readonly maxBytes: number;

	constructor(readonly capacity: number = defaultLogBufferLines, maxBytes: number = readLimits.logBufferBytes, private readonly now: () => number = Date.now) {
		if (!Number.isInteger(capacity) || capacity < 1) {
			throw new RangeError(`log buffer capacity must be a positive integer, got ${capacity}`);
		}

		this.maxBytes = maxBytes;
		this.#ring = Array.from({length: capacity});
	}

	/** Sequence number of the oldest entry held. */
	get firstSeq(): number {
		return this.#nextSeq - this.size;
	}

	/** Sequence number the next entry will get. */
	get nextSeq(): number {
		return this.#nextSeq;
	}

	get size(): number {
		return this.#size;
	}

	/** Entries that fell out of the ring because it was full since the last `clear` (not the ones it removed). */
	get evicted(): number {
		return this.#evicted;
	}

	/** Entries removed by `clear`. */
	get cleared(): number {
		return this.#cleared;
	}

	/** Entries at or after the pin that fell out anyway, for the byte budget. */
	get pinnedDropped(): number {
		return this.#pinnedDropped;
	}

	/** The pinned sequence number, or null. */
	get pinned(): number | null {
		return this.#pin;
	}

	/** Changes on every append: cheap change detection for views. */
	get version(): number {
		return this.#version;
	}

	/** Text held, roughly in bytes (UTF-16 plus a little per entry): never much over `maxBytes`. */
	get bytes(): number {
		return this.#bytes;
	}

	/**
	 * Keep every entry from `seq` on (a paused view's first line) beyond the line cap, within the byte budget; null
	 * lets the ring rotate again (what piled up beyond the cap falls out on the next append).
	 */
	pin(seq: number | null): void {
		if (seq === this.#pin) {
			return;
		}

		this.#pin = seq;
		if (seq === null) {
			this.#pinnedDropped = 0;
		}
	}

	appendLines(lines: readonly LogLine[]): void {
		const receivedAt = this.now();
		for (const {stream, line} of lines) {
			const clean = sanitizeForTerminal(line.length > maxStoredLineLength ? detached(line.slice(0, maxStoredLineLength)) : line);
			this.#push(
				line.length > maxStoredLineLength
					? {seq: this.#nextSeq, kind: 'line', stream, text: clean, fullLength: line.length, receivedAt}
					: {seq: this.#nextSeq, kind: 'line', stream, text: clean, receivedAt},
			);
		}
	}

	appendGap(reason: 'reconnect' | 'dropped' | 'disconnected', count?: number, detail?: string): void {
		const what = count === undefined ? 'lines were lost' : `${count} line${count === 1 ? '' : 's'} lost`;
		const why = reason === 'reconnect'
			? 'reconnected'
			: (reason === 'dropped' ? 'the device dropped them' : `disconnected${detail ? `: ${detail}` : ''}`);
		this.#push({seq: this.#nextSeq, kind: 'gap', reason, count, text: `${what} (${why})`, receivedAt: this.now()});
	}

	/**
	 * A note before the lines a device replays on connect with both streams: it keeps no time per line and sends its
	 * stdout and stderr rings interleaved at random, so their order against each other there is unknown. Lines
	 * received after the replay are in arrival order.
	 */
	appendReplayNote(): void {
		this.#push({
			seq: this.#nextSeq,
			kind: 'gap',
			reason: 'replay',
			text: 'the device replays its last lines first: stdout and stderr each in order, not against each other',
			receivedAt: this.now(),
		});
	}

	/** The entry with this sequence number, if still held. */
	at(seq: number): LogEntry | undefined {
		if (seq < this.firstSeq || seq >= this.#nextSeq) {
			return undefined;
		}

		return this.#ring[(this.#start + (seq - this.firstSeq)) % this.#ring.length];
	}

	/** Entries with `from <= seq < to`, oldest first (clamped to what is held). */
	slice(from: number, to: number): LogEntry[] {
		const result: LogEntry[] = [];
		const end = Math.min(to, this.#nextSeq);
		for (let seq = Math.max(from, this.firstSeq); seq < end; seq++) {
			const entry = this.at(seq);
			if (entry) {
				result.push(entry);
			}
		}

		return result;
	}

	/** Every held entry, oldest first. */
	entries(): LogEntry[] {
		return this.slice(this.firstSeq, this.#nextSeq);
	}

	/** Empties the buffer on purpose (counted in `cleared`, not in `evicted`). */
	clear(): void {
		this.#cleared += this.size;
		this.#evicted = 0;
		this.#ring = Array.from({length: this.capacity});
		this.#start = 0;
		this.#size = 0;
		this.#bytes = 0;
		this.#pinnedDropped = 0;
		this.#version++;
	}

	#push(entry: LogEntry): void {
		// The line cap: entries before the pin go, a paused view's lines stay (the ring grows for them).
		while (this.#size >= this.capacity && (this.#pin === null || this.firstSeq < this.#pin)) {
			this.#dropOldest();
		}

		if (this.#size === this.#ring.length) {
			this.#grow();
		} else if (this.#ring.length > this.capacity && this.#size < this.capacity && this.#pin === null) {
			// Following again: back to the usual ring.
			this.#resize(this.capacity);
		}

		this.#ring[(this.#start + this.#size) % this.#ring.length] = entry;
		this.#size++;
		this.#nextSeq++;
		this.#bytes += entryBytes(entry);
		// The byte budget applies to everything; the newest entry always stays, so a view never goes blank.
		while (this.#bytes > this.maxBytes && this.#size > 1) {
			if (this.#pin !== null && this.firstSeq >= this.#pin) {
				this.#pinnedDropped++;
			}

			this.#dropOldest();
		}

		this.#version++;
	}

	#dropOldest(): void {
		const oldest = this.#ring[this.#start];
		this.#bytes -= oldest ? entryBytes(oldest) : 0;
		this.#ring[this.#start] = undefined;
		this.#start = (this.#start + 1) % this.#ring.length;
		this.#size--;
		this.#evicted++;
	}

	#grow(): void {
		this.#resize(this.#ring.length * 2);
	}

	#resize(length: number): void {
		const ring: Array<LogEntry | undefined> = Array.from({length});
		for (let index = 0; index < this.#size; index++) {
			ring[index] = this.#ring[(this.#start + index) % this.#ring.length];
		}

		this.#ring = ring;
		this.#start = 0;
	}
}

/** The plain text of entries as a file would hold it: `stdout: …` / `stderr: …`, markers in brackets. */
export function formatLogEntries(entries: readonly LogEntry[]): string {
	return entries
		.map(entry => (entry.kind === 'line' ? `${entry.stream}: ${entry.text}` : `[${entry.text}]`))
		.join('\n') + (entries.length > 0 ? '\n' : '');
}

/** Writes entries to `file` (created, or replaced); resolves with the number of lines written. */
export async function saveLogEntries(file: string, entries: readonly LogEntry[]): Promise<number> {
	await writeFile(file, formatLogEntries(entries), {encoding: 'utf8', mode: 0o644});
	return entries.length;
}

/** A file name for saved logs: `krazy-<device>-<service>-<time>.log`, with only safe characters. */
export function logFileName(device: string, servicePath: string, date: Date = new Date()): string {
	const safe = (text: string) => text.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
	const stamp = date.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
	return `krazy-${safe(device)}-${safe(servicePath)}-${stamp}.log`;
}

export type LogFollowerState = {
	readonly connected: boolean;
	/** Why the connection is down now (it is being retried), or why the stream ended. */
	readonly error: string | null;
	readonly ended: boolean;
	/** Lines received in total (including ones that later fell out of the ring). */
	readonly received: number;
	/** Increases whenever the buffer or the state changed. */
	readonly version: number;
};

export type LogFollower = {
	readonly buffer: LogBuffer;
	getState(): LogFollowerState;
	/** Called at most once per `notifyMs` with the new state, however fast lines arrive. */
	subscribe(listener: (state: LogFollowerState) => void): () => void;
	close(): void;
};

/**
 * Feeds a LogStream into a LogBuffer and tells listeners at a bounded rate (default every 80 ms), so a service
 * printing 20 000 lines/s costs a view a dozen renders a second, not 20 000.
 */
export function followLog(stream: LogStream, options: {capacity?: number; notifyMs?: number} = {}): LogFollower {
	const buffer = new LogBuffer(options.capacity ?? defaultLogBufferLines);
	const notifyMs = options.notifyMs ?? 80;
	const listeners = new Set<(state: LogFollowerState) => void>();
	let state: LogFollowerState = {connected: false, error: null, ended: false, received: 0, version: 0};
	const notifier = new BatchedNotifier(() => {
		for (const listener of listeners) {
			listener(state);
		}
	}, {intervalMs: notifyMs});

	const changed = (patch: Partial<Omit<LogFollowerState, 'version'>>) => {
		state = {...state, ...patch, version: state.version + 1};
		notifier.changed();
	};

	let connectedOnce = false;
	const onEvent = (event: LogEvent) => {
		switch (event.type) {
			case 'lines': {
				buffer.appendLines(event.lines);
				changed({received: state.received + event.lines.length, connected: true, error: null});
				break;
			}

			case 'gap': {
				buffer.appendGap(event.reason, event.count);
				changed({});
				break;
			}

			case 'connected': {
				if (!connectedOnce && stream.choice === 'both') {
					buffer.appendReplayNote();
				}

				connectedOnce = true;
				changed({connected: true, error: null});
				break;
			}

			case 'disconnected': {
				changed({connected: false, error: event.error});
				break;
			}

			case 'end': {
				changed({connected: false, ended: true, error: event.error ? event.error.message : state.error});
				break;
			}
		}
	};

	const unsubscribe = stream.on(onEvent);
	return {
		buffer,
		getState: () => state,
		subscribe(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		close() {
			notifier.stop();
			unsubscribe();
			stream.close();
			listeners.clear();
		},
	};
}
