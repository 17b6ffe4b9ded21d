// The device client and log streams against a device that answers badly on purpose: bounded, quick, clean, and shared upgrades.
import test, {type ExecutionContext} from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl, type DeviceTarget} from '../../source/core/device-target.js';
import {followLog} from '../../source/core/log-buffer.js';
import type {LogEvent} from '../../source/core/log-stream.js';
import {readLimits} from '../../source/core/read-limits.js';
import {startHostileDevice, type HostileBehaviour, type HostileDevice} from '../helpers/hostile-device.js';

const rawControl = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

async function hostile(t: ExecutionContext, behaviour: HostileBehaviour, size?: number): Promise<HostileDevice> {
	const device = await startHostileDevice(behaviour, size === undefined ? {} : {size});
	t.teardown(async () => device.close());
	return device;
}

function client(t: ExecutionContext, device: HostileDevice, options: {timeoutMs?: number; signal?: AbortSignal} = {}): DeviceClient {
	const target: DeviceTarget = {...targetFromUrl(device.url), name: 'hostile'};
	if (device.certificate) {
		target.certificate = device.certificate;
	}

	const made = new DeviceClient(target, {timeoutMs: options.timeoutMs ?? 15_000, signal: options.signal});
	t.teardown(() => made.close());
	return made;
}

/** One clean line naming the device, short enough for a terminal line. */
function assertCleanError(t: ExecutionContext, error: unknown): DeviceError {
	t.true(error instanceof DeviceError, String(error));
	const {message} = error as DeviceError;
	t.true(message.startsWith('hostile: '), message);
	t.false(rawControl.test(message), JSON.stringify(message));
	t.true(message.length <= readLimits.messageFieldChars + readLimits.messageChars + 2, `${message.length} characters`);
	return error as DeviceError;
}

/** Events of a log stream until `enough` says so or it ends; the stream is closed after. */
async function collect(stream: AsyncIterable<LogEvent>, enough: (events: LogEvent[]) => boolean): Promise<LogEvent[]> {
	const events: LogEvent[] = [];
	for await (const event of stream) {
		events.push(event);
		if (event.type === 'end' || enough(events)) {
			break;
		}
	}

	return events;
}

const lines = (events: LogEvent[]) => events.flatMap(event => (event.type === 'lines' ? event.lines.map(line => line.line) : []));

test('an overview of repeated `title="a` (1.2 MB) and of links without cells parse in one pass', async t => {
	for (const behaviour of ['quadratic-html', 'quadratic-rows'] as const) {
		const device = await hostile(t, behaviour);
		const html = await client(t, device).htmlOverview();
		t.is(html.rss.size, 0);
		t.is(html.initRss, null);
	}
});

test.serial('an overview just under the size cap is read whole; one over it is a clear error', async t => {
	const huge = await hostile(t, 'huge-overview', 8 * 1024 * 1024);
	const html = await client(t, huge, {timeoutMs: 20_000}).htmlOverview();
	t.is(html.rss.size, 2000);
	t.true([...html.lastLog.values()].every(entry => (entry.stdout ?? '').length <= readLimits.logViewLineChars));
	const over = await hostile(t, 'oversize-overview');
	const error = await t.throwsAsync(client(t, over, {timeoutMs: 20_000}).overview());
	t.regex(assertCleanError(t, error).message, /answer larger than 32 MiB/);
});

test('error bodies of escapes, OSC 52, CR, bidi and C1 controls become one clean short line', async t => {
	const device = await hostile(t, 'escape-error');
	const error = assertCleanError(t, await t.throwsAsync(client(t, device).overview()));
	t.regex(error.message, /HTTP 500 from 127\.0\.0\.1:\d+: .*over ?written gnp\.exe/);
	t.false(error.message.includes('pwned'), 'the title sequence is gone, its text too');
});

test('an error body that never ends is cut after its first bytes, well before the answer timeout', async t => {
	const device = await hostile(t, 'error-endless');
	const started = Date.now();
	const error = assertCleanError(t, await t.throwsAsync(client(t, device, {timeoutMs: 30_000}).overview()));
	t.regex(error.message, /HTTP 500/);
	t.true(Date.now() - started < 20_000, 'not held until the 30 s timeout');
});

test('a silent device, a slow-loris body, headers that never end: a timeout or a clear error; a cancel ends each at once', async t => {
	for (const behaviour of ['silent', 'slow-loris', 'slow-headers', 'header-flood', 'bad-chunked', 'reset-mid-body'] as const) {
		const device = await hostile(t, behaviour);
		const error = assertCleanError(t, await t.throwsAsync(client(t, device, {timeoutMs: 1500}).overview()));
		t.true(['timeout', 'not-gokrazy', 'unreachable'].includes(error.kind), `${behaviour}: ${error.kind} ${error.message}`);
	}

	for (const behaviour of ['silent', 'slow-loris'] as const) {
		const device = await hostile(t, behaviour);
		const controller = new AbortController();
		const asked = client(t, device, {timeoutMs: 60_000, signal: controller.signal}).overview();
		setTimeout(() => {
			controller.abort();
		}, 300);
		const error = await t.throwsAsync(asked, {instanceOf: DeviceError});
		t.is(error?.kind, 'aborted', `${behaviour}: ${error?.message}`);
	}
});

