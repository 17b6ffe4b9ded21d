// The demo device's breakglass against OpenSSH's own clients: version string, host key, auth, exec, PTY, banner, SFTP with .tar unpacking.
import {spawn} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {breakglassBanner} from '../../source/demo/breakglass-server.js';
import {makeKeyPair} from '../helpers/sshd.js';
import {startDemoBreakglass, type DemoBreakglass} from './demo-server.js';
import {run} from '../core/breakglass/harness.js';

const banner = {hostname: 'casa', model: 'unknown model', build: '2026-11-20T09:14:03+01:00'};

type Setup = {dir: string; key: {privatePath: string; publicKey: string}; server: DemoBreakglass; hostKeyPath: string; authorizedKeysPath: string; ssh: (...args: string[]) => string[]};

async function setup(t: ExecutionContext): Promise<Setup> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-demo-bg-'));
	// Removed even when the server fails to start.
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	const key = await makeKeyPair(dir, 'id_ed25519');
	const authorizedKeysPath = path.join(dir, 'breakglass.authorized_keys');
	writeFileSync(authorizedKeysPath, `${key.publicKey}\n`);
	const hostKeyPath = path.join(dir, 'perm', 'breakglass.host_key');
	const server = await startDemoBreakglass({host: '127.0.0.1', port: 0, hostKeyPath, authorizedKeysPath, banner});
	t.teardown(async () => {
		await server.stop();
		await rm(dir, {recursive: true, force: true});
	});
	const ssh = (...args: string[]) => [
		'-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new',
		'-o', 'LogLevel=ERROR', '-o', 'IdentitiesOnly=yes', '-i', key.privatePath, '-p', String(server.port), 'someuser@127.0.0.1', ...args,
	];
	return {dir, key, server, hostKeyPath, authorizedKeysPath, ssh};
}

/** Runs a command with a shell line as stdin producer, collecting both streams and the exit code. */
function sh(line: string, env: NodeJS.ProcessEnv = process.env): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		const child = spawn('bash', ['-c', line], {env, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (data: Buffer) => {
			stdout += data.toString();
		});
		child.stderr.on('data', (data: Buffer) => {
			stderr += data.toString();
		});
		child.on('close', code => resolve({code, stdout, stderr}));
	});
}

const quote = (args: string[]) => args.map(arg => `'${arg.replaceAll('\'', '\'\\\'\'')}'`).join(' ');

