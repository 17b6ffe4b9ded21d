// node-pty stays optional: the build compiles where it is not installed, and the demo's breakglass makes terminals with script(1) then.
import {execFile} from 'node:child_process';
import {copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import ssh2 from 'ssh2';
import type {ClientChannel} from 'ssh2';
import {makeKeyPair} from '../helpers/sshd.js';
import {startDemoBreakglass} from './demo-server.js';
import {repoRoot} from '../core/breakglass/harness.js';

const banner = {hostname: 'casa', model: 'unknown model', build: '2026-11-20T09:14:03+01:00'};

test('the build type-checks with node-pty not installed (a node_modules without it)', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-no-pty-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	// Every package but node-pty, linked; --preserveSymlinks keeps TypeScript resolving from here, not from the checkout.
	mkdirSync(path.join(dir, 'node_modules'));
	for (const name of readdirSync(path.join(repoRoot, 'node_modules'))) {
		if (name !== 'node-pty') {
			symlinkSync(path.join(repoRoot, 'node_modules', name), path.join(dir, 'node_modules', name));
		}
	}

	symlinkSync(path.join(repoRoot, 'source'), path.join(dir, 'source'));
	for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) {
		copyFileSync(path.join(repoRoot, file), path.join(dir, file));
	}

	const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
	const result = await new Promise<{code: number; output: string}>(resolve => {
		execFile(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noEmit', '--preserveSymlinks'], {cwd: dir}, (error, stdout, stderr) => {
			resolve({code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr});
		});
	});
	t.is(result.code, 0, result.output);
	t.false(result.output.includes('node-pty'));
});

/** Collects a channel's output and waits for a pattern in it. */
function reader(channel: ClientChannel) {
	let text = '';
	channel.on('data', (data: Buffer) => {
		text += data.toString();
	});
	return {
		text: () => text,
		async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const match = pattern.exec(text);
				if (match) {
					return match;
				}

				if (Date.now() > deadline) {
					throw new Error(`never saw ${pattern} in ${JSON.stringify(text)}`);
				}

				await new Promise(resolve => setTimeout(resolve, 25));
			}
		},
	};
}

test('without node-pty the demo breakglass runs PTY sessions through script(1): a real terminal with its size and resizes, said once in its log', async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-no-pty-'));
	const key = await makeKeyPair(dir, 'id_ed25519');
	const authorizedKeysPath = path.join(dir, 'breakglass.authorized_keys');
	writeFileSync(authorizedKeysPath, `${key.publicKey}\n`);
	const server = await startDemoBreakglass(
		{host: '127.0.0.1', port: 0, hostKeyPath: path.join(dir, 'host_key'), authorizedKeysPath, banner},
		{KRAZY_NO_NODE_PTY: '1'},
	);
	t.teardown(async () => {
		await server.stop();
		await rm(dir, {recursive: true, force: true});
	});

	const client = new ssh2.Client();
	await new Promise<void>((resolve, reject) => {
		client.once('ready', resolve).once('error', reject);
		client.connect({host: '127.0.0.1', port: server.port, username: 'someuser', privateKey: readFileSync(key.privatePath), readyTimeout: 20_000});
	});
	t.teardown(() => client.end());
	const openShell = () =>
		new Promise<ClientChannel>((resolve, reject) => {
			client.shell({term: 'xterm', cols: 100, rows: 30}, (error, channel) => (error ? reject(error) : resolve(channel)));
		});

	const first = await openShell();
	const output = reader(first);
	first.write('tty; stty size; echo TERM=$TERM\n');
	await output.waitFor(/\/dev\/pts\/\d+\r\n30 100\r\nTERM=xterm\r\n/);
	first.setWindow(40, 120, 0, 0);
	// The resize reaches the terminal asynchronously: ask until it shows.
	const deadline = Date.now() + 20_000;
	while (!/40 120\r\n/.test(output.text()) && Date.now() < deadline) {
		first.write('stty size\n');
		await new Promise(resolve => setTimeout(resolve, 200));
	}

	t.regex(output.text(), /40 120\r\n/);
	first.end();

	const second = await openShell();
	const again = reader(second);
	second.write('echo second-$((6*7))\n');
	await again.waitFor(/second-42/);
	second.end();

	await server.waitForLog(/node-pty is not available; PTY sessions run through script\(1\)/);
	t.is(server.stderr().match(/node-pty is not available/g)?.length, 1);
});