test('restart against a device that never answers the POST ends on cancel, between polls too', async t => {
	const device = await hostile(t, 'restart-silent');
	const controller = new AbortController();
	const restarting = client(t, device, {timeoutMs: 60_000, signal: controller.signal}).restart(device.service);
	setTimeout(() => {
		controller.abort();
	}, 300);
	t.is((await t.throwsAsync(restarting, {instanceOf: DeviceError}))?.kind, 'aborted');

	const normal = await hostile(t, 'normal');
	const waiting = new AbortController();
	// The pid never changes on its own: waitForNewPid polls until cancelled.
	const polling = client(t, normal, {signal: waiting.signal}).waitForNewPid(normal.service, 4242, 60_000);
	setTimeout(() => {
		waiting.abort();
	}, 300);
	t.is((await t.throwsAsync(polling, {instanceOf: DeviceError}))?.kind, 'aborted');
});

test('names, models and paths with escapes and bidi controls are plain data; the JSON overview keeps them for cleaning at print', async t => {
	const device = await hostile(t, 'escape-strings');
	const overview = await client(t, device).overview();
	t.true(overview.hostname.includes('\u202E'), 'the parser does not change data');
	const html = await client(t, device).htmlOverview();
	t.regex(html.lastLog.get('/user/spew')?.stdout ?? '', /^last/);
});

test.serial('512 KiB lines arrive one by one, each cut to the line limit with a count of what was cut', async t => {
	const device = await hostile(t, 'long-lines');
	const events = await collect(client(t, device).logs(device.service, 'stdout', {follow: true}), seen => lines(seen).length >= 3);
	const got = lines(events);
	t.true(got.length >= 3);
	const kept = readLimits.logLineBytes - 'data: '.length;
	t.is(got[0], `00000000${'x'.repeat(kept - 8)} … ${8 + (512 * 1024) - kept} bytes cut`);
	t.regex(got[1]!, /^00000001x+ … \d+ bytes cut$/);
});

test.serial('a line that never ends and an event that never ends cost a bounded buffer, and show as cut when the stream ends', async t => {
	for (const behaviour of ['endless-line', 'endless-event'] as const) {
		const device = await hostile(t, behaviour);
		const events = await collect(client(t, device).logs(device.service, 'stdout', {follow: false, quietMs: 500}), () => false);
		const got = lines(events);
		t.is(got.length, 1, behaviour);
		t.true(got[0]!.length <= readLimits.sseEventBytes + 40, `${behaviour}: ${got[0]!.length}`);
		t.regex(got[0]!, / … \d+ bytes cut$/);
		t.is(events.at(-1)?.type, 'end');
	}
});

test('a /log 500 with a body that never ends ends the stream with one clean error, whether followed or not', async t => {
	const device = await hostile(t, 'log-500-endless');
	for (const follow of [false, true]) {
		const events = await collect(client(t, device).logs(device.service, 'both', {follow}), () => false);
		const end = events.at(-1);
		t.is(end?.type, 'end');
		const error = assertCleanError(t, end?.type === 'end' ? end.error : undefined);
		t.regex(error.message, /HTTP 500 from \/log: internal error/);
	}
});

test.serial('a followed log (the dashboard\'s) of 512 KiB lines stays within its byte budget and cuts lines for display', async t => {
	const device = await hostile(t, 'long-lines');
	const stream = client(t, device).logs(device.service, 'stdout', {follow: true});
	const follower = followLog(stream, {capacity: 10_000});
	t.teardown(() => follower.close());
	await new Promise<void>(resolve => {
		const unsubscribe = follower.subscribe(state => {
			if (state.received >= 200) {
				unsubscribe();
				resolve();
			}
		});
	});
	const {buffer} = follower;
	t.true(buffer.bytes <= readLimits.logBufferBytes, `${buffer.bytes} bytes held`);
	const entry = buffer.entries().at(-1)!;
	t.is(entry.text.length, readLimits.logViewLineChars);
	const fullLength = entry.kind === 'line' ? entry.fullLength ?? 0 : 0;
	t.true(fullLength > readLimits.logViewLineChars && fullLength <= readLimits.logLineBytes + 32, `the length of the line as received, already cut: ${fullLength}`);
});

test('an HTTP port that redirects to HTTPS: concurrent requests share one upgrade and all succeed', async t => {
	const device = await hostile(t, 'https-redirect');
	const shared = client(t, device);
	for (let round = 0; round < 3; round++) {
		// The first round races the upgrade: the overview, the HTML page (RSS) and a status at once, twice over.
		const [overview, html, status, overview2, html2] = await Promise.all([
			shared.overview(), shared.htmlOverview(), shared.service(device.service), shared.overview(), shared.htmlOverview(),
		]);
		t.is(overview.hostname, 'hostile');
		t.is(overview2.services.length, 1);
		t.is(html.rss.get(device.service), 2 * 1024 * 1024, 'RSS known: the HTML page was not torn down');
		t.is(html2.initRss, 10 * 1024 * 1024);
		t.is(status.path, device.service);
	}

	const overHttp = device.requests.filter(request => request.endsWith('(http)'));
	t.true(overHttp.length <= 5, `only requests already on their way went to the HTTP port: ${overHttp.length}`);
	t.is(device.requests.length - overHttp.length, 15, 'every request was answered over HTTPS');
});
