// `krazy-tui logs DEVICE SERVICE [-f] [--stream stdout|stderr|both] [--json]`: a service's log, once or followed.
import {once} from 'node:events';
import {DeviceError} from '../core/device-error.js';
import {servicePath, type LogLine, type LogStreamChoice} from '../core/device-model.js';
import type {LogEvent} from '../core/log-stream.js';
import {jsonForTerminal, sanitizeForTerminal} from '../core/sanitize-terminal.js';
import {parseCommandArgs, UsageError, type Command, type CommandIo} from './command-io.js';
import {deviceAndService, deviceFlags, openClient, writeErrorLine, writeLine} from './device-options.js';

const help = `Usage: krazy-tui logs DEVICE SERVICE [-f] [--stream stdout|stderr|both] [--json] [--raw]
                      [--password-file FILE] [--timeout SECONDS]

Without -f: what the device holds now (up to 100 lines per stream), then exit.
With -f: follow, reconnecting when the connection drops (lines replayed by the device are not shown twice;
lost lines are reported on stderr).
SERVICE is a path (/user/golink, /gokrazy/ntp) or a bare name meaning /user/NAME.
stdout lines go to stdout, stderr lines to stderr. Terminal control sequences in lines are removed
(colours kept on a terminal) unless --raw; --json prints {"stream","line"} objects, one per line, as data.`;

const streams = new Set(['stdout', 'stderr', 'both']);

export const logsCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('logs', args, {
		...deviceFlags,
		follow: {type: 'boolean', short: 'f'},
		stream: {type: 'string', short: 's'},
		json: {type: 'boolean'},
		raw: {type: 'boolean'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const [device, service] = deviceAndService('logs', positionals);
	const stream = (values.stream ?? 'both') as LogStreamChoice;
	if (!streams.has(stream)) {
		throw new UsageError(`logs: --stream must be stdout, stderr or both, not ${JSON.stringify(values.stream)}`);
	}

	const path = servicePath(service);
	const client = await openClient('logs', device, values, io);
	const follow = values.follow ?? false;
	const write = lineWriter(io, values.json ? 'json' : values.raw ? 'raw' : 'text');
	let lines = 0;
	try {
		const log = client.logs(path, stream, {follow, signal: io.signal, batchMs: 50});
		for await (const event of log) {
			if (io.signal.aborted) {
				// Ctrl-C: what is still queued is not written (it could be megabytes behind a slow pipe).
				break;
			}

			if (event.type === 'lines') {
				lines += event.lines.length;
				await write(event.lines);
			} else if (event.type === 'end') {
				if (event.error) {
					throw event.error;
				}
			} else {
				notice(event, client.target.name, path, io);
			}
		}
	} finally {
		client.close();
	}

	if (io.signal.aborted) {
		return 0;
	}

	if (lines === 0 && !follow) {
		throw new DeviceError(client.target.name, 'http', `${path} has not logged anything: the device holds no ${stream === 'both' ? '' : `${stream} `}lines for it (try -f to wait for some)`);
	}

	return 0;
};

function notice(event: LogEvent, device: string, path: string, io: CommandIo): void {
	if (event.type === 'gap') {
		const count = event.count === undefined ? 'some' : String(event.count);
		const why = event.reason === 'reconnect'
			? 'while reconnecting (more than the device replays were printed meanwhile)'
			: 'because output could not keep up';
		writeErrorLine(io.stderr, `${device}: ${path}: ${count} lines lost ${why}`);
	} else if (event.type === 'disconnected') {
		writeErrorLine(io.stderr, `${device}: ${path}: log connection lost (${event.error}), reconnecting…`);
	}
}

type Mode = 'json' | 'raw' | 'text';

/** Writes a batch, stdout lines to stdout and stderr lines to stderr, waiting when a pipe is full. */
function lineWriter(io: CommandIo, mode: Mode): (lines: LogLine[]) => Promise<void> {
	const keepColors = io.stdoutIsTty;
	const format = (line: LogLine): string => {
		switch (mode) {
			case 'json': {
				return jsonForTerminal({stream: line.stream, line: line.line}) + '\n';
			}

			case 'raw': {
				return line.line + '\n';
			}

			default: {
				return sanitizeForTerminal(line.line, {keepColors}) + '\n';
			}
		}
	};

	return async lines => {
		let out = '';
		let error = '';
		for (const line of lines) {
			// --json keeps both streams in one document on stdout.
			if (line.stream === 'stderr' && mode !== 'json') {
				error += format(line);
			} else {
				out += format(line);
			}
		}

		const waits: Array<Promise<unknown>> = [];
		if (out && !io.stdout.write(out)) {
			waits.push(once(io.stdout, 'drain'));
		}

		if (error && !io.stderr.write(error)) {
			waits.push(once(io.stderr, 'drain'));
		}

		if (waits.length > 0) {
			// Ctrl-C does not wait for a full pipe to drain.
			await Promise.race([Promise.all(waits), once(io.signal, 'abort')]);
		}
	};
}
