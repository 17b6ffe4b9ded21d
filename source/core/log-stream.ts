// A followed log of one service: SSE over /log, 'both' with fallback to two connections, reconnection without repeats.
import type {IncomingMessage} from 'node:http';
import {DeviceError} from './device-error.js';
import type {DeviceClient} from './device-client.js';
import type {LogLine, LogStreamChoice, LogStreamName} from './device-model.js';
import {readErrorBody} from './http-transport.js';
import {readLimits} from './read-limits.js';
import {oneLine} from './sanitize-terminal.js';
import {SseParser} from './sse-parser.js';

export type LogStreamOptions = {
	/** Keep following (reconnecting when the connection drops); false: what the device holds now, then end. */
	follow?: boolean;
	/** Lines are delivered in batches at most this often (default 50 ms). */
	batchMs?: number;
	/** Without follow: how long to wait for a quiet service's first line before ending (default 1500 ms). */
	quietMs?: number;
	/** Lines kept for a slow async-iterator consumer before the oldest are dropped and counted (default 50 000). */
	maxQueuedLines?: number;
	/** The same in bytes of text (default readLimits.logQueueBytes): 50 000 lines of a megabyte would not fit in memory. */
	maxQueuedBytes?: number;
	signal?: AbortSignal;
};

export type LogEvent =
	| {type: 'lines'; lines: LogLine[]}
	/** Lines were lost: on reconnect when the replay did not overlap what was shown, or dropped for a slow reader. */
	| {type: 'gap'; reason: 'reconnect' | 'dropped'; count?: number}
	| {type: 'connected'}
	| {type: 'disconnected'; error: string}
	| {type: 'end'; error?: Error};

/** The init keeps (and replays) this many lines per stream. */
export const replayLines = 100;
const idleEndMs = 300;
const hardEndMs = 3000;
const alignTimeoutMs = 1000;
const minBackoffMs = 500;
const maxBackoffMs = 5000;

/**
 * After a reconnect the init replays its last 100 lines, most of which were shown already. The replay begins with
 * a suffix of what was shown (unless more than 100 new lines were printed meanwhile): find the longest such overlap
 * as lines arrive, pass on only what follows it, and report a gap when there was no overlap at all.
 */
export class ReplayAligner {
	private readonly history: string[] = [];
	private aligning = false;
	private buffer: string[] = [];
	private candidates: number[] = [];
	private timer: NodeJS.Timeout | undefined;

	constructor(private readonly deliver: (lines: string[], gap: boolean) => void) {}

	/** The next lines are a replay: align them with what was delivered. */
	reconnected(): void {
		this.settle();
		if (this.history.length > 0) {
			this.aligning = true;
			this.buffer = [];
			this.candidates = [];
		}
	}

	push(line: string): void {
		if (!this.aligning) {
			this.remember([line]);
			this.deliver([line], false);
			return;
		}

		const {history} = this;
		const index = this.buffer.length;
		this.buffer.push(line);
		if (index === 0) {
			for (let start = 0; start < history.length; start++) {
				if (history[start] === line) {
					this.candidates.push(start);
				}
			}
		} else {
			this.candidates = this.candidates.filter(start => start + index >= history.length || history[start + index] === line);
		}

		const best = this.candidates[0];
		if (best === undefined) {
			this.resolve(0);
		} else if (this.buffer.length >= history.length - best) {
			this.resolve(history.length - best);
		} else {
			clearTimeout(this.timer);
			this.timer = setTimeout(() => {
				this.settle();
			}, alignTimeoutMs);
		}
	}

	/** Stop aligning with what arrived so far (the replay stalled, or the stream ends). */
	settle(): void {
		if (!this.aligning) {
			return;
		}

		const complete = this.candidates.find(start => this.buffer.length >= this.history.length - start);
		this.resolve(complete === undefined ? 0 : this.history.length - complete);
	}

	dispose(): void {
		clearTimeout(this.timer);
	}

