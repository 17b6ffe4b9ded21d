// `krazy-tui shell` one-shot against a real OpenSSH sshd behind a device whose supervision API starts and stops it.
import {existsSync, readFileSync, unlinkSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {KnownHosts} from '../../../source/core/breakglass/known-hosts.js';
import {startSshAgent} from '../../helpers/ssh-agent.js';
import {freePort, makeKeyPair, startSshd, type Sshd} from '../../helpers/sshd.js';
import {startDeviceStub, type DeviceStub} from './device-stub.js';
import {makeHome, run, runCli, type Home} from './harness.js';

type World = {home: Home; sshd: Sshd; device: DeviceStub; args: (...extra: string[]) => string[]};

async function world(t: {teardown(fn: () => Promise<void>): void}, options: {initially?: 'started' | 'stopped'} = {}): Promise<World> {
	const home = await makeHome();
	const sshd = await startSshd({authorizedKeys: [home.key.publicKey]});
	const device = await startDeviceStub({initially: options.initially ?? 'started'});
	t.teardown(async () => {
		await device.close();
		await sshd.stop();
		await home.remove();
	});
	return {home, sshd, device, args: (...extra) => ['shell', device.url, '--ssh-port', String(sshd.port), '--user', 'root', ...extra]};
}

test('one command: stdout and stderr apart, the remote exit status becomes krazy-tui\'s, the host key remembered with --accept-new', async t => {
	const {home, args, sshd} = await world(t);
	const result = await runCli(args('--accept-new', '--', 'echo out; echo err >&2; exit 3'), home.env);
	t.is(result.code, 3);
	t.is(result.stdout, 'out\n');
	t.regex(result.stderr, /^err$/m);
	t.regex(result.stderr, /remembered host key SHA256:/);
	t.false(result.stdout.includes('err'));
	const known = readFileSync(home.knownHostsFile, 'utf8');
	t.true(known.startsWith(`[127.0.0.1]:${sshd.port} ssh-ed25519 `));
	t.true(known.includes(sshd.hostPublicKey.split(' ')[1]));

	// Remembered: no --accept-new needed, and nothing said about host keys any more.
	const again = await runCli(args('--', 'uname', '-s'), home.env);
	t.is(again.code, 0);
	t.is(again.stdout, 'Linux\n');
	t.false(again.stderr.includes('host key'));
});

test('stdin is forwarded to a one-shot command', async t => {
	const {home, args} = await world(t);
	const result = await runCli(args('--accept-new', '--', 'tr', 'a-z', 'A-Z'), home.env, 'shout this\n');
	t.is(result.code, 0);
	t.is(result.stdout, 'SHOUT THIS\n');
});

test('an unknown host key without a terminal and without --accept-new is refused, and nothing is remembered', async t => {
	const {home, args} = await world(t);
	const result = await runCli(args('--', 'true'), home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, /unknown host key ssh-ed25519 SHA256:\S+ for \[127\.0\.0\.1\]:\d+: re-run interactively to confirm it, or with --accept-new/);
	t.false(existsSync(home.knownHostsFile));
});

test('a changed host key is refused loudly, even with --accept-new, until forgotten with the printed command', async t => {
	const {home, args, sshd} = await world(t);
	const planted = (await makeKeyPair(home.dir, 'other-host-key')).publicKey.split(' ').slice(0, 2).join(' ');
	await new KnownHosts(home.knownHostsFile).add('127.0.0.1', sshd.port, Buffer.from(planted.split(' ')[1], 'base64'));
	const refused = await runCli(args('--accept-new', '--', 'echo', 'must-not-run'), home.env);
	t.is(refused.code, 1);
	t.false(refused.stdout.includes('must-not-run'));
	t.regex(refused.stderr, /WARNING: THE DEVICE'S HOST KEY HAS CHANGED!/);
	const forget = /krazy-tui shell --forget-host '([^']+)'/.exec(refused.stderr);
	t.truthy(forget);
	t.is(forget![1], `[127.0.0.1]:${sshd.port}`);
	t.regex(refused.stderr, new RegExp(`ssh-keygen -R '\\[127\\.0\\.0\\.1\\]:${sshd.port}' -f `));
	// The last line is the one-line failure naming the device.
	t.regex(refused.stderr.trim().split('\n').at(-1)!, /^127\.0\.0\.1:\d+: host key of \[127\.0\.0\.1\]:\d+ changed/);

	const forgotten = await runCli(['shell', '--forget-host', forget![1]], home.env);
	t.is(forgotten.code, 0);
	t.regex(forgotten.stdout, /forgot 1 host key/);
	const accepted = await runCli(args('--accept-new', '--', 'echo', 'ran'), home.env);
	t.is(accepted.code, 0);
	t.is(accepted.stdout, 'ran\n');
});

