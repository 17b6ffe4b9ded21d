// The demo device's supervisor with real processes: restarts, stops, crashes, exit 0/125, run-once, power, and no orphans.
import http from 'node:http';
import test from 'ava';
import {startDemoDevice} from '../../source/demo/demo-device.js';
import {demoAction, demoRequest, demoService, processExists, useDemoDevice, waitFor, type DemoDevice} from '../helpers/demo-device.js';

/** The replay of a plain /log (the service must have written to that stream): read until it pauses, then hang up. */
async function logLines(device: DemoDevice, path: string, stream: 'stdout' | 'stderr'): Promise<string[]> {
	return new Promise((resolve, reject) => {
		const request = http.request(new URL(`/log?path=${encodeURIComponent(path)}&stream=${stream}`, device.baseUrl), {
			headers: {Authorization: `Basic ${Buffer.from(`gokrazy:${device.password}`).toString('base64')}`},
		});
		request.on('response', response => {
			let text = '';
			let timer: NodeJS.Timeout | undefined;
			response.setEncoding('latin1').on('data', (chunk: string) => {
				text += chunk;
				clearTimeout(timer);
				timer = setTimeout(() => {
					request.destroy();
					resolve(text.split('\n').slice(0, -1));
				}, 150);
			});
		});
		request.on('error', error => {
			if (!request.destroyed) {
				reject(error);
			}
		});
		request.end();
	});
}

const stderrLines = (device: DemoDevice, path: string) => logLines(device, path, 'stderr');

/** The init's lines about a service, without their timestamps. */
const initLines = (lines: string[]) => lines.filter(line => / gokrazy: /.test(line)).map(line => line.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d gokrazy: /, ''));

test('restart signals the process group, the supervisor starts a new process about a second later', async t => {
	const device = await useDemoDevice(t);
	const before = await demoService(device, '/user/golink');
	t.true(processExists(-before.Pid));
	const response = await demoAction(device, 'restart', '/user/golink');
	t.is(response.status, 303);
	const after = await waitFor(async () => {
		const service = await demoService(device, '/user/golink');
		return service.Pid !== before.Pid && service;
	}, 10_000, 'a new pid');
	t.false(after.Stopped);
	t.false(processExists(-before.Pid), 'the old process group is gone');
	t.true(processExists(-after.Pid));
	t.true(Date.parse(after.StartTime) > Date.parse(before.StartTime));
	t.deepEqual(initLines(await stderrLines(device, '/user/golink')), [
		'attempt 0, starting ["/user/golink" "--sqlitedb=/perm/home/golink/data.db"]',
		'signal: terminated',
		'attempt 1, starting ["/user/golink" "--sqlitedb=/perm/home/golink/data.db"]',
	]);

	await demoAction(device, 'restart', '/user/golink', {signal: 'kill'});
	await waitFor(async () => (await demoService(device, '/user/golink')).Pid !== after.Pid, 10_000, 'another pid');
	t.deepEqual(initLines(await stderrLines(device, '/user/golink')).slice(-2), ['signal: killed', 'attempt 2, starting ["/user/golink" "--sqlitedb=/perm/home/golink/data.db"]']);
});

test('stop marks the service stopped and ends its processes; restart of a stopped one brings it back', async t => {
	const device = await useDemoDevice(t);
	const running = await demoService(device, '/user/chatty');
	await demoAction(device, 'stop', '/user/chatty');
	const stopped = await demoService(device, '/user/chatty');
	t.true(stopped.Stopped, 'Stopped at once');
	t.is(stopped.Pid, running.Pid, 'the pid stays');
	await waitFor(() => !processExists(-running.Pid), 5000, 'the group to end');
	t.is((await demoService(device, '/user/chatty')).StartTime, running.StartTime);
	t.is((await demoRequest(device, '/status?path=/user/chatty')).headers['x-gokrazy-status'], 'stopped');

	await demoAction(device, 'restart', '/user/chatty');
	t.false((await demoService(device, '/user/chatty')).Stopped, 'Stopped is false at once');
	const back = await waitFor(async () => {
		const service = await demoService(device, '/user/chatty');
		return service.Pid !== running.Pid && service;
	}, 10_000, 'the service to run again');
	t.true(processExists(-back.Pid));
	t.deepEqual(initLines(await stderrLines(device, '/user/chatty')), ['attempt 0, starting ["/user/chatty"]', 'signal: terminated', 'attempt 1, starting ["/user/chatty"]']);
});