	private resolve(overlap: number): void {
		clearTimeout(this.timer);
		this.aligning = false;
		const fresh = this.buffer.slice(overlap);
		const gap = overlap === 0 && this.buffer.length > 0;
		this.buffer = [];
		this.candidates = [];
		if (fresh.length > 0 || gap) {
			this.remember(fresh);
			this.deliver(fresh, gap);
		}
	}

	private remember(lines: string[]): void {
		this.history.push(...lines);
		if (this.history.length > replayLines) {
			this.history.splice(0, this.history.length - replayLines);
		}
	}
}

type Connection = {
	/** The stream asked for in the URL. */
	stream: LogStreamChoice;
	response?: IncomingMessage;
	/** The parser of the answer being read: ending the stream delivers what it holds that was cut. */
	parser?: SseParser;
	controller?: AbortController;
	connectedOnce: boolean;
	backoffMs: number;
};

export class LogStream {
	private readonly listeners = new Set<(event: LogEvent) => void>();
	private readonly aligners = new Map<LogStreamName, ReplayAligner>();
	private readonly connections: Connection[] = [];
	private readonly counts = {stdout: 0, stderr: 0};
	private pending: LogLine[] = [];
	private pendingBytes = 0;
	private flushTimer: NodeJS.Timeout | undefined;
	private endTimers: NodeJS.Timeout[] = [];
	private started = false;
	private ended = false;
	private readonly follow: boolean;
	private readonly batchMs: number;

	constructor(
		private readonly client: DeviceClient,
		readonly path: string,
		readonly choice: LogStreamChoice,
		private readonly options: LogStreamOptions = {},
	) {
		this.follow = options.follow ?? true;
		this.batchMs = options.batchMs ?? 50;
		options.signal?.addEventListener('abort', () => {
			this.close();
		}, {once: true});
	}

	private get device(): string {
		return this.client.target.name;
	}

	/** Subscribe; returns an unsubscribe function. Events are delivered in order. Connecting starts on the first subscription. */
	on(listener: (event: LogEvent) => void): () => void {
		this.listeners.add(listener);
		this.start();
		return () => this.listeners.delete(listener);
	}

	/** Async iteration over events until 'end'; a consumer that falls far behind loses the oldest lines, counted in a gap. */
	[Symbol.asyncIterator](): AsyncIterator<LogEvent> {
		const queue: LogEvent[] = [];
		let queuedLines = 0;
		let queuedBytes = 0;
		let dropped = 0;
		const maxQueued = this.options.maxQueuedLines ?? 50_000;
		const maxBytes = this.options.maxQueuedBytes ?? readLimits.logQueueBytes;
		let wake: (() => void) | undefined;
		let done = false;
		const unsubscribe = this.on(event => {
			if (event.type === 'lines') {
				queuedLines += event.lines.length;
				queuedBytes += linesBytes(event.lines);
				while ((queuedLines > maxQueued || queuedBytes > maxBytes) && queue.length > 0) {
					const oldest = queue.findIndex(item => item.type === 'lines');
					if (oldest === -1) {
						break;
					}

					const removed = queue.splice(oldest, 1)[0] as {lines: LogLine[]};
					queuedLines -= removed.lines.length;
					queuedBytes -= linesBytes(removed.lines);
					dropped += removed.lines.length;
				}
			}

			if (dropped > 0 && event.type === 'lines') {
				queue.push({type: 'gap', reason: 'dropped', count: dropped});
				dropped = 0;
			}

			queue.push(event);
			wake?.();
		});
		return {
			next: async (): Promise<IteratorResult<LogEvent>> => {
				for (;;) {
					if (done) {
						return {done: true, value: undefined};
					}

					const event = queue.shift();
					if (event) {
						if (event.type === 'lines') {
							queuedLines -= event.lines.length;
							queuedBytes -= linesBytes(event.lines);
						}

						if (event.type === 'end') {
							done = true;
							unsubscribe();
						}

						return {done: false, value: event};
					}

					await new Promise<void>(resolve => {
						wake = resolve;
					});
					wake = undefined;
				}
			},
			return: async (): Promise<IteratorResult<LogEvent>> => {
				done = true;
				unsubscribe();
				this.close();
				return {done: true, value: undefined};
			},
		};
	}

