// The device client against the running demo device over real HTTP: overview, HTML figures, supervision, errors.
import test from 'ava';
import {waitFor} from '../helpers/wait-for.js';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {serviceState} from '../../source/core/device-model.js';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';

let demo: DemoDevice;
let client: DeviceClient;

test.before(async () => {
	demo = await startDemoDevice({hostname: 'casa', crashAfterMs: 1500});
	client = new DeviceClient({...targetFromUrl(demo.url), name: 'casa'});
});

test.after.always(async () => {
	client?.close();
	await demo?.stop();
});

const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};

/** The lines the device holds for a service's stream, without following. */
async function heldLines(path: string, stream: 'stdout' | 'stderr', from = client): Promise<string[]> {
	const lines: string[] = [];
	for await (const event of from.logs(path, stream, {follow: false})) {
		if (event.type === 'lines') {
			lines.push(...event.lines.map(line => line.line));
		}
	}

	return lines;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
	return waitFor(probe, {timeoutMs, intervalMs: 100});
}

test('the overview names the device and lists system and user services', async t => {
	const overview = await client.overview();
	t.is(overview.hostname, 'casa');
	const paths = overview.services.map(service => service.path);
	for (const path of ['/gokrazy/dhcp', '/gokrazy/ntp', '/gokrazy/heartbeat', '/gokrazy/randomd', '/user/golink', '/user/breakglass']) {
		t.true(paths.includes(path), path);
	}

	t.true(overview.memory!.total > overview.memory!.available);
	t.true(overview.memory!.available > 0);
});

test('the HTML overview gives the real RSS of running services and their last lines', async t => {
	const html = await eventually(async () => {
		const answer = await client.htmlOverview();
		return answer.lastLog.get('/user/chatty')?.stdout ? answer : undefined;
	});
	const golink = await client.service('/user/golink');
	t.true(html.rss.get('/user/golink')! > 100 * 1024, 'golink uses some memory');
	t.true(html.initRss! > 10 * 1024 * 1024, 'the init is a Node process');
	t.regex(html.lastLog.get('/user/chatty')!.stdout!, /^chatty: tick \d+$/);
	t.true(golink.pid > 0);
});

test('an unknown service is a typed error naming the device', async t => {
	const error = await t.throwsAsync(client.service('/user/nope'), {instanceOf: DeviceError});
	t.is(error!.kind, 'unknown-service');
	t.is(error!.message, 'casa: no service /user/nope on the device');
	const restart = await t.throwsAsync(client.restart('/user/nope'), {instanceOf: DeviceError});
	t.is(restart!.kind, 'unknown-service');
});

test('a wrong password is a typed error', async t => {
	const wrong = new DeviceClient({...targetFromUrl(demo.baseUrl), password: 'wrong', name: 'casa'});
	const error = await t.throwsAsync(wrong.overview(), {instanceOf: DeviceError});
	t.is(error!.kind, 'auth');
	t.is(error!.message, 'casa: wrong password (the device said: invalid username/password)');
	wrong.close();
});

test.serial('restart gives a new real process and ends the old one', async t => {
	const before = await client.service('/user/golink');
	t.true(alive(before.pid));
	await client.restart('/user/golink');
	const after = await client.waitForNewPid('/user/golink', before.pid);
	t.not(after.pid, before.pid);
	t.true(alive(after.pid));
	t.false(alive(before.pid));
	t.false(after.stopped);
});

test.serial('kill restarts with SIGKILL, and the init says so on stderr', async t => {
	const before = await client.service('/user/chatty');
	await client.restart('/user/chatty', {kill: true});
	const after = await client.waitForNewPid('/user/chatty', before.pid);
	t.not(after.pid, before.pid);
	const lines = await heldLines('/user/chatty', 'stderr');
	t.true(lines.some(line => /gokrazy: signal: killed$/.test(line)), lines.join('\n'));
});

test.serial('stop marks the service stopped and ends its process; start brings it back', async t => {
	const before = await client.service('/user/golink');
	await client.stop('/user/golink');
	const stopped = await client.service('/user/golink');
	t.true(stopped.stopped);
	t.is(serviceState(stopped), 'stopped');
	await eventually(async () => (alive(before.pid) ? undefined : true));
	await client.start('/user/golink');
	const started = await client.waitForNewPid('/user/golink', before.pid);
	t.false(started.stopped);
	t.true(alive(started.pid));
});

test.serial('run once on a running service: it is restarted, runs once, then stays stopped', async t => {
	const before = await client.service('/user/crasher');
	t.false(before.stopped);
	await client.restart('/user/crasher', {once: true});
	const after = await client.waitForNewPid('/user/crasher', before.pid);
	// The new process may already have run its 1.5 s on a loaded machine: that it ran is proven by its own line below.
	t.false(alive(before.pid));
	const stopped = await eventually(async () => {
		const status = await client.service('/user/crasher');
		return status.stopped ? status : undefined;
	});
	t.is(stopped.pid, after.pid);
	await eventually(async () => (alive(after.pid) ? undefined : true));
	const stdout = await heldLines('/user/crasher', 'stdout');
	t.true(stdout.some(line => line.startsWith(`crasher: starting pid ${after.pid} `)), stdout.join('\n'));
	const stderr = await heldLines('/user/crasher', 'stderr');
	t.true(stderr.some(line => /gokrazy: running process only once, stopping$/.test(line)), stderr.join('\n'));
});

test('run once on a crash-looping service caught between two runs: its next run is the one run, not followed by another', async t => {
	// Runs of 200 ms and a second's rest between them: a service found not running is almost always in that rest.
	const looping = await startDemoDevice({crashAfterMs: 200});
	const own = new DeviceClient(targetFromUrl(looping.url));
	t.teardown(async () => {
		own.close();
		await looping.stop();
	});
	const crasher = () => looping.services().find(service => service.path === '/user/crasher')!;
	await eventually(async () => (crasher().running ? undefined : true), 5000);
	const before = await own.service('/user/crasher');
	await own.restart('/user/crasher', {once: true});
	const stopped = await eventually(async () => {
		const status = await own.service('/user/crasher');
		return status.stopped ? status : undefined;
	});
	// Whichever moment the request met (a run or the rest), exactly one run started after it, and it stays stopped.
	await new Promise(resolve => setTimeout(resolve, 1500));
	t.is((await own.service('/user/crasher')).pid, stopped.pid);
	const starts = (await heldLines('/user/crasher', 'stdout', own)).filter(line => line.startsWith('crasher: starting pid '));
	const runsAfter = starts.slice(starts.findIndex(line => line.startsWith(`crasher: starting pid ${before.pid} `)) + 1);
	t.deepEqual(runsAfter.map(line => /pid (\d+)/.exec(line)![1]), [String(stopped.pid)]);
});

test('breakglass starts stopped and the HTML status tells state and GOARCH', async t => {
	const status = await client.serviceHtmlStatus('/user/breakglass');
	t.is(status.status, 'stopped');
	t.regex(status.goarch, /^(amd64|arm64|arm|386|riscv64|ppc64le|s390x)$/);
	const error = await t.throwsAsync(client.serviceHtmlStatus('/user/nope'), {instanceOf: DeviceError});
	t.is(error!.kind, 'unknown-service');
});