test('announces itself like breakglass: SSH-2.0-Go, listening and fingerprint lines, one persistent ed25519 host key', async t => {
	const {server, hostKeyPath, authorizedKeysPath} = await setup(t);
	t.regex(server.stdout(), /^listening on 127\.0\.0\.1:\d+\nhost key fingerprint: SHA256:[\w+/]{43}\n$/);
	t.regex(server.stderr(), /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d breakglass\.go:203: host key not found, creating initial host key$/m);
	t.regex(readFileSync(hostKeyPath, 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
	const fingerprint = /host key fingerprint: (\S+)/.exec(server.stdout())![1];
	const keygen = await run('ssh-keygen', ['-l', '-f', hostKeyPath]);
	t.true(keygen.stdout.includes(fingerprint));
	t.regex(keygen.stdout, /\(ED25519\)/);

	const ident = await new Promise<string>(resolve => {
		const socket = net.connect({host: '127.0.0.1', port: server.port});
		socket.once('data', data => {
			resolve(data.toString('latin1'));
			socket.destroy();
		});
	});
	t.is(ident, 'SSH-2.0-Go\r\n');

	// A second start keeps the key.
	const again = await startDemoBreakglass({host: '127.0.0.1', port: 0, hostKeyPath, authorizedKeysPath, banner});
	t.teardown(() => again.stop());
	t.true(again.stdout().includes(`host key fingerprint: ${fingerprint}`));
	t.false(again.stderr().includes('creating initial host key'));
});

test('exec: sh -c with HOME and the fresh working dir first on PATH, stdout and stderr apart, exit status sent, logged like breakglass', async t => {
	const {server, ssh} = await setup(t);
	const result = await sh(`ssh ${quote(ssh('echo out; echo err >&2; echo PATH=$PATH; echo HOME=$HOME; echo pwd=$(pwd); exit 3'))}`);
	t.is(result.code, 3);
	t.regex(result.stdout, /^out\n/);
	const cwd = /^pwd=(.+)$/m.exec(result.stdout)![1];
	t.regex(cwd, /\/breakglass[^/]+$/);
	t.regex(result.stdout, new RegExp(`^PATH=${cwd}:/user:`, 'm'));
	t.regex(result.stdout, /^HOME=\//m);
	t.is(result.stderr, 'err\n');
	await server.waitForLog(/ssh\.go:410: err: exit status 3/);
	const log = await server.waitForLog(/ssh\.go:141: requests exhausted/);
	t.regex(log, /breakglass\.go:192: user "someuser" successfully authorized from remote addr 127\.0\.0\.1:\d+/);
	t.regex(log, /ssh\.go:372: Starting cmd \[".*" "-c" "echo out; echo err >&2;/);
	t.regex(log, /ssh\.go:141: requests exhausted/);
});

test('a PTY shell: banner on stderr with CRLF, a real terminal, no exit-status (OpenSSH reports 255)', async t => {
	const {ssh} = await setup(t);
	// stdin stays open after the commands: breakglass ends a PTY session at the client's EOF, output or not.
	const result = await sh(`(sleep 1; echo 'echo hi from pty; tty; echo TERM=$TERM; exit 7'; sleep 5) | ssh -tt ${quote(ssh())}`, {...process.env, TERM: 'xterm'});
	t.is(result.code, 255);
	t.true(result.stderr.includes(breakglassBanner(banner)));
	t.true(result.stderr.includes(' |_____|  host:  "casa"             |_____|\r\n'));
	t.regex(result.stdout, /hi from pty\r\n\/dev\/pts\/\d+\r\nTERM=xterm\r\n/);
});

test('exec with a PTY: output while stdin stays open, and no exit-status', async t => {
	const {ssh} = await setup(t);
	// stdin open for longer than a loaded machine needs to start the command; bash does not wait for a <(…) to end.
	const result = await sh(`ssh -tt ${quote(ssh('echo in-pty; exit 5'))} < <(sleep 60 2>/dev/null)`);
	t.is(result.code, 255);
	t.regex(result.stdout, /in-pty/);
});

test('a shell without a PTY: banner, commands from stdin, and the exit status sent', async t => {
	const {ssh} = await setup(t);
	const result = await sh(`printf 'echo x; exit 4\\n' | ssh -T ${quote(ssh())}`);
	t.is(result.code, 4);
	t.is(result.stdout, 'x\n');
	t.regex(result.stderr, /host: {2}"casa"/);
});

test('public keys only, from authorized_keys read again for each connection', async t => {
	const {dir, ssh, key, authorizedKeysPath} = await setup(t);
	const stranger = await makeKeyPair(dir, 'stranger');
	const strangerArgs = ssh('true').map(arg => (arg === key.privatePath ? stranger.privatePath : arg));
	const refused = await sh(`ssh ${quote(strangerArgs)}`);
	t.is(refused.code, 255);
	t.regex(refused.stderr, /Permission denied \(publickey\)/);
	writeFileSync(authorizedKeysPath, `${key.publicKey}\n# a comment\n${stranger.publicKey}\n`);
	const accepted = await sh(`ssh ${quote(strangerArgs.slice(0, -1))} 'echo welcome'`);
	t.is(accepted.code, 0, accepted.stderr);
	t.is(accepted.stdout, 'welcome\n');
});

test('SFTP: pwd, put of a .tar, ls, get; the tar is unpacked onto $PATH when the session ends', async t => {
	const {dir, ssh} = await setup(t);
	const source = path.join(dir, 'src');
	mkdirSync(source);
	writeFileSync(path.join(source, 'dbgtool'), '#!/bin/sh\necho hello from dbgtool\n', {mode: 0o755});
	const tarball = path.join(dir, 'dbg-amd64.tar');
	await run('tar', ['-C', source, '-cf', tarball, 'dbgtool']);
	const sftpArgs = ssh().slice(0, -1).map(arg => (arg === '-p' ? '-P' : arg));
	const back = path.join(dir, 'back.tar');
	const batch = `pwd\nput ${tarball}\nls -l\nget dbg-amd64.tar ${back}\n`;
	const result = await sh(`printf '${batch.replaceAll('\n', '\\n')}' | sftp -b - ${quote(sftpArgs)} someuser@127.0.0.1`);
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /Remote working directory: \/.*\/breakglass\w+/);
	t.regex(result.stdout, /-rw.* dbg-amd64\.tar/);
	t.notRegex(result.stdout, /dbgtool/, 'unpacked at the end of the session, not at the close of the file');
	t.deepEqual(readFileSync(back), readFileSync(tarball));
	const tool = await sh(`ssh ${quote(ssh('dbgtool; ls -l'))}`);
	t.regex(tool.stdout, /^hello from dbgtool\n/);
	t.regex(tool.stdout, /-rwx.* dbgtool/);
});