test('a crashing service is restarted a second after it exits, GOKRAZY_FIRST_START only the first time', async t => {
	const device = await useDemoDevice(t, {crashAfterMs: 800});
	const first = await demoService(device, '/user/crasher');
	const second = await waitFor(async () => {
		const service = await demoService(device, '/user/crasher');
		return service.Pid !== first.Pid && service;
	}, 15_000, 'the restart');
	t.false(second.Stopped);
	t.false(processExists(-first.Pid));
	t.true(Date.parse(second.StartTime) - Date.parse(first.StartTime) >= 800 + 900, 'run time plus the restart delay');
	const lines = await stderrLines(device, '/user/crasher');
	t.deepEqual(initLines(lines).slice(0, 3), ['attempt 0, starting ["/user/crasher"]', 'exit status 1', 'attempt 1, starting ["/user/crasher"]']);
	t.true(lines.indexOf('crasher: giving up') < lines.findIndex(line => line.endsWith('gokrazy: exit status 1')), 'the program’s last line comes before the exit line');
	const stdout = await logLines(device, '/user/crasher', 'stdout');
	t.deepEqual(stdout.slice(0, 2), [`crasher: starting pid ${first.Pid} first=1`, `crasher: starting pid ${second.Pid} first=`]);
});

test('exit 125 and exit 0 stop the service with the init’s lines; breakglass stays stopped after boot', async t => {
	const device = await useDemoDevice(t, {extraServices: ['exit0']});
	const breakglass = await waitFor(async () => {
		const service = await demoService(device, '/user/breakglass');
		return service.Stopped && service;
	}, 10_000, 'breakglass stopped');
	t.true(breakglass.Pid > 0);
	t.deepEqual(initLines(await stderrLines(device, '/user/breakglass')), [
		`attempt 0, starting ["/user/breakglass" "-authorized_keys=${device.authorizedKeysPath}" "-port=${device.ssh.port}"]`,
		'process should not be supervised, stopping',
		'exit status 125',
	]);
	await waitFor(async () => (await demoService(device, '/user/exit0')).Stopped, 10_000, 'exit0 stopped');
	t.deepEqual(initLines(await stderrLines(device, '/user/exit0')), ['attempt 0, starting ["/user/exit0"]', 'exited successfully, stopping']);
	t.false(device.services().find(service => service.path === '/user/exit0')!.running);
});

test('supervise=once runs a stopped service one more time, then it stays stopped', async t => {
	const device = await useDemoDevice(t, {crashAfterMs: 500});
	await demoAction(device, 'stop', '/user/crasher');
	await waitFor(() => !device.services().find(service => service.path === '/user/crasher')!.running, 5000, 'crasher down');
	const stoppedPid = (await demoService(device, '/user/crasher')).Pid;
	// Under load the crasher may have crashed and been restarted before the stop: the once-run is the attempt after
	// the last one it logged.
	const attempts = initLines(await stderrLines(device, '/user/crasher')).map(line => /^attempt (\d+), starting/.exec(line)?.[1]).filter(Boolean).map(Number);
	const next = Math.max(...attempts) + 1;
	await demoAction(device, 'restart', '/user/crasher', {supervise: 'once'});
	await waitFor(async () => (await demoService(device, '/user/crasher')).Pid !== stoppedPid, 10_000, 'the one run');
	await waitFor(async () => (await demoService(device, '/user/crasher')).Stopped, 10_000, 'stopped after the run');
	t.deepEqual(initLines(await stderrLines(device, '/user/crasher')).slice(-3), [`attempt ${next}, starting ["/user/crasher"]`, 'exit status 1', 'running process only once, stopping']);
	const pid = (await demoService(device, '/user/crasher')).Pid;
	await new Promise(resolve => setTimeout(resolve, 1500));
	t.is((await demoService(device, '/user/crasher')).Pid, pid, 'not started again');
});

