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
