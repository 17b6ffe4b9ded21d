// /log on the demo device over raw sockets: ring replay, exact bytes, no headers before the first line, following, and dropping for stalled readers.
import {readFileSync} from 'node:fs';
import net from 'node:net';
import test from 'ava';
import {basicAuth, demoAction, demoService, useDemoDevice, waitFor, type DemoDevice} from '../helpers/demo-device.js';

/** A raw HTTP/1.1 /log request; `text` is everything received (status line, headers, chunked body) as latin1. */
function openLog(device: DemoDevice, query: string, accept = 'text/event-stream') {
	const socket = net.connect(device.port, device.host);
	const state = {text: '', firstByteAt: 0};
	socket.on('data', (chunk: Buffer) => {
		state.firstByteAt ||= Date.now();
		state.text += chunk.toString('latin1');
	});
	socket.write(`GET /log?${query} HTTP/1.1\r\nHost: ${device.host}\r\nAuthorization: ${basicAuth(device.password)}\r\nAccept: ${accept}\r\n\r\n`);
	return {
		socket,
		state,
		/** The body with the chunked framing removed. */
		body(): string {
			const start = state.text.indexOf('\r\n\r\n');
			let rest = start === -1 ? '' : state.text.slice(start + 4);
			let body = '';
			for (;;) {
				const lineEnd = rest.indexOf('\r\n');
				const size = Number.parseInt(rest.slice(0, lineEnd), 16);
				if (lineEnd === -1 || !(size > 0) || rest.length < lineEnd + 2 + size + 2) {
					return body;
				}

				body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
				rest = rest.slice(lineEnd + 2 + size + 2);
			}
		},
		close() {
			socket.destroy();
		},
	};
}

function dataLines(body: string): string[] {
	return body
		.split('\n\n')
		.filter(event => event !== '')
		.map(event => event.slice(event.indexOf('data: ') + 'data: '.length));
}

test('a reconnect replays the last 100 lines of the ring, no more', async t => {
	const device = await useDemoDevice(t, {extraServices: ['flood'], floodRate: 2000});
	const first = openLog(device, 'path=/user/flood&stream=stdout');
	await waitFor(() => [...first.body().matchAll(/line (\d+) /g)].some(match => Number(match[1]) > 150), 10_000, 'more than 150 lines');
	first.close();
	await demoAction(device, 'stop', '/user/flood');
	await waitFor(async () => !device.services().find(service => service.path === '/user/flood')!.running, 5000, 'flood stopped');
	const log = openLog(device, 'path=/user/flood&stream=stdout');
	t.teardown(() => log.close());
	await waitFor(() => dataLines(log.body()).length >= 100, 5000, 'the replay');
	await new Promise(resolve => setTimeout(resolve, 300));
	const numbers = dataLines(log.body()).map(line => Number(/line (\d+) /.exec(line)?.[1]));
	t.is(numbers.length, 100);
	t.true(numbers.every((value, index) => index === 0 || value === numbers[index - 1]! + 1), 'consecutive');
	const stderr = openLog(device, 'path=/user/flood&stream=stderr');
	t.teardown(() => stderr.close());
	await waitFor(() => stderr.body().includes('signal: terminated'), 5000, 'the init lines on stderr');
	t.regex(stderr.body(), /data: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d gokrazy: attempt 0, starting \["\/user\/flood" "-rate=2000"\]\n\n/);
});

test('lines go out byte for byte: empty lines, \\r, CRLF, escapes, invalid UTF-8, a line completed later', async t => {
	const device = await useDemoDevice(t, {extraServices: ['weird']});
	const log = openLog(device, 'path=/user/weird&stream=stdout');
	t.teardown(() => log.close());
	await waitFor(() => log.body().includes('completed'), 10_000, 'the completed line');
	const lines = dataLines(log.body());
	t.deepEqual(lines.slice(0, 4), ['weird: first line', '', 'with\rcarriage return', 'crlf line\r']);
	t.true(lines.includes('tab\there \x1b[31mred\x1b[0m'));
	t.true(lines.includes('clear\x1b[2J\x1b[Hscreen'));
	t.true(lines.includes('title\x1b]0;pwned\x07set'));
	t.true(lines.includes('clipboard\x1b]52;c;cHduZWQ=\x07write'));
	t.true(lines.includes('\xff\xfe invalid utf8'), 'raw bytes 0xff 0xfe');
	t.is(lines.at(-1), 'partial...completed');
	t.false(lines.includes('partial...'));

	const plain = openLog(device, 'path=/user/weird&stream=stdout', '*/*');
	t.teardown(() => plain.close());
	await waitFor(() => plain.body().includes('completed\n'), 5000, 'the plain log');
	t.true(plain.body().startsWith('weird: first line\n\nwith\rcarriage return\ncrlf line\r\n'));
	t.regex(plain.state.text, /Content-Type: text\/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\n/);
});