test('services run with the init’s environment and their own home under /perm/home', async t => {
	const device = await useDemoDevice(t);
	const response = await new Promise<string>((resolve, reject) => {
		const request = http.get(new URL('/log?path=/user/golink&stream=stdout', device.baseUrl), {
			headers: {Authorization: `Basic ${Buffer.from(`gokrazy:${device.password}`).toString('base64')}`},
		});
		request.on('response', answer => {
			answer.setEncoding('utf8').once('data', (text: string) => {
				request.destroy();
				resolve(text);
			});
		});
		request.on('error', reject);
	});
	t.true(response.includes(`HOME=${device.stateDir}/perm/home/golink first_start=1`));
});

test('reboot stops every service, answers, and boots them again from attempt 0', async t => {
	const device = await useDemoDevice(t, {rebootDowntimeMs: 300});
	const before = await demoService(device, '/user/golink');
	t.is((await demoRequest(device, '/reboot')).status, 400);
	const bad = await demoRequest(device, '/reboot?wait_per_signal=soon', {method: 'POST'});
	t.is(bad.status, 400);
	t.is(bad.body.toString(), 'time: invalid duration "soon"\n');
	const reboot = await demoRequest(device, '/reboot?wait_per_signal=2s', {method: 'POST'});
	t.is(reboot.status, 200);
	t.regex(reboot.body.toString(), /^All services killed in [\d.]+(ms|s|µs)\nRebooting\.\.\.\n$/);
	t.false(processExists(-before.Pid));
	const after = await waitFor(async () => {
		try {
			const service = await demoService(device, '/user/golink');
			return service.Pid !== before.Pid && service;
		} catch {
			return undefined;
		}
	}, 15_000, 'the device back');
	t.false(after.Stopped);
	t.deepEqual(initLines(await stderrLines(device, '/user/golink')), ['attempt 0, starting ["/user/golink" "--sqlitedb=/perm/home/golink/data.db"]']);
	await waitFor(async () => (await demoService(device, '/user/breakglass')).Stopped, 10_000, 'breakglass stopped again');
});

test('poweroff with async=true answers at once, then the device is gone for good', async t => {
	const device = await useDemoDevice(t);
	const pids = device.livePids();
	t.true(pids.length > 0);
	const answer = await demoRequest(device, '/poweroff?async=true', {method: 'POST'});
	t.is(answer.status, 200);
	t.is(answer.body.toString(), 'Powering off...\n');
	await waitFor(async () => {
		try {
			await demoRequest(device, '/');
			return false;
		} catch (error) {
			return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
		}
	}, 10_000, 'connection refused');
	t.deepEqual(device.livePids(), []);
	for (const pid of pids) {
		t.false(processExists(-pid), String(pid));
	}
});

test('closeHttp makes the device unreachable on its port while services keep running; reopenHttp brings it back', async t => {
	const device = await useDemoDevice(t);
	const pid = (await demoService(device, '/user/golink')).Pid;
	await device.closeHttp();
	const error = await t.throwsAsync(demoRequest(device, '/'));
	t.is((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
	t.true(processExists(-pid));
	await device.reopenHttp();
	t.is((await demoService(device, '/user/golink')).Pid, pid);
});

test('stop() leaves no process behind, also with many devices', async t => {
	const devices = await Promise.all([0, 1, 2].map(() => startDemoDevice({extraServices: ['weird', 'late']})));
	const pids = devices.flatMap(device => device.livePids());
	t.true(pids.length >= 3 * 9);
	await Promise.all(devices.map(device => device.stop()));
	for (const pid of pids) {
		t.false(processExists(-pid), `group ${pid}`);
	}
});
