// Supervision the device refuses (400 without the XSRF cookie, 403 on a token mismatch) or cannot be asked for (its
// status page sent no XSRF cookie) fails through the device client, for every action, and nothing is restarted.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {useDemoDevice} from '../helpers/demo-device.js';
import {faultCause, startRefusingDevice, supervisionFaults, withPassword} from '../helpers/refusing-device.js';

const actions: Array<[string, (client: DeviceClient, path: string) => Promise<unknown>]> = [
	['restart', async (client, path) => client.restart(path)],
	['restart --kill', async (client, path) => client.restart(path, {kill: true})],
	['restart --once', async (client, path) => client.restart(path, {once: true})],
	['stop', async (client, path) => client.stop(path)],
	['stop --kill', async (client, path) => client.stop(path, {kill: true})],
	['start', async (client, path) => client.start(path)],
	['start --once', async (client, path) => client.start(path, {once: true})],
];

for (const fault of supervisionFaults) {
	test(`${fault}: every supervision action fails with the device's name and the cause, and the service runs on`, async t => {
		const demo = await useDemoDevice(t);
		const proxy = await startRefusingDevice(t, {host: demo.host, port: demo.port}, fault);
		const client = new DeviceClient({...targetFromUrl(withPassword(proxy.url, demo.password)), name: 'casa'}, {timeoutMs: 10_000});
		const direct = new DeviceClient(targetFromUrl(demo.url), {timeoutMs: 10_000});
		t.teardown(() => {
			client.close();
			direct.close();
		});
		const before = await direct.service('/user/golink');
		t.true(before.pid > 0);
		for (const [name, act] of actions) {
			const error = await t.throwsAsync(act(client, '/user/golink'), {instanceOf: DeviceError}, name);
			t.true(error!.message.startsWith('casa: '), `${name}: ${error!.message}`);
			t.regex(error!.causeText, faultCause[fault], name);
			t.is(error!.kind, fault === 'no-xsrf-cookie' ? 'not-gokrazy' : 'http', name);
			t.is(error!.status, fault === 'no-xsrf-cookie' ? undefined : fault === 'token-mismatch' ? 403 : 400, name);
		}

		// The device did nothing: same process, still running.
		const after = await direct.service('/user/golink');
		t.is(after.pid, before.pid);
		t.false(after.stopped);
		t.is(proxy.posts.length, fault === 'no-xsrf-cookie' ? 0 : actions.length);
	});
}
