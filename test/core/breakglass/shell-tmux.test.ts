// The interactive shell in a real terminal (tmux) against OpenSSH's sshd: prompts, typing, resize, Ctrl-C, and the terminal restored.
import test, {type ExecutionContext} from 'ava';
import {makeKeyPair, startSshd} from '../../helpers/sshd.js';
import {startDeviceStub} from './device-stub.js';
import {cliArgv, makeHome, type Home} from './harness.js';
import {startTmux} from './tmux.js';

const cli = `${process.execPath} ${cliArgv.join(' ')}`;

async function setup(t: ExecutionContext, options: {passphrase?: string} = {}) {
	const home: Home = await makeHome({passphrase: options.passphrase});
	const sshd = await startSshd({authorizedKeys: [home.key.publicKey]});
	const device = await startDeviceStub({initially: 'started'});
	t.teardown(async () => {
		if (!t.passed) {
			// What the server saw, with times: tells a slow login from a lost keystroke.
			console.error(`sshd log of "${t.title}":\n${sshd.log()}`);
		}

		await device.close();
		await sshd.stop();
		await home.remove();
	});
	const command = (...extra: string[]) => `${cli} shell ${device.url} --ssh-port ${sshd.port} --user root ${extra.join(' ')}`;
	return {home, sshd, device, command};
}

/** The flags of `stty -a` the script printed after krazy-tui exited. */
function sttyFlags(screen: string): string[] {
	const line = screen.split('\n').find(text => text.includes('speed')) ?? '';
	return line.split(/[\s;]+/);
}

test('first use asks about the host key; typing, stty size before and after a resize, Ctrl-C to the remote side, exit restores the terminal', async t => {
	const {home, command, sshd} = await setup(t);
	const tmux = await startTmux(home.dir, command(), home.env);
	t.teardown(() => tmux.stop());
	const question = await tmux.waitFor(/Remember this key and connect \(yes\/no\)\? $/m);
	t.regex(question, new RegExp(`The authenticity of 127\\.0\\.0\\.1:\\d+ \\(\\[127\\.0\\.0\\.1\\]:${sshd.port}\\) can't be established\\.`));
	t.regex(question, /ED25519 key fingerprint is SHA256:\S+\./);
	await tmux.type('yes');
	await tmux.send('Enter');
	await tmux.waitFor(/remembered host key SHA256:/);

	await tmux.untilAnswered('echo MARK-$((6*7)); stty size', /^MARK-42\s*\n30 100\s*$/m);

	await tmux.resize(80, 20);
	await tmux.type('clear; stty size');
	await tmux.send('Enter');
	await tmux.waitFor(/^20 80\s*$/m);

	// Ctrl-C must reach the remote side (a remote trap sees SIGINT) instead of ending krazy-tui.
	await tmux.type('sh -c \'trap "echo GOT-INT" INT; echo TRAP-SET; sleep 30 & wait\'');
	await tmux.send('Enter');
	await tmux.waitFor(/^TRAP-SET\s*$/m);
	await tmux.send('C-c');
	await tmux.waitFor(/^(\^C)?GOT-INT\s*$/m, 10_000);

	// OpenSSH sends the shell's exit status even with a PTY: it becomes krazy-tui's.
	await tmux.type('exit 7');
	await tmux.send('Enter');
	const after = await tmux.waitFor(/STTY-DONE/);
	t.regex(after, /^EXIT=7\s*$/m);
	const flags = sttyFlags(after);
	t.true(flags.includes('icanon') && flags.includes('echo') && flags.includes('isig'), after);
	t.is(await tmux.display('#{cursor_flag}'), '1');
});

test('an encrypted key asks for its passphrase without echoing it', async t => {
	const {home, command} = await setup(t, {passphrase: 'sesame'});
	const tmux = await startTmux(home.dir, command('--accept-new'), home.env);
	t.teardown(() => tmux.stop());
	await tmux.waitFor(/Enter passphrase for key '.*id_ed25519': $/m);
	await tmux.type('sesame');
	await tmux.send('Enter');
	const screen = await tmux.untilAnswered('echo IN-$((1+1))', /^IN-2\s*$/m);
	t.false(screen.includes('sesame'));
	await tmux.type('exit');
	await tmux.send('Enter');
	t.regex(await tmux.waitFor(/STTY-DONE/), /^EXIT=0\s*$/m);
});

test('a dropped connection mid-session: a clear message, exit 1, and the terminal restored (raw mode off, cursor shown, main screen)', async t => {
	const {home, command, sshd} = await setup(t);
	const tmux = await startTmux(home.dir, command('--accept-new'), home.env);
	t.teardown(() => tmux.stop());
	await tmux.untilAnswered('echo READY-$((2*3))', /^READY-6\s*$/m);
	// A remote full-screen program: cursor hidden, alternate screen on, then the device vanishes.
	await tmux.type('printf \'\\033[?25l\\033[?1049h\\033[?2004h\'; echo HIDDEN-CURSOR');
	await tmux.send('Enter');
	await tmux.waitFor(/HIDDEN-CURSOR/);
	t.is(await tmux.display('#{cursor_flag}'), '0');
	t.is(await tmux.display('#{alternate_on}'), '1');
	await sshd.kill({connections: true});
	const after = await tmux.waitFor(/STTY-DONE/);
	t.regex(after, /the connection was lost \(did the device reboot or drop off the network\?\)/);
	t.regex(after, /^EXIT=1\s*$/m);
	const flags = sttyFlags(after);
	t.true(flags.includes('icanon') && flags.includes('echo'), after);
	t.is(await tmux.display('#{cursor_flag}'), '1');
	t.is(await tmux.display('#{alternate_on}'), '0');
});

test('answering no to the host key question refuses and remembers nothing', async t => {
	const {home, command} = await setup(t);
	const tmux = await startTmux(home.dir, command('--', 'echo', 'must-not-run'), home.env);
	t.teardown(() => tmux.stop());
	await tmux.waitFor(/\(yes\/no\)\? $/m);
	await tmux.type('no');
	await tmux.send('Enter');
	const after = await tmux.waitFor(/STTY-DONE/);
	t.regex(after, /host key SHA256:\S+ of \[127\.0\.0\.1\]:\d+ not accepted/);
	t.regex(after, /^EXIT=1\s*$/m);
	t.false(after.includes('must-not-run\n'));
});

test('a key refused by the device: exit 1 with the message and the terminal as it was', async t => {
	const {home, command, sshd} = await setup(t);
	await sshd.authorize([(await makeKeyPair(home.dir, 'someone-else')).publicKey]);
	const tmux = await startTmux(home.dir, command('--accept-new'), home.env);
	t.teardown(() => tmux.stop());
	const after = await tmux.waitFor(/STTY-DONE/);
	t.regex(after, /key refused by 127\.0\.0\.1:\d+/);
	t.regex(after, /^EXIT=1\s*$/m);
	t.true(sttyFlags(after).includes('icanon'));
	t.is(await tmux.display('#{cursor_flag}'), '1');
});
