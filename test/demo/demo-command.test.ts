// `krazy-tui demo --serve`: in this process with an abort signal, and as a separate process stopped by SIGTERM or killed outright.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import test from 'ava';
import {demoCommand} from '../../source/commands/demo.js';
import {UsageError, type CommandIo} from '../../source/commands/command-io.js';
import {demoJson, demoService, processExists, useDemoProcess, waitFor, type ServiceJson} from '../helpers/demo-device.js';

function fakeIo() {
	const controller = new AbortController();
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	let out = '';
	let err = '';
	stdout.setEncoding('utf8').on('data', (text: string) => {
		out += text;
	});
	stderr.setEncoding('utf8').on('data', (text: string) => {
		err += text;
	});
	const io: CommandIo = {stdout, stderr, env: {}, stdoutIsTty: false, signal: controller.signal};
	return {io, controller, out: () => out, err: () => err};
}

const servicePids = async (device: {baseUrl: string; password: string}) =>
	(await demoJson<{Services: ServiceJson[]}>(device, '/')).Services.filter(service => !service.Stopped).map(service => service.Pid);

test('demo --serve --json prints one line per device, serves until aborted, then stops every child', async t => {
	const {io, controller, out} = fakeIo();
	const dir = mkdtempSync(path.join(os.tmpdir(), 'krazy-demo-cmd-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	const passwordFile = path.join(dir, 'pw');
	writeFileSync(passwordFile, 's3cret\n');
	const exit = demoCommand(['--serve', '--json', '--password-file', passwordFile, '--extra', 'weird,exit0'], io);
	const line = await waitFor(() => out().includes('\n') && (JSON.parse(out().split('\n')[0]!) as Record<string, unknown>), 20_000, 'the JSON line');
	t.deepEqual(Object.keys(line), ['url', 'baseUrl', 'password', 'ssh', 'authorizedKeys', 'hostname', 'stateDir', 'archives']);
	t.regex(line.url as string, /^http:\/\/gokrazy:s3cret@127\.0\.0\.1:\d+$/);
	const device = {baseUrl: line.baseUrl as string, password: 's3cret'};
	t.is((await demoService(device, '/user/weird')).Path, '/user/weird');
	t.is((await demoService(device, '/user/exit0')).Path, '/user/exit0');
	const pids = await servicePids(device);
	controller.abort();
	t.is(await exit, 0);
	for (const pid of pids) {
		t.false(processExists(-pid), String(pid));
	}
});

test('demo --serve prints how to reach the device for a person', async t => {
	const {io, controller, out} = fakeIo();
	const exit = demoCommand(['--serve', '--port', '0'], io);
	await waitFor(() => out().includes('Serving until Ctrl-C.'), 20_000, 'the text');
	t.regex(out(), /gokrazy demo device "gokrazy-demo" is up at http:\/\/127\.0\.0\.1:\d+\n/);
	t.regex(out(), /user gokrazy, password [A-Za-z0-9]{20}\n/);
	t.regex(out(), /krazy-tui status 'http:\/\/gokrazy:[A-Za-z0-9]{20}@127\.0\.0\.1:\d+'/);
	t.regex(out(), /breakglass: {2}ssh on 127\.0\.0\.1:\d+/);
	controller.abort();
	t.is(await exit, 0);
});

test('demo without --serve or with bad flags is a usage error', async t => {
	const {io} = fakeIo();
	await t.throwsAsync(demoCommand([], io), {instanceOf: UsageError, message: /--serve/});
	await t.throwsAsync(demoCommand(['--serve', '--extra', 'bogus'], io), {instanceOf: UsageError, message: /bogus/});
	await t.throwsAsync(demoCommand(['--serve', '--count', '0'], io), {instanceOf: UsageError});
	await t.throwsAsync(demoCommand(['--serve', '--wat'], io), {instanceOf: UsageError});
});

test('a port in use is one line on stderr and exit 1', async t => {
	const first = fakeIo();
	const running = demoCommand(['--serve', '--json'], first.io);
	const line = await waitFor(() => first.out().includes('\n') && (JSON.parse(first.out().split('\n')[0]!) as {baseUrl: string}), 20_000, 'the first device');
	const port = new URL(line.baseUrl).port;
	const second = fakeIo();
	t.is(await demoCommand(['--serve', '--port', port], second.io), 1);
	t.regex(second.err(), /^demo: cannot start the demo device: .*EADDRINUSE.*\n$/);
	first.controller.abort();
	t.is(await running, 0);
});

test('as a separate process: several devices, SIGTERM ends it with exit 0 and no children left', async t => {
	const demo = await useDemoProcess(t, ['--extra', 'weird'], {count: 2});
	t.deepEqual(
		demo.devices.map(device => device.hostname),
		['gokrazy-demo-01', 'gokrazy-demo-02'],
	);
	t.not(demo.devices[0]!.url, demo.devices[1]!.url);
	const pids = (await Promise.all(demo.devices.map(device => servicePids(device)))).flat();
	t.true(pids.length >= 2 * 8);
	const {code} = await demo.stop('SIGTERM');
	t.is(code, 0);
	for (const pid of pids) {
		t.false(processExists(-pid), String(pid));
	}
});

test('when the demo process is killed outright, its programs notice and end by themselves', async t => {
	const demo = await useDemoProcess(t, ['--extra', 'weird,late']);
	const pids = await servicePids(demo.devices[0]!);
	t.true(pids.length >= 8);
	t.true(pids.every(pid => processExists(-pid)));
	t.is((await demo.stop('SIGKILL')).signal, 'SIGKILL');
	const left = await waitFor(() => pids.every(pid => !processExists(-pid)) && [], 10_000, 'every program to end').catch(() =>
		pids.filter(pid => processExists(-pid)),
	);
	t.deepEqual(left, []);
});
