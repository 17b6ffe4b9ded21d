// Reboot and power off through the client against a demo device of their own: services stop, the device comes back (or not).
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {startDemoDevice} from '../../source/demo/demo-device.js';

test('reboot stops every service and the device answers again with new processes', async t => {
	const demo = await startDemoDevice({hostname: 'casa', rebootDowntimeMs: 800});
	t.teardown(async () => demo.stop());
	const client = new DeviceClient({...targetFromUrl(demo.url), name: 'casa'}, {timeoutMs: 2000});
	const before = await client.service('/user/golink');
	await client.reboot();
	t.false(demo.livePids().includes(before.pid), 'the old process is gone once the device answered');
	// gok polls GET / until the device answers again after a reboot; so does this.
	let after;
	for (let attempt = 0; attempt < 50 && after === undefined; attempt++) {
		try {
			after = await client.service('/user/golink');
			if (after.pid === before.pid || after.pid === 0) {
				after = undefined;
			}
		} catch (error) {
			t.true(error instanceof DeviceError);
		}

		await new Promise(resolve => setTimeout(resolve, 200));
	}

	t.truthy(after, 'the device came back');
	t.not(after!.pid, before.pid);
	client.close();
});

test('power off stops every service and the device stops answering', async t => {
	const demo = await startDemoDevice({hostname: 'casa'});
	t.teardown(async () => demo.stop());
	const client = new DeviceClient({...targetFromUrl(demo.url), name: 'casa'}, {timeoutMs: 2000});
	await client.overview();
	await client.powerOff();
	await new Promise(resolve => setTimeout(resolve, 300));
	t.deepEqual(demo.livePids(), []);
	const error = await t.throwsAsync(client.overview(), {instanceOf: DeviceError});
	t.is(error!.kind, 'unreachable');
	client.close();
});