test('the printed ssh-keygen command forgets the key too', async t => {
	const {home, args, sshd} = await world(t);
	t.is((await runCli(args('--accept-new', '--', 'true'), home.env)).code, 0);
	await run('ssh-keygen', ['-R', `[127.0.0.1]:${sshd.port}`, '-f', home.knownHostsFile]);
	const after = await runCli(args('--', 'true'), home.env);
	t.is(after.code, 1);
	t.regex(after.stderr, /unknown host key/);
});

test('keys from the SSH agent are used first; without agent and keys there is no usable key', async t => {
	const {home, args, sshd} = await world(t);
	const agent = await startSshAgent();
	t.teardown(() => agent.stop());
	const agentKey = await makeKeyPair(home.dir, 'agent-key');
	await agent.add(agentKey.privatePath);
	// Only the agent's key is authorised now; the home's own key would be refused.
	await sshd.authorize([agentKey.publicKey]);
	const withAgent = await runCli(args('--accept-new', '--', 'echo', 'via-agent'), {...home.env, SSH_AUTH_SOCK: agent.socket});
	t.is(withAgent.code, 0);
	t.is(withAgent.stdout, 'via-agent\n');

	unlinkSync(home.key.privatePath);
	unlinkSync(`${home.key.privatePath}.pub`);
	const nothing = await runCli(args('--', 'true'), home.env);
	t.is(nothing.code, 1);
	t.regex(nothing.stderr, /no usable SSH key: no agent \(SSH_AUTH_SOCK\) and no readable ~\/\.ssh\/id_\* private key/);
});

test('a key the device does not accept is reported as refused, naming what was tried', async t => {
	const {home, args, sshd} = await world(t);
	await sshd.authorize([(await makeKeyPair(home.dir, 'someone-else')).publicKey]);
	const result = await runCli(args('--accept-new', '--', 'true'), home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, new RegExp(`key refused by 127\\.0\\.0\\.1:${sshd.port}: tried .*id_ed25519`));
});

test('an encrypted --identity key without a terminal is skipped with the reason', async t => {
	const {home, args, sshd} = await world(t);
	const locked = await makeKeyPair(home.dir, 'locked', 'sesame');
	await sshd.authorize([locked.publicKey]);
	const result = await runCli(args('--accept-new', '--identity', locked.privatePath, '--', 'true'), home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, /locked is encrypted and there is no terminal to ask for its passphrase/);
});

test('--upload sends FILE.tar over SFTP with ${GOARCH} replaced before the command runs', async t => {
	const {home, args, sshd} = await world(t);
	const source = await mkdtemp(path.join(os.tmpdir(), 'krazy-tar-'));
	t.teardown(() => rm(source, {recursive: true, force: true}));
	writeFileSync(path.join(source, 'dbgtool'), '#!/bin/sh\necho dbg\n', {mode: 0o755});
	const tarball = path.join(home.dir, 'tools-amd64.tar');
	await run('tar', ['-C', source, '-cf', tarball, 'dbgtool']);
	const result = await runCli(args('--accept-new', '--upload', path.join(home.dir, 'tools-${GOARCH}.tar'), '--', `tar -tf ${sshd.sftpRoot}/tools-amd64.tar`), home.env);
	t.is(result.code, 0, result.stderr);
	t.is(result.stdout, 'dbgtool\n');
	t.deepEqual(readFileSync(path.join(sshd.sftpRoot, 'tools-amd64.tar')), readFileSync(tarball));
	t.regex(result.stderr, /uploading .*tools-amd64\.tar/);

	const missing = await runCli(args('--upload', path.join(home.dir, 'nope-${GOARCH}.tar'), '--', 'true'), home.env);
	t.is(missing.code, 1);
	t.regex(missing.stderr, /cannot upload .*nope-amd64\.tar: no such file/);
});

test('breakglass missing from the image: says how to add it', async t => {
	const home = await makeHome();
	const device = await startDeviceStub({initially: 'stopped', hasBreakglass: false});
	t.teardown(async () => {
		await device.close();
		await home.remove();
	});
	const result = await runCli(['shell', device.url, '--', 'true'], home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, /breakglass is not in the image of 127\.0\.0\.1:\d+: add it with `gok add github\.com\/gokrazy\/breakglass` \(and `gok add github\.com\/gokrazy\/serial-busybox` for a shell\)/);
});

