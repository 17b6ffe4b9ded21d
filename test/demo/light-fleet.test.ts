// The light demo fleet: many devices in one process, the demo's own HTTP API over simulated services, driven by the real client.
import {readFileSync, readdirSync} from 'node:fs';
import test, {type ExecutionContext} from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {serviceState} from '../../source/core/device-model.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {startLightFleet, type LightFleet} from '../../source/demo/light-fleet.js';
import {useDemoDevice, useDemoProcess} from '../helpers/demo-device.js';

async function useLightFleet(t: ExecutionContext, options: Parameters<typeof startLightFleet>[0]): Promise<LightFleet> {
	const fleet = await startLightFleet(options);
	t.teardown(() => fleet.stop());
	return fleet;
}

function client(t: ExecutionContext, url: string): DeviceClient {
	const device = new DeviceClient(targetFromUrl(url), {timeoutMs: 10_000});
	t.teardown(() => {
		device.close();
	});
	return device;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

test('demo --serve --light --count 60 serves 60 devices from one process with no child process', async t => {
	const demo = await useDemoProcess(t, ['--light'], {count: 60});
	t.is(demo.devices.length, 60);
	t.is(new Set(demo.devices.map(device => device.baseUrl)).size, 60, 'each device has its own address');
	t.is(new Set(demo.devices.map(device => device.hostname)).size, 60);
	const children = readdirSync(`/proc/${demo.child.pid}/task`)
		.flatMap(task => readFileSync(`/proc/${demo.child.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/))
		.filter(pid => pid !== '');
	t.deepEqual(children, [], 'the light fleet simulates its services instead of running programs');
	for (const line of [demo.devices[0]!, demo.devices[59]!]) {
		const overview = await client(t, line.url).overview();
		t.is(overview.hostname, line.hostname);
		t.true(overview.services.some(service => service.path === '/user/golink' && !service.stopped && service.pid > 0));
	}
});

test('a light device answers the same JSON and pages as the demo device, with simulated RSS and memory', async t => {
	const [fleet, demo] = await Promise.all([useLightFleet(t, {count: 2}), useDemoDevice(t)]);
	await sleep(300);
	const light = client(t, fleet.devices[1]!.url);
	const real = client(t, demo.url);
	const [lightOverview, realOverview] = await Promise.all([light.overview(), real.overview()]);
	t.deepEqual(lightOverview.services.map(service => service.path), realOverview.services.map(service => service.path));
	t.deepEqual(Object.keys(lightOverview).sort(), Object.keys(realOverview).sort());
	t.true(lightOverview.memory!.total >= 1024 ** 3, 'a Pi-sized memory, not this machine\'s');
	t.true(lightOverview.memory!.available < lightOverview.memory!.total);
	const html = await light.htmlOverview();
	t.true((html.rss.get('/user/golink') ?? 0) > 10 * 1024 * 1024, 'the overview page shows the simulated RSS');
	t.false(html.rss.has('/user/breakglass'), 'breakglass declined its first start, as on the demo device');
});

test('actions and logs work through the real client: restart gives a new pid, a crash is restarted, lines stream', async t => {
	const fleet = await useLightFleet(t, {count: 1, crashAfterMs: 400, tickMs: 50});
	const device = client(t, fleet.devices[0]!.url);
	await sleep(200);
	const before = await device.service('/user/golink');
	await device.restart('/user/golink');
	const after = await device.waitForNewPid('/user/golink', before.pid, 5000);
	t.not(after.pid, before.pid);
	t.false(after.stopped);

	await device.stop('/user/chatty');
	const stopped = await device.service('/user/chatty');
	t.true(stopped.stopped);
	t.is(serviceState(stopped), 'stopped');
	await device.start('/user/breakglass');
	const started = await device.waitForNewPid('/user/breakglass', (await device.service('/user/breakglass')).pid, 5000);
	t.false(started.stopped, 'a second start of breakglass runs');

	const crasherPids = new Set<number>();
	for (let waited = 0; crasherPids.size < 3 && waited < 10_000; waited += 100) {
		crasherPids.add((await device.service('/user/crasher')).pid);
		await sleep(100);
	}

	t.true(crasherPids.size >= 3, 'the crasher exits and the supervisor starts it again, again');
	const stream = device.logs('/user/crasher', 'stderr', {follow: false, quietMs: 2000});
	const lines: string[] = [];
	for await (const event of stream) {
		if (event.type === 'lines') {
			lines.push(...event.lines.map(line => line.line));
		}
	}

	t.true(lines.some(line => line.endsWith('gokrazy: exit status 1')), lines.join('\n'));
	t.true(lines.some(line => /gokrazy: attempt 2, starting \["\/user\/crasher"\]/.test(line)), lines.join('\n'));
});

test('demo --light refuses what only real programs have', async t => {
	const {demoCommand} = await import('../../source/commands/demo.js');
	const controller = new AbortController();
	const io = {stdout: process.stdout, stderr: process.stderr, env: {}, stdoutIsTty: false, signal: controller.signal};
	await t.throwsAsync(demoCommand(['--serve', '--light', '--count', '3', '--extra', 'flood'], io), {message: /--extra is not available in the light fleet/});
});
