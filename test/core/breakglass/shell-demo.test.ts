// `krazy-tui shell` against the embedded demo device: breakglass stopped after boot, started by the restart flow, then used.
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import test from 'ava';
import {goArch} from '../../../source/demo/go-format.js';
import type {ExecutionContext} from 'ava';
import {startDemoDevice} from '../../../source/demo/demo-device.js';
import {cliArgv, makeHome, run, runCli} from './harness.js';
import {startTmux} from './tmux.js';

async function breakglassDemo(t: ExecutionContext) {
	const home = await makeHome();
	t.teardown(() => home.remove());
	const keys = path.join(home.dir, 'breakglass.authorized_keys');
	writeFileSync(keys, `${home.key.publicKey}\n`);
	const device = await startDemoDevice({authorizedKeysPath: keys, hostname: 'casa'});
	t.teardown(() => device.stop());
	// The test's own budget for the demo's breakglass to listen (a loaded 2-core machine can take more than the 5 s default).
	const args = (...extra: string[]) => ['shell', device.url, '--ssh-port', String(device.ssh.port), '--start-wait', '60', ...extra];
	const breakglass = () => device.services().find(service => service.path === '/user/breakglass');
	return {home, device, args, breakglass};
}

test('starts the stopped breakglass, uploads a ${GOARCH} tarball that lands on $PATH, runs the command, stops it again', async t => {
	const {home, args, breakglass} = await breakglassDemo(t);
	// As on a real device, breakglass exits 125 on its first start and stays stopped.
	const deadline = Date.now() + 10_000;
	while (!breakglass()?.stopped && Date.now() < deadline) {
		await new Promise(resolve => setTimeout(resolve, 50));
	}

	t.true(breakglass()?.stopped);
	const source = path.join(home.dir, 'tools');
	mkdirSync(source);
	writeFileSync(path.join(source, 'dbgtool'), '#!/bin/sh\necho "dbgtool on $(basename "$PWD") args:$*"\n', {mode: 0o755});
	await run('tar', ['-C', source, '-cf', path.join(home.dir, `tools-${goArch()}.tar`), 'dbgtool']);
	const result = await runCli(
		args('--accept-new', '--stop-after', '--upload', path.join(home.dir, 'tools-${GOARCH}.tar'), '--', 'dbgtool one two; echo err >&2; exit 4'),
		home.env,
	);
	t.is(result.code, 4, result.stderr);
	t.regex(result.stdout, /^dbgtool on breakglass\w+ args:one two\n$/);
	t.regex(result.stderr, /breakglass is stopped, starting it/);
	t.regex(result.stderr, /^err$/m);
	t.true(breakglass()?.stopped);
});

test('interactive in a terminal: banner, a real PTY with TERM and size, resize, and exit 0 without an exit-status', async t => {
	const {home, args} = await breakglassDemo(t);
	const cli = `${process.execPath} ${cliArgv.join(' ')}`;
	const tmux = await startTmux(home.dir, `${cli} ${args('--accept-new').join(' ')}`, home.env);
	t.teardown(() => tmux.stop());
	const screen = await tmux.waitFor(/host: {2}"casa" +\|_____\|/, 30_000);
	t.regex(screen, /model: Raspberry Pi 4 Model B Rev 1\.5 \(krazy-tui demo\)/);
	await tmux.waitFor(/breakglass\w+ # $/m);
	await tmux.type('echo TERM=$TERM; stty size; tty');
	await tmux.send('Enter');
	await tmux.waitFor(/^TERM=xterm-256color\s*\n30 100\s*\n\/dev\/pts\/\d+/m);
	await tmux.resize(90, 25);
	await tmux.type('clear; stty size');
	await tmux.send('Enter');
	await tmux.waitFor(/^25 90\s*$/m);
	await tmux.type('exit');
	await tmux.send('Enter');
	const after = await tmux.waitFor(/STTY-DONE/);
	t.regex(after, /^EXIT=0\s*$/m);
	t.true(after.includes(' icanon ') && after.includes(' echo '));
	t.is(await tmux.display('#{cursor_flag}'), '1');
});
