// The fleet store's actions (what the dashboard's keys run) when the device refuses the supervision request (400
// without the XSRF cookie, 403 on a token mismatch) or sent no XSRF cookie: each counts as failed, on its row too.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {createFleetStore} from '../../source/core/fleet-store.js';
import type {ServiceActionKind} from '../../source/core/fleet-snapshot.js';
import {useDemoDevice} from '../helpers/demo-device.js';
import {faultCause, startRefusingDevice, supervisionFaults, withPassword} from '../helpers/refusing-device.js';
import {waitFor} from '../helpers/wait-for.js';

const kinds: ServiceActionKind[] = ['restart', 'stop', 'start', 'once', 'kill'];

for (const fault of supervisionFaults) {
	test(`${fault}: every service action fails, says why on the row, and leaves the service as it was`, async t => {
		const demo = await useDemoDevice(t);
		const proxy = await startRefusingDevice(t, {host: demo.host, port: demo.port}, fault);
		const store = createFleetStore({targets: [targetFromUrl(withPassword(proxy.url, demo.password), 'casa')], pollIntervalMs: 250, notifyMs: 20, nodeExporter: null});
		const direct = new DeviceClient(targetFromUrl(demo.url), {timeoutMs: 10_000});
		t.teardown(() => {
			store.stop();
			direct.close();
		});
		store.start();
		const golink = () => store.device('casa')?.services.find(entry => entry.path === '/user/golink');
		await waitFor(() => (golink()?.status.pid ?? 0) > 0, {timeoutMs: 20_000, what: 'golink on the row'});
		const pid = (await direct.service('/user/golink')).pid;
		for (const kind of kinds) {
			const outcome = await store.runServiceAction('casa', '/user/golink', kind);
			t.false(outcome.ok, `${kind}: ${outcome.message}`);
			t.true(outcome.message.startsWith('casa: '), outcome.message);
			t.regex(outcome.message, faultCause[fault], kind);
			t.false(outcome.message.includes('\n'));
			const action = golink()?.action;
			t.is(action?.phase, 'failed', kind);
			t.is(action?.kind, kind);
			t.true(action?.text.startsWith(`${kind} failed: `), action?.text);
		}

		const after = await direct.service('/user/golink');
		t.is(after.pid, pid);
		t.false(after.stopped);
	});
}
