// HTTPS with the device's self-signed certificate pinned (never verification switched off), and the HTTP→HTTPS redirect.
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {DeviceError} from '../../source/core/device-error.js';
import type {DeviceTarget} from '../../source/core/device-target.js';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {makeSelfSigned, type SelfSigned} from '../helpers/self-signed.js';

let demo: DemoDevice;
let certificate: SelfSigned;

test.before(async () => {
	certificate = makeSelfSigned('casa');
	demo = await startDemoDevice({hostname: 'casa', tls: {...certificate, httpRedirectPort: 0}});
});

test.after.always(async () => {
	await demo?.stop();
});

const target = (url: string, cert?: string): DeviceTarget => ({
	name: 'casa', url, password: demo.password, source: 'gok', certificate: cert, certificatePath: cert ? '/home/u/.config/gokrazy/hosts/casa/cert.pem' : undefined,
});

test('the pinned self-signed certificate is trusted for its device, though its name is not the address', async t => {
	const client = new DeviceClient(target(`https://127.0.0.1:${demo.port}`, certificate.cert));
	const overview = await client.overview();
	t.is(overview.hostname, 'casa');
	const lines: string[] = [];
	for await (const event of client.logs('/user/chatty', 'both', {follow: false})) {
		if (event.type === 'lines') {
			lines.push(...event.lines.map(line => line.line));
		}
	}

	t.true(lines.length > 0, 'logs stream over HTTPS too');
	client.close();
});

test('without a pinned certificate the self-signed one is refused with a hint', async t => {
	const client = new DeviceClient(target(`https://127.0.0.1:${demo.port}`));
	const error = await t.throwsAsync(client.overview(), {instanceOf: DeviceError});
	t.is(error!.kind, 'tls');
	t.regex(error!.message, /^casa: TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*cert\.pem/);
	client.close();
});

test('another certificate pinned: a mismatch, naming where the pin came from', async t => {
	const other = makeSelfSigned('casa');
	const client = new DeviceClient(target(`https://127.0.0.1:${demo.port}`, other.cert));
	const error = await t.throwsAsync(client.overview(), {instanceOf: DeviceError});
	t.is(error!.kind, 'tls');
	t.regex(error!.message, /does not match the certificate pinned from \/home\/u\/\.config\/gokrazy\/hosts\/casa\/cert\.pem/);
	client.close();
});

test('the HTTP port\'s redirect to HTTPS on the same host is followed, and the pin still applies', async t => {
	const client = new DeviceClient(target(`http://127.0.0.1:${demo.httpRedirectPort}`, certificate.cert));
	const overview = await client.overview();
	t.is(overview.hostname, 'casa');
	const status = await client.service('/user/golink');
	await client.restart('/user/golink');
	const after = await client.waitForNewPid('/user/golink', status.pid);
	t.not(after.pid, status.pid);
	client.close();

	const unpinned = new DeviceClient(target(`http://127.0.0.1:${demo.httpRedirectPort}`));
	const error = await t.throwsAsync(unpinned.overview(), {instanceOf: DeviceError});
	t.is(error!.kind, 'tls');
	unpinned.close();
});
