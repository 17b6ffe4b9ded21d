// /user/breakglass on the demo device: stopped after boot, started by /restart, then an SSH server whose host key lives in the state dir.
import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {demoAction, demoService, useDemoDevice, waitFor, type DemoDevice} from '../helpers/demo-device.js';

/** Connects to the SSH port and returns the server's identification line, or undefined while nothing listens. */
function sshIdentification(port: number): Promise<string | undefined> {
	return new Promise(resolve => {
		const socket = net.connect(port, '127.0.0.1');
		let text = '';
		socket.on('data', (chunk: Buffer) => {
			text += chunk.toString('latin1');
			if (text.includes('\r\n')) {
				socket.destroy();
				resolve(text.slice(0, text.indexOf('\r\n')));
			}
		});
		socket.on('error', () => resolve(undefined));
		socket.setTimeout(5000, () => {
			socket.destroy();
			resolve(undefined);
		});
	});
}

async function startBreakglass(t: ExecutionContext, device: DemoDevice): Promise<string> {
	await waitFor(async () => (await demoService(device, '/user/breakglass')).Stopped, 10_000, 'breakglass stopped after boot');
	t.is(await sshIdentification(device.ssh.port), undefined, 'nothing listens before the start');
	t.is((await demoAction(device, 'restart', '/user/breakglass')).status, 303);
	const identification = await waitFor(() => sshIdentification(device.ssh.port), 20_000, 'the SSH port');
	t.regex(identification, /^SSH-2\.0-/);
	const response = await fetch(`${device.baseUrl}/log?path=/user/breakglass&stream=stdout`, {
		headers: {Authorization: `Basic ${Buffer.from(`gokrazy:${device.password}`).toString('base64')}`},
	});
	const reader = response.body!.getReader();
	let text = '';
	while (!text.includes('fingerprint')) {
		const {value} = await reader.read();
		text += Buffer.from(value!).toString();
	}

	await reader.cancel();
	t.regex(text, new RegExp(`listening on 127\\.0\\.0\\.1:${device.ssh.port}`));
	return /fingerprint: (SHA256:\S+)/.exec(text)![1]!;
}

test('breakglass starts on /restart and keeps its host key across devices on the same state dir', async t => {
	const stateDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-demo-bg-'));
	t.teardown(() => {
		rmSync(stateDir, {recursive: true, force: true});
	});
	const first = await useDemoDevice(t, {stateDir});
	t.is(first.hostKeyPath, path.join(stateDir, 'breakglass.host_key'));
	const fingerprint = await startBreakglass(t, first);
	const service = await demoService(first, '/user/breakglass');
	t.false(service.Stopped);
	await first.stop();

	const second = await useDemoDevice(t, {stateDir});
	t.is(await startBreakglass(t, second), fingerprint);
});
