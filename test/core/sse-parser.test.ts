// Table tests of the SSE framing parser against the real init's captured /log answers.
import test from 'ava';
import {parseSseText, SseParser, type SseEvent} from '../../source/core/sse-parser.js';
import {readCapture} from '../helpers/captures.js';

test('weird lines: empty lines, \\r inside, CRLF, escapes, "data:" text and invalid UTF-8 survive', t => {
	const events = parseSseText(readCapture('log-weird-both-sse.txt').body);
	const stdout = events.filter(event => event.event === 'stdout').map(event => event.data);
	const stderr = events.filter(event => event.event === 'stderr').map(event => event.data);
	t.deepEqual(stdout, [
		'weird: first line',
		'',
		'with\rcarriage return',
		'crlf line\r',
		'tab\there \u001B[31mred\u001B[0m',
		'data: looks like sse',
		'\uFFFD\uFFFD invalid utf8',
		'partial...completed',
	]);
	t.deepEqual(stderr.slice(1), ['weird: stderr line, empty stderr line follows', '', 'err\rcr']);
	t.regex(stderr[0]!, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d gokrazy: attempt 0, starting \["\/user\/weird"\]$/);
});

test('single-stream SSE has no event names', t => {
	const events = parseSseText(readCapture('log-weird-stdout-sse.txt').body);
	t.true(events.length >= 8);
	t.true(events.every(event => event.event === undefined));
	t.is(events[1]!.data, '');
});

test('both-stream capture of a chatty service alternates stdout and stderr events', t => {
	const events = parseSseText(readCapture('log-golink-both-sse.txt').body);
	const names = new Set(events.map(event => event.event));
	t.deepEqual([...names].sort(), ['stderr', 'stdout']);
	t.true(events.some(event => event.data === 'golink: request 1 served'));
	t.true(events.some(event => /gokrazy: attempt 0, starting/.test(event.data)));
});

test('chunks split anywhere, even inside a multi-byte character, give the same events', t => {
	const body = readCapture('log-weird-both-sse.txt').body;
	const whole = parseSseText(body);
	const utf8 = Buffer.from('event: stdout\ndata: grüße ✓\n\n', 'utf8');
	for (const input of [body, utf8]) {
		const reference = parseSseText(input);
		for (const size of [1, 2, 3, 7, 64]) {
			const events: SseEvent[] = [];
			const parser = new SseParser(event => events.push(event));
			for (let offset = 0; offset < input.length; offset += size) {
				parser.push(input.subarray(offset, offset + size));
			}

			t.deepEqual(events, reference, `chunk size ${size}`);
		}
	}

	t.true(whole.length > 10);
	t.is(parseSseText(utf8)[0]!.data, 'grüße ✓');
});

test('an event without its closing blank line is not delivered; comments and unknown fields are ignored', t => {
	const events: SseEvent[] = [];
	const parser = new SseParser(event => events.push(event));
	parser.push(Buffer.from(': comment\nid: 7\nretry: 10\ndata: one\n\ndata: two\n'));
	parser.end();
	t.deepEqual(events, [{event: undefined, data: 'one'}]);
});

test('a long line keeps its head and says how many bytes were cut; an event too long is cut the same way', t => {
	const limits = {lineBytes: 16, eventBytes: 24};
	const [line] = parseSseText(`data: ${'a'.repeat(30)}\n\n`, limits);
	t.is(line!.data, `${'a'.repeat(10)} … 20 bytes cut`);
	const [event] = parseSseText('data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n', limits);
	t.is(event!.data, '0123456789\n0123456789\n01 … 8 bytes cut');
	// A multi-byte character cut in half is dropped, not shown as a replacement character.
	const [split] = parseSseText(`data: ${'a'.repeat(9)}✓✓\n\n`, limits);
	t.is(split!.data, `${'a'.repeat(9)} … 5 bytes cut`);
});

test('a line that never ends costs only its limit, whatever the chunking, and shows cut when the stream ends', t => {
	const events: SseEvent[] = [];
	const parser = new SseParser(event => events.push(event), {lineBytes: 1024, eventBytes: 2048});
	parser.push(Buffer.from('event: stdout\ndata: '));
	for (let chunk = 0; chunk < 2000; chunk++) {
		parser.push(Buffer.alloc(1000, 0x7A));
	}

	t.is(events.length, 0, 'nothing is delivered before the line ends');
	parser.end();
	t.is(events.length, 1);
	t.is(events[0]!.event, 'stdout');
	t.is(events[0]!.data, `${'z'.repeat(1024 - 6)} … ${2_000_000 - 1018} bytes cut`);
});

test('field lines: one space after the colon is dropped, a field without a colon has an empty value, the event name is per event', t => {
	t.deepEqual(parseSseText('data:no space\ndata:  two spaces\ndata\n\n'), [{event: undefined, data: 'no space\n two spaces\n'}]);
	t.deepEqual(parseSseText('event: stderr\ndata: a\n\ndata: b\n\n'), [{event: 'stderr', data: 'a'}, {event: undefined, data: 'b'}]);
	t.deepEqual(parseSseText('event:stdout\ndata: c\n\n'), [{event: 'stdout', data: 'c'}]);
	t.deepEqual(parseSseText(`event: ${'e'.repeat(100)}\ndata: d\n\n`), [{event: 'e'.repeat(64), data: 'd'}]);
});

test('an event without data lines is not delivered, and its name does not stick to the next one', t => {
	t.deepEqual(parseSseText('event: stdout\n\ndata: x\n\n'), [{event: undefined, data: 'x'}]);
	t.deepEqual(parseSseText(': only a comment\n\n'), []);
});

test('a line ending in an invalid byte keeps its replacement character when it arrives in pieces; only a cut one loses it', t => {
	const input = Buffer.concat([Buffer.from('data: ends in '), Buffer.from([0xC3]), Buffer.from('\n\n')]);
	const events: SseEvent[] = [];
	const parser = new SseParser(event => events.push(event));
	for (let offset = 0; offset < input.length; offset += 3) {
		parser.push(input.subarray(offset, offset + 3));
	}

	t.deepEqual(events, [{event: undefined, data: 'ends in \uFFFD'}]);
	t.deepEqual(events, parseSseText(input));
});
