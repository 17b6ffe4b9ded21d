// The bounded log ring: sequence numbers, eviction, lost-line markers, cut and cleaned lines, saving, batched following.
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
	LogBuffer,
	followLog,
	formatLogEntries,
	logFileName,
	maxStoredLineLength,
	saveLogEntries,
	type LogFollowerState,
} from '../../source/core/log-buffer.js';
import type {LogEvent, LogStream} from '../../source/core/log-stream.js';

const lines = (count: number, from = 0) =>
	Array.from({length: count}, (_, index) => ({stream: (index % 2 ? 'stderr' : 'stdout') as 'stdout' | 'stderr', line: `line ${from + index}`}));

test('entries get growing sequence numbers and the ring keeps the newest', t => {
	const buffer = new LogBuffer(5);
	buffer.appendLines(lines(8));
	t.is(buffer.size, 5);
	t.is(buffer.firstSeq, 3);
	t.is(buffer.nextSeq, 8);
	t.is(buffer.evicted, 3);
	t.deepEqual(buffer.entries().map(entry => entry.text), ['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
	t.is(buffer.at(2), undefined);
	t.is(buffer.at(4)?.text, 'line 4');
	t.deepEqual(buffer.slice(0, 5).map(entry => entry.seq), [3, 4]);
});

test('the default capacity is 10 000 lines', t => {
	const buffer = new LogBuffer();
	buffer.appendLines(lines(10_050));
	t.is(buffer.size, 10_000);
	t.is(buffer.entries()[0].text, 'line 50');
});

test('lost lines become visible markers in the stream of entries', t => {
	const buffer = new LogBuffer(10);
	buffer.appendLines(lines(2));
	buffer.appendGap('reconnect');
	buffer.appendGap('dropped', 12);
	const [, , reconnect, dropped] = buffer.entries();
	t.is(reconnect.kind, 'gap');
	t.is(reconnect.text, 'lines were lost (reconnected)');
	t.is(dropped.text, '12 lines lost (the device dropped them)');
});

test('lines are cleaned of escape sequences and a 1 MB line is cut, remembering its length', t => {
	const buffer = new LogBuffer(10);
	buffer.appendLines([
		{stream: 'stdout', line: '\u001b]0;title\u0007\u001b[2Jhello\r'},
		{stream: 'stderr', line: 'y'.repeat(1_048_576)},
	]);
	const [clean, long] = buffer.entries();
	t.is(clean.text, 'hello');
	t.is(long.text.length, maxStoredLineLength);
	t.is(long.kind === 'line' ? long.fullLength : undefined, 1_048_576);
});

test('saving writes stream-marked lines and markers to a file', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-log-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const buffer = new LogBuffer(10);
	buffer.appendLines(lines(2));
	buffer.appendGap('reconnect');
	const file = path.join(dir, logFileName('casa', '/user/golink', new Date('2026-11-25T10:00:00.123Z')));
	t.is(path.basename(file), 'krazy-casa-user_golink-2026-11-25T100000Z.log');
	t.is(await saveLogEntries(file, buffer.entries()), 3);
	t.is(await readFile(file, 'utf8'), 'stdout: line 0\nstderr: line 1\n[lines were lost (reconnected)]\n');
	t.is(formatLogEntries([]), '');
});

class HandFedStream {
	closed = false;
	readonly listeners = new Set<(event: LogEvent) => void>();
	on(listener: (event: LogEvent) => void) {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	emit(event: LogEvent) {
		for (const listener of this.listeners) {
			listener(event);
		}
	}

	close() {
		this.closed = true;
	}
}

test('a follower fills the buffer and tells listeners far less often than batches arrive', async t => {
	const stream = new HandFedStream();
	const follower = followLog(stream as unknown as LogStream, {capacity: 1000, notifyMs: 50});
	const seen: LogFollowerState[] = [];
	follower.subscribe(state => seen.push(state));
	stream.emit({type: 'connected'});
	// 200 batches in one go: like a flood delivered faster than the view can draw.
	for (let batch = 0; batch < 200; batch++) {
		stream.emit({type: 'lines', lines: lines(10, batch * 10)});
	}

	while (seen.length === 0) {
		await new Promise(resolve => setTimeout(resolve, 10));
	}

	t.is(seen.length, 1);
	t.is(seen[0].received, 2000);
	t.true(seen[0].connected);
	t.is(follower.buffer.size, 1000);
	t.is(follower.buffer.entries().at(-1)?.text, 'line 1999');

	stream.emit({type: 'disconnected', error: 'casa: connection reset'});
	stream.emit({type: 'gap', reason: 'reconnect'});
	while (seen.length === 1) {
		await new Promise(resolve => setTimeout(resolve, 10));
	}

	t.false(seen[1].connected);
	t.is(seen[1].error, 'casa: connection reset');
	t.is(follower.buffer.entries().at(-1)?.kind, 'gap');
	follower.close();
	t.true(stream.closed);
	t.is(stream.listeners.size, 0);
});

test('a byte budget besides the line cap: the oldest entries go first, the newest always stays', t => {
	const buffer = new LogBuffer(10_000, 100_000);
	t.is(buffer.maxBytes, 100_000);
	buffer.appendLines(Array.from({length: 100}, (_, index) => ({stream: 'stdout' as const, line: `${index} ${'z'.repeat(9000)}`})));
	t.true(buffer.bytes <= 100_000, `${buffer.bytes}`);
	t.true(buffer.size < 10 && buffer.size > 0, `${buffer.size}`);
	t.true(buffer.entries().at(-1)!.text.startsWith('99 '));
	t.is(buffer.evicted, 100 - buffer.size);
	t.is(buffer.firstSeq, 100 - buffer.size);
	// One line bigger than the whole budget still shows.
	const tiny = new LogBuffer(10, 100);
	tiny.appendLines([{stream: 'stderr', line: 'y'.repeat(5000)}]);
	t.is(tiny.size, 1);
	tiny.clear();
	t.is(tiny.bytes, 0);
});

test('clear is counted as cleared, not as lines dropped for a full buffer', t => {
	const buffer = new LogBuffer(5);
	buffer.appendLines(lines(8));
	t.is(buffer.evicted, 3);
	buffer.clear();
	t.is(buffer.size, 0);
	t.is(buffer.cleared, 5);
	t.is(buffer.evicted, 0, 'the drops before the clear are gone with it');
	buffer.appendLines(lines(2, 100));
	t.deepEqual(buffer.entries().map(entry => entry.text), ['line 100', 'line 101']);
	t.is(buffer.firstSeq, 8, 'sequence numbers keep growing across a clear');
});

test('a pin keeps lines past the line cap but not past the byte budget, and says how many of them it lost', t => {
	const buffer = new LogBuffer(10, 20_000);
	buffer.appendLines(lines(10));
	buffer.pin(5);
	buffer.appendLines(lines(40, 10));
	t.is(buffer.firstSeq, 5);
	t.is(buffer.size, 45);
	t.is(buffer.pinnedDropped, 0);
	// 1 KiB lines: the byte budget (20 000) holds fewer than 10 of them, pinned or not.
	buffer.appendLines(Array.from({length: 30}, (_, index) => ({stream: 'stdout' as const, line: `${index} ${'z'.repeat(1000)}`})));
	t.true(buffer.bytes <= 20_000);
	t.true(buffer.pinnedDropped > 0);
	t.true(buffer.entries().at(-1)!.text.startsWith('29 '));
	buffer.pin(null);
	t.is(buffer.pinnedDropped, 0);
});

test('every entry carries the time it was received', t => {
	let now = 1000;
	const buffer = new LogBuffer(10, undefined, () => now);
	buffer.appendLines(lines(2));
	now = 2000;
	buffer.appendGap('reconnect');
	t.deepEqual(buffer.entries().map(entry => entry.receivedAt), [1000, 1000, 2000]);
});

test('with both streams, a note says the device replays first with stdout and stderr not in order against each other; lines after it are in arrival order', t => {
	const stream = Object.assign(new HandFedStream(), {choice: 'both'});
	const follower = followLog(stream as unknown as LogStream, {capacity: 1000});
	stream.emit({type: 'connected'});
	stream.emit({type: 'lines', lines: [{stream: 'stdout', line: 'crasher: starting pid 7'}, {stream: 'stderr', line: 'crasher: giving up'}]});
	stream.emit({type: 'connected'});
	const entries = follower.buffer.entries();
	t.is(entries[0].kind, 'gap');
	t.regex(entries[0].text, /replays its last lines first: stdout and stderr each in order, not against each other/);
	t.deepEqual(entries.slice(1).map(entry => entry.text), ['crasher: starting pid 7', 'crasher: giving up'], 'arrival order, and one note only');
	follower.close();
	const stdoutOnly = Object.assign(new HandFedStream(), {choice: 'stdout'});
	const single = followLog(stdoutOnly as unknown as LogStream);
	stdoutOnly.emit({type: 'connected'});
	t.is(single.buffer.size, 0, 'one stream is in order: no note');
	single.close();
});