	close(): void {
		this.finish();
	}

	private start(): void {
		if (this.started) {
			return;
		}

		this.started = true;
		queueMicrotask(() => {
			if (this.choice === 'both' && this.client.noBothStream) {
				this.open('stdout');
				this.open('stderr');
			} else {
				this.open(this.choice);
			}
		});
	}

	private aligner(stream: LogStreamName): ReplayAligner {
		let aligner = this.aligners.get(stream);
		if (!aligner) {
			aligner = new ReplayAligner((lines, gap) => {
				if (gap) {
					this.emit({type: 'gap', reason: 'reconnect'});
				}

				for (const line of lines) {
					this.addLine({stream, line});
				}
			});
			this.aligners.set(stream, aligner);
		}

		return aligner;
	}

	private open(stream: LogStreamChoice): void {
		const connection: Connection = {stream, connectedOnce: false, backoffMs: minBackoffMs};
		this.connections.push(connection);
		// run() handles what it expects; anything else ends the stream with it rather than escaping unhandled.
		this.run(connection).catch((error: unknown) => {
			this.finish(error instanceof Error ? error : new Error(String(error)));
		});
	}

	private async run(connection: Connection): Promise<void> {
		while (!this.ended) {
			const controller = new AbortController();
			connection.controller = controller;
			let response: IncomingMessage;
			try {
				response = await this.client.transport.stream({
					method: 'GET',
					path: `/log?path=${encodeURIComponent(this.path)}&stream=${connection.stream}`,
					headers: {Accept: 'text/event-stream'},
					timeoutMs: this.client.connectTimeoutMs,
					signal: controller.signal,
				}, () => {
					this.connected(connection);
				});
			} catch (error) {
				if (this.ended) {
					return;
				}

				if (!this.follow) {
					this.finish(error as Error);
					return;
				}

				await this.retry(connection, error as Error);
				continue;
			}

			if (this.ended) {
				response.destroy();
				return;
			}

			connection.response = response;
			const verdict = await this.consume(connection, response);
			connection.response = undefined;
			if (verdict === 'stop' || this.ended) {
				return;
			}

			if (!this.follow) {
				this.finish();
				return;
			}

			await this.retry(connection, new DeviceError(this.device, 'unreachable', 'log connection closed'));
		}
	}

	private connected(connection: Connection): void {
		if (connection.connectedOnce) {
			for (const aligner of this.alignersFor(connection.stream)) {
				aligner.reconnected();
			}
		}

		connection.connectedOnce = true;
		this.emit({type: 'connected'});
		if (!this.follow) {
			// A quiet service sends nothing, not even headers: what it holds now is nothing.
			this.endTimers.push(setTimeout(() => {
				if (!connection.response) {
					this.finish();
				}
			}, this.options.quietMs ?? 1500));
		}
	}

	private alignersFor(stream: LogStreamChoice): ReplayAligner[] {
		return stream === 'both' ? [this.aligner('stdout'), this.aligner('stderr')] : [this.aligner(stream)];
	}

	private async retry(connection: Connection, error: Error): Promise<void> {
		const message = error instanceof DeviceError ? error.causeText : error.message;
		this.emit({type: 'disconnected', error: message});
		const delay = connection.backoffMs;
		connection.backoffMs = Math.min(maxBackoffMs, connection.backoffMs * 2);
		await new Promise(resolve => setTimeout(resolve, delay));
	}