test('stopped breakglass is started through the restart flow, waited for, and --stop-after stops it again', async t => {
	const home = await makeHome();
	const port = await freePort();
	let sshd: Sshd | undefined;
	const device = await startDeviceStub({
		initially: 'stopped',
		// Like the init: the POST answers at once, the program comes up a moment later.
		async onStart() {
			setTimeout(() => {
				void startSshd({authorizedKeys: [home.key.publicKey], port}).then(started => {
					sshd = started;
				});
			}, 300);
		},
		async onStop() {
			await sshd?.stop();
			sshd = undefined;
		},
	});
	t.teardown(async () => {
		await device.close();
		await sshd?.stop();
		await home.remove();
	});
	// A generous HTTP timeout: stopping waits for sshd to end, which a loaded machine can make slow.
	const result = await runCli(['shell', device.url, '--timeout', '30', '--ssh-port', String(port), '--user', 'root', '--accept-new', '--stop-after', '--', 'echo', 'up'], home.env);
	t.is(result.code, 0, result.stderr);
	t.is(result.stdout, 'up\n');
	t.regex(result.stderr, /breakglass is stopped, starting it/);
	t.regex(result.stderr, new RegExp(`waiting for breakglass on 127\\.0\\.0\\.1:${port}`));
	t.regex(result.stderr, /stopping breakglass/);
	t.deepEqual(device.calls.filter(call => call !== 'status'), ['restart', 'stop'], result.stderr);
	t.is(device.state(), 'stopped');
	t.is(sshd, undefined);
});

test('a port that never opens: a clear message after a few seconds', async t => {
	const home = await makeHome();
	const port = await freePort();
	const device = await startDeviceStub({initially: 'stopped'});
	t.teardown(async () => {
		await device.close();
		await home.remove();
	});
	const result = await runCli(['shell', device.url, '--ssh-port', String(port), '--', 'true'], home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, new RegExp(`breakglass was started but nothing accepted connections on 127\\.0\\.0\\.1:${port} within 5 s`));
	t.deepEqual(device.calls.filter(call => call !== 'status'), ['restart']);
});

test('breakglass running but nothing on the SSH port: connection refused, named', async t => {
	const home = await makeHome();
	const port = await freePort();
	const device = await startDeviceStub({initially: 'started'});
	t.teardown(async () => {
		await device.close();
		await home.remove();
	});
	const result = await runCli(['shell', device.url, '--ssh-port', String(port), '--', 'true'], home.env);
	t.is(result.code, 1);
	t.regex(result.stderr, new RegExp(`^127\\.0\\.0\\.1:\\d+: nothing accepts SSH connections on 127\\.0\\.0\\.1:${port} \\(does breakglass listen on another port\\? see --ssh-port\\)$`, 'm'));
	t.deepEqual(device.calls, ['status']);
});

test('the connection dropping mid-command (device rebooting) is a clear failure', async t => {
	const {home, args, sshd} = await world(t);
	let started: () => void;
	const commandRuns = new Promise<void>(resolve => {
		started = resolve;
	});
	const running = runCli(args('--accept-new', '--', 'echo started; sleep 30'), home.env, undefined, soFar => {
		if (soFar.includes('started')) {
			started();
		}
	});
	// Once the command runs, take the server and its sessions away.
	await commandRuns;
	await sshd.kill({connections: true});
	const result = await running;
	t.is(result.code, 1);
	t.regex(result.stderr, /the connection was lost \(did the device reboot or drop off the network\?\)/);
});

test('usage errors exit 2; forgetting a host that is not remembered exits 1', async t => {
	const home = await makeHome();
	t.teardown(() => home.remove());
	const nothing = await runCli(['shell', '--forget-host', '[127.0.0.1]:2222'], home.env);
	t.is(nothing.code, 1);
	t.regex(nothing.stderr, /^\[127\.0\.0\.1\]:2222: no remembered host key in .*known_hosts$/m);
	t.is((await runCli(['shell'], home.env)).code, 2);
	const badPort = await runCli(['shell', 'http://127.0.0.1:1', '--ssh-port', 'x'], home.env);
	t.is(badPort.code, 2);
	t.regex(badPort.stderr, /--ssh-port wants a port number/);
	for (const wait of ['0', '-1', 'soon', '']) {
		const badWait = await runCli(['shell', 'http://127.0.0.1:1', `--start-wait=${wait}`], home.env);
		t.is(badWait.code, 2, wait);
		t.regex(badWait.stderr, /^krazy-tui: shell: --start-wait wants a number of seconds, not ".*"$/m);
	}

	const badEnv = await runCli(['shell', 'http://127.0.0.1:1'], {...home.env, KRAZY_TUI_BREAKGLASS_WAIT: 'soon'});
	t.is(badEnv.code, 2);
	t.regex(badEnv.stderr, /^krazy-tui: shell: KRAZY_TUI_BREAKGLASS_WAIT wants a number of seconds, not "soon"$/m);
});
