// `krazy-tui restart|stop|start` when the device refuses the supervision request (400 without the XSRF cookie, 403
// on a token mismatch) or sent no XSRF cookie: exit 1, one line on stderr naming the device and the cause, nothing
// on stdout (not even with --json), and the service as it was.
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {runCli} from '../helpers/cli.js';
import {useDemoDevice} from '../helpers/demo-device.js';
import {faultCause, startRefusingDevice, supervisionFaults, withPassword} from '../helpers/refusing-device.js';

const commands = [
	['restart'],
	['restart', '--kill'],
	['restart', '--once', '--json'],
	['stop'],
	['stop', '--kill', '--json'],
	['start'],
	['start', '--once'],
];

for (const fault of supervisionFaults) {
	test(`${fault}: every supervision command exits 1 with one line naming the device and the cause`, async t => {
		const demo = await useDemoDevice(t);
		const proxy = await startRefusingDevice(t, {host: demo.host, port: demo.port}, fault);
		const home = mkdtempSync(path.join(os.tmpdir(), 'krazy-home-'));
		const direct = new DeviceClient(targetFromUrl(demo.url), {timeoutMs: 10_000});
		t.teardown(() => {
			direct.close();
			rmSync(home, {recursive: true, force: true});
		});
		const env = {HOME: home, GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy'), KRAZY_TUI_CONFIG_DIR: path.join(home, 'config')};
		const device = `127.0.0.1:${proxy.port}`;
		const before = await direct.service('/user/golink');
		for (const [command, ...flags] of commands) {
			const name = [command, ...flags].join(' ');
			const result = await runCli([command!, withPassword(proxy.url, demo.password), 'golink', ...flags, '--timeout', '30'], {env});
			t.is(result.code, 1, `${name}: ${result.stdout}${result.stderr}`);
			t.is(result.stdout, '', name);
			const lines = result.stderr.split('\n');
			t.is(lines.length, 2, `${name}: ${result.stderr}`);
			t.is(lines[1], '');
			t.true(lines[0]!.startsWith(`${device}: `), `${name}: ${lines[0]}`);
			t.regex(lines[0]!, faultCause[fault], name);
			t.false(lines[0]!.includes(demo.password), 'the password is never printed');
		}

		const after = await direct.service('/user/golink');
		t.is(after.pid, before.pid);
		t.false(after.stopped);
	});
}