	/** Reads one answer to its end; 'stop' when the stream must not be retried. */
	private async consume(connection: Connection, response: IncomingMessage): Promise<'stop' | 'retry'> {
		const status = response.statusCode ?? 0;
		if (status !== 200) {
			// Only the start of it, for a while: a 500 whose body never ends must not hold the stream open.
			const body = (await readErrorBody(response, this.device, connection.controller?.signal).catch(() => Buffer.alloc(0))).toString('utf8');
			if (this.ended) {
				return 'stop';
			}

			if (status === 404 && /stream not found/.test(body) && connection.stream === 'both') {
				// An init from before 2025-04: follow stdout and stderr on two connections instead.
				this.client.noBothStream = true;
				this.connections.splice(this.connections.indexOf(connection), 1);
				this.open('stdout');
				this.open('stderr');
				return 'stop';
			}

			let error: DeviceError;
			if (status === 404) {
				error = new DeviceError(this.device, 'unknown-service', `no service ${this.path} on the device`, 404);
			} else if (status === 401) {
				error = new DeviceError(this.device, 'auth', `wrong password (the device said: ${firstLine(body)})`, 401);
			} else {
				error = new DeviceError(this.device, 'http', `HTTP ${status} from /log: ${firstLine(body)}`, status);
			}

			this.finish(error);
			return 'stop';
		}

		connection.backoffMs = minBackoffMs;
		const parser = new SseParser(event => {
			const stream: LogStreamName = connection.stream === 'both'
				? (event.event === 'stderr' ? 'stderr' : 'stdout')
				: connection.stream;
			this.counts[stream]++;
			this.aligner(stream).push(event.data);
		});
		connection.parser = parser;
		let idle: NodeJS.Timeout | undefined;
		if (!this.follow) {
			this.endTimers.push(setTimeout(() => {
				this.finish();
			}, hardEndMs));
		}

		try {
			for await (const chunk of response) {
				parser.push(chunk as Buffer);
				if (!this.follow) {
					clearTimeout(idle);
					if (this.heldLinesRead(connection.stream)) {
						this.finish();
						break;
					}

					idle = setTimeout(() => {
						this.finish();
					}, idleEndMs);
				}
			}
		} catch {
			// The connection dropped; the caller decides whether to reconnect.
		} finally {
			clearTimeout(idle);
			parser.end();
			connection.parser = undefined;
			for (const aligner of this.alignersFor(connection.stream)) {
				aligner.settle();
			}
		}

		return 'retry';
	}

	/** Without follow: every stream asked for has delivered the most the device holds. */
	private heldLinesRead(stream: LogStreamChoice): boolean {
		return stream === 'both'
			? this.counts.stdout >= replayLines && this.counts.stderr >= replayLines
			: this.counts[stream] >= replayLines;
	}

	private addLine(line: LogLine): void {
		this.pending.push(line);
		this.pendingBytes += line.line.length * 2;
		if (this.pendingBytes >= readLimits.logBatchBytes) {
			// A device faster than the batch timer: hand the batch on now rather than let it grow.
			this.flush();
			return;
		}

		this.flushTimer ??= setTimeout(() => {
			this.flush();
		}, this.batchMs);
	}

	private flush(): void {
		clearTimeout(this.flushTimer);
		this.flushTimer = undefined;
		if (this.pending.length > 0) {
			const lines = this.pending;
			this.pending = [];
			this.pendingBytes = 0;
			this.dispatch({type: 'lines', lines});
		}
	}

	private emit(event: LogEvent): void {
		if (this.ended) {
			return;
		}

		this.flush();
		this.dispatch(event);
	}

	private dispatch(event: LogEvent): void {
		for (const listener of this.listeners) {
			listener(event);
		}
	}

	private finish(error?: Error): void {
		if (this.ended) {
			return;
		}

		// A line or event still being read that was already cut (a device that never ends one) is shown, marked.
		for (const connection of this.connections) {
			connection.parser?.end();
		}

		for (const aligner of this.aligners.values()) {
			aligner.settle();
			aligner.dispose();
		}

		this.flush();
		this.ended = true;
		for (const timer of this.endTimers) {
			clearTimeout(timer);
		}

		for (const connection of this.connections) {
			connection.controller?.abort();
			connection.response?.destroy();
		}

		this.dispatch({type: 'end', error});
	}
}

/** Bytes of text a batch of lines holds, as UTF-16 (what it costs in memory). */
function linesBytes(lines: readonly LogLine[]): number {
	let bytes = 0;
	for (const line of lines) {
		bytes += line.line.length * 2 + 32;
	}

	return bytes;
}

/** The first line of an error body, for a message. */
function firstLine(body: string): string {
	return oneLine(body.trim().split('\n', 1)[0]!, readLimits.messageFieldChars);
}
