// A quick command's exit status must not be lost when the server sends it in the same burst as the channel's opening.
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import test, {type ExecutionContext} from 'ava';
import ssh2 from 'ssh2';
import {KnownHosts} from '../../../source/core/breakglass/known-hosts.js';
import {SshSession, waitForChannelEnd} from '../../../source/core/breakglass/ssh-session.js';
import {ed25519KeyPair} from '../../../source/core/breakglass/key-pair.js';

type Reply = {status?: number; signal?: string};

/**
 * An SSH server that answers exec and shell by accepting, writing output, sending the exit status (or signal), EOF and
 * close in one go: the client gets CHANNEL_SUCCESS and all of that in one TCP chunk, as from a device that ran the
 * command before the client's next read (the fresh install's demo breakglass did, with ssh2's JS crypto).
 */
async function burstServer(t: ExecutionContext, reply: Reply) {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-exit-race-'));
	const hostKey = ed25519KeyPair('test key');
	const clientKey = ed25519KeyPair('test key');
	const identity = path.join(dir, 'id_ed25519');
	await writeFile(identity, clientKey.private, {mode: 0o600});
	const server = new ssh2.Server({hostKeys: [hostKey.private]}, client => {
		client.on('authentication', context => context.accept());
		client.on('ready', () => {
			client.on('session', accept => {
				const session = accept();
				const answer = (acceptChannel: () => ssh2.ServerChannel) => {
					const channel = acceptChannel();
					channel.write('out\n');
					if (reply.signal === undefined) {
						channel.exit(reply.status ?? 0);
					} else {
						channel.exit(reply.signal, false, '');
					}

					channel.end();
				};

				session.on('exec', accept => answer(accept));
				session.on('shell', accept => answer(accept));
			});
		});
		client.on('error', () => {});
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	// Between the two, a proxy that hands the client what the server sent in one write, once the server has been quiet
	// for 80 ms (longer than a delayed ACK, which holds the server's later small packets back under Nagle's algorithm):
	// CHANNEL_SUCCESS, the output, the exit status, EOF and close then surely arrive in one chunk.
	const sockets = new Set<net.Socket>();
	const proxy = net.createServer(downstream => {
		const upstream = net.connect((server.address() as {port: number}).port, '127.0.0.1');
		sockets.add(downstream).add(upstream);
		let held: Buffer[] = [];
		let timer: NodeJS.Timeout | undefined;
		upstream.on('data', (chunk: Buffer) => {
			held.push(chunk);
			clearTimeout(timer);
			timer = setTimeout(() => {
				downstream.write(Buffer.concat(held));
				held = [];
			}, 80);
		});
		downstream.pipe(upstream);
		for (const socket of [upstream, downstream]) {
			socket.on('error', () => {});
			socket.on('close', () => {
				upstream.destroy();
				downstream.destroy();
			});
		}
	});
	await new Promise<void>(resolve => {
		proxy.listen(0, '127.0.0.1', resolve);
	});
	const {port} = proxy.address() as {port: number};
	const session = await SshSession.connect({
		device: 'casa',
		host: '127.0.0.1',
		port,
		username: 'root',
		keys: {identityFiles: [identity]},
		hostKeys: {knownHosts: new KnownHosts(path.join(dir, 'known_hosts')), acceptNew: true},
		keepaliveIntervalMs: 60_000,
	});
	t.teardown(async () => {
		session.close();
		for (const socket of sockets) {
			socket.destroy();
		}

		await new Promise(resolve => {
			proxy.close(resolve);
		});
		await new Promise(resolve => {
			server.close(resolve);
		});
		await rm(dir, {recursive: true, force: true});
	});
	return session;
}

function sink() {
	const stream = new PassThrough();
	const chunks: Buffer[] = [];
	stream.on('data', (chunk: Buffer) => chunks.push(chunk));
	return {stream, text: () => Buffer.concat(chunks).toString('utf8')};
}

for (const status of [0, 3]) {
	test(`exec: the exit status ${status}, sent in the same burst as the output and the close, is the one returned (20 runs)`, async t => {
		const session = await burstServer(t, {status});
		for (let run = 0; run < 20; run++) {
			const out = sink();
			const code = await session.exec('true', {stdout: out.stream, stderr: sink().stream});
			t.is(code, status, `run ${run}`);
			t.is(out.text(), 'out\n');
		}
	});
}

test('exec: a command ended by a signal is 255, as ssh says', async t => {
	const session = await burstServer(t, {signal: 'TERM'});
	t.is(await session.exec('true', {stdout: sink().stream, stderr: sink().stream}), 255);
});

test('a shell without a PTY: its exit status and signal are collected although they came before the caller looked', async t => {
	const session = await burstServer(t, {status: 7});
	const channel = await session.openShell({pty: false});
	const out = sink();
	channel.pipe(out.stream);
	// The caller awaits something else first: everything has arrived by then.
	await new Promise(resolve => {
		setTimeout(resolve, 50);
	});
	const end = await waitForChannelEnd(channel, session);
	t.is(end.exitCode, 7);
	t.false(end.lost);
	t.is(out.text(), 'out\n');
});
