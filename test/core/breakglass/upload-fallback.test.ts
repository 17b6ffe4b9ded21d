// `krazy-tui shell --upload` against breakglass with and without SFTP: SFTP when offered, else the scp sink, and it says which.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {startSshd} from '../../helpers/sshd.js';
import {startDemoBreakglass} from '../../demo/demo-server.js';
import {startDeviceStub} from './device-stub.js';
import {makeHome, run, runCli} from './harness.js';

const banner = {hostname: 'casa', model: 'unknown model', build: '2026-11-20T09:14:03+01:00'};

/** A device whose breakglass is the demo's, with or without SFTP (breakglass before SFTP support had only the scp sink). */
async function demoWorld(t: ExecutionContext, sftp: boolean) {
	const home = await makeHome();
	const authorizedKeysPath = path.join(home.dir, 'breakglass.authorized_keys');
	writeFileSync(authorizedKeysPath, `${home.key.publicKey}\n`);
	const server = await startDemoBreakglass({
		host: '127.0.0.1',
		port: 0,
		hostKeyPath: path.join(home.dir, 'host_key'),
		authorizedKeysPath,
		tmpDir: path.join(home.dir, 'device-tmp'),
		banner,
		sftp,
	});
	const device = await startDeviceStub({initially: 'started', goarch: 'arm64'});
	t.teardown(async () => {
		await device.close();
		await server.stop();
		await home.remove();
	});
	const tools = path.join(home.dir, 'tools');
	mkdirSync(tools);
	writeFileSync(path.join(tools, 'dbgtool'), '#!/bin/sh\necho "dbgtool in $(basename "$PWD"): $*"\n', {mode: 0o755});
	const tarball = path.join(home.dir, 'tools-arm64.tar');
	await run('tar', ['-C', tools, '-cf', tarball, 'dbgtool']);
	// A loaded machine answers slowly; the HTTP budget is this test's, not the 5 s a person gets.
	const args = (...extra: string[]) => ['shell', device.url, '--timeout', '30', '--ssh-port', String(server.port), '--accept-new', ...extra];
	return {home, server, args, tarball};
}

test('breakglass without SFTP: --upload goes through its scp sink, which unpacks the tar onto $PATH, and says so', async t => {
	const {home, server, args} = await demoWorld(t, false);
	const result = await runCli(args('--upload', path.join(home.dir, 'tools-${GOARCH}.tar'), '--', 'dbgtool a b; ls'), home.env);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^dbgtool in breakglass\d+: a b\ndbgtool\n$/);
	t.regex(result.stderr, /uploaded .*tools-arm64\.tar through the scp sink \(the device refused SFTP\)/);
	const log = await server.waitForLog(/scp\.go:\d+: extracting "dbgtool"/);
	t.regex(log, /request\("subsystem"\): unknown request type: "subsystem"/);
});

test('breakglass with SFTP: --upload uses it, the tar is unpacked by the time the command runs, and it says so', async t => {
	const {home, args} = await demoWorld(t, true);
	const result = await runCli(args('--upload', path.join(home.dir, 'tools-${GOARCH}.tar'), '--', 'dbgtool c; ls'), home.env);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^dbgtool in breakglass\d+: c\ndbgtool\ntools-arm64\.tar\n$/);
	t.regex(result.stderr, /uploaded .*tools-arm64\.tar over SFTP/);
});

test('a file the scp sink cannot unpack: the device\'s own reason, naming the device, and a non-zero exit', async t => {
	const {home, args} = await demoWorld(t, false);
	const junk = path.join(home.dir, 'junk.tar');
	writeFileSync(junk, Buffer.alloc(4096, 'x'));
	const result = await runCli(args('--upload', junk, '--', 'true'), home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, /uploading .*junk\.tar over scp failed: archive\/tar: invalid tar header/);
});

test('OpenSSH\'s own scp sink takes the fallback upload byte for byte when sshd offers no SFTP', async t => {
	const home = await makeHome();
	const sshd = await startSshd({authorizedKeys: [home.key.publicKey], sftp: false});
	const device = await startDeviceStub({initially: 'started'});
	t.teardown(async () => {
		await device.close();
		await sshd.stop();
		await home.remove();
	});
	const file = path.join(home.dir, 'payload.bin');
	writeFileSync(file, Buffer.from(Array.from({length: 300_000}, (_, index) => (index * 7) % 256)), {mode: 0o640});
	const result = await runCli(['shell', device.url, '--timeout', '30', '--ssh-port', String(sshd.port), '--user', 'root', '--accept-new', '--upload', file, '--', 'ls -l payload.bin'], home.env);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^-rw-r----- .* 300000 .* payload\.bin\n$/);
	t.deepEqual(readFileSync(path.join(sshd.sftpRoot, 'payload.bin')), readFileSync(file));
	t.regex(result.stderr, /through the scp sink/);
});