test('stream=both tags each event and carries both rings', async t => {
	const device = await useDemoDevice(t, {extraServices: ['weird']});
	const log = openLog(device, 'path=/user/weird&stream=both');
	t.teardown(() => log.close());
	await waitFor(() => log.body().includes('completed') && log.body().includes('err\rcr'), 10_000, 'both streams');
	const events = log
		.body()
		.split('\n\n')
		.filter(event => event !== '');
	for (const event of events) {
		t.regex(event, /^event: (stdout|stderr)\ndata: /);
	}

	t.true(events.includes('event: stderr\ndata: err\rcr'));
	t.true(events.includes('event: stderr\ndata: '), 'the empty stderr line');
	t.true(events.includes('event: stdout\ndata: weird: first line'));
	t.true(events.some(event => /^event: stderr\ndata: .* gokrazy: attempt 0, starting \["\/user\/weird"\]$/.test(event)));
});

test('nothing, not even headers, is sent before a service’s first line; then both arrive together', async t => {
	const device = await useDemoDevice(t, {extraServices: ['late'], lateDelayMs: 2500});
	const started = Date.parse((await demoService(device, '/user/late')).StartTime);
	const log = openLog(device, 'path=/user/late&stream=stdout');
	t.teardown(() => log.close());
	await new Promise(resolve => setTimeout(resolve, 1000));
	if (Date.now() - started < 2400) {
		t.is(log.state.text, '', 'silent before the first line');
	}

	await waitFor(() => log.body().includes('late: first line'), 10_000, 'the first line');
	t.true(log.state.firstByteAt - started >= 2400, 'the first byte came with the first line');
	t.regex(log.state.text, /^HTTP\/1\.1 200 OK\r\nAccess-Control-Allow-Origin: \*\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\nContent-Type: text\/event-stream\r\nDate: [^\r]+\r\nTransfer-Encoding: chunked\r\n\r\n/);
});

test('a connected reader follows new lines as the program writes them', async t => {
	const device = await useDemoDevice(t);
	const log = openLog(device, 'path=/user/chatty&stream=both');
	t.teardown(() => log.close());
	await waitFor(() => log.body().includes('chatty: tick 1\n'), 10_000, 'tick 1');
	await waitFor(() => log.body().includes('chatty: tick 6\n'), 10_000, 'tick 6, written after connecting');
	t.true(log.body().includes('event: stderr\ndata: chatty: warning: slow upstream (5)\n\n'));
});

test('unknown paths and streams are 404, also for SSE', async t => {
	const device = await useDemoDevice(t);
	const cases: Array<[string, string]> = [
		['path=/user/nope&stream=stdout', 'service not found\n'],
		['path=/user/golink&stream=nope', 'stream not found\n'],
		['path=/user/golink', 'stream not found\n'],
	];
	for (const [query, message] of cases) {
		const log = openLog(device, query);
		await waitFor(() => log.state.text.endsWith(message), 5000, query);
		t.true(log.state.text.startsWith('HTTP/1.1 404 Not Found\r\nAccess-Control-Allow-Origin: *\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\nContent-Type: text/plain; charset=utf-8\r\n'));
		log.close();
	}
});

test('a reader that stops reading loses lines instead of stalling the device', async t => {
	const device = await useDemoDevice(t, {extraServices: ['flood'], floodRate: 50_000});
	const stalled = openLog(device, 'path=/user/flood&stream=stdout', '*/*');
	t.teardown(() => stalled.close());
	await waitFor(() => stalled.body().includes('\n'), 10_000, 'the first lines');
	// Stalled until the flood has moved on by more than the kernel can hold for the stalled connection (the most its
	// receive and send buffers may grow to: tens of MB here), as a second reader sees it. A fixed count (60 000 lines)
	// fitted in the buffers on some runs; on a loaded machine the flood runs slower than its rate, so no fixed time does.
	const watcher = openLog(device, 'path=/user/flood&stream=stdout', '*/*');
	t.teardown(() => watcher.close());
	const lastNumber = (text: string) => Number(/line (\d+) [^\n]*\n[^\n]*$/.exec(text)?.[1] ?? Number.NaN);
	stalled.socket.pause();
	await waitFor(() => Number.isFinite(lastNumber(watcher.body())) && watcher.body().length > 100_000, 10_000, 'the watcher\'s first lines');
	const pausedAt = lastNumber(watcher.body());
	const bytesPerLine = watcher.body().length / watcher.body().split('\n').length;
	const kernelMost = (file: string) => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
	const buffered = kernelMost('/proc/sys/net/ipv4/tcp_rmem') + kernelMost('/proc/sys/net/ipv4/tcp_wmem');
	const beyond = Math.ceil(buffered / bytesPerLine * 1.2);
	await waitFor(() => lastNumber(watcher.body()) > pausedAt + beyond, 90_000, `the flood moving on by ${beyond} lines while stalled`);
	watcher.close();
	stalled.socket.resume();
	const before = stalled.body().split('\n').length;
	await waitFor(() => stalled.body().split('\n').length > before + 1000, 10_000, 'lines after resuming');
	const numbers = stalled
		.body()
		.split('\n')
		.map(line => Number(/line (\d+) /.exec(line)?.[1]))
		.filter(Number.isFinite);
	const gaps = numbers.filter((value, index) => index > 0 && value !== numbers[index - 1]! + 1).length;
	t.true(gaps > 0, 'lines were dropped while the reader stalled');
	t.true(numbers.every((value, index) => index === 0 || value > numbers[index - 1]!), 'what arrives is in order');
	// The device kept serving others meanwhile.
	t.false((await demoService(device, '/user/flood')).Stopped);
});
