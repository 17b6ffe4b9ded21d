// The dashboard and the wall in tmux against devices that answer badly on purpose: nothing raw on screen, errors where one looks, clean exits.
// Runs the built CLI (`npm test` builds first; alone: `npm run build && npx ava test/e2e/hostile-screens.test.ts`).
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import {startHostileDevice, type HostileBehaviour, type HostileDevice} from '../helpers/hostile-device.js';
import {TmuxSession} from '../helpers/tmux.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** What a screen must never show: bidi controls, C1 controls, the OSC title's text. */
const rawOnScreen = /[\u0080-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/;
const stackTrace = /\n\s+at |node:internal|Error: /;

async function hostile(t: ExecutionContext, behaviour: HostileBehaviour): Promise<HostileDevice> {
	const device = await startHostileDevice(behaviour);
	t.teardown(async () => device.close());
	return device;
}

async function screenOf(t: ExecutionContext, args: string[], size = {columns: 120, rows: 32}): Promise<TmuxSession> {
	const configDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-hostile-screen-'));
	const session = await TmuxSession.start({command: ['node', 'dist/cli.js', ...args], cwd: root, ...size, env: {KRAZY_TUI_CONFIG_DIR: configDir}});
	t.teardown(async () => {
		await session.kill();
		rmSync(configDir, {recursive: true, force: true});
	});
	return session;
}

/** The pane's title: an OSC 0 from the device would have changed it. */
async function paneTitle(session: TmuxSession): Promise<string> {
	return (await session.tmux('display-message', '-p', '-t', session.target, '#{pane_title}')).trim();
}

/** Focus the service list, filter to spew, open its log. */
async function openSpewLog(session: TmuxSession): Promise<void> {
	await session.sendKeys('Enter');
	await session.type('/spew');
	await session.sendKeys('Enter');
	await session.waitForText(text => text.includes('filter "spew"'));
	await session.sendKeys('Enter');
}

test.serial('dashboard: names with escapes, OSC title and clipboard writes, bidi and C1 controls show as plain text', async t => {
	const device = await hostile(t, 'escape-strings');
	const session = await screenOf(t, [device.url]);
	const titleBefore = await paneTitle(session);
	const screen = await session.waitForText(text => text.includes('● online') && text.includes('/user/spew'), 30_000);
	t.false(rawOnScreen.test(screen), JSON.stringify(screen));
	t.false(screen.includes('pwned'), 'the OSC title text is gone with its sequence');
	t.regex(screen, /hostoverwritten gnp\.exe/);
	t.is(await paneTitle(session), titleBefore, 'the device did not set the terminal title');
	await session.type('q');
	t.is(await session.waitForExit(15_000), 0);
});

test.serial('dashboard: a /log 500 that never ends shows as the log view\'s error; leaving and quitting print no stack trace', async t => {
	const device = await hostile(t, 'log-500-endless');
	const session = await screenOf(t, [device.url]);
	await session.waitForText(text => text.includes('● online') && text.includes('/user/spew'), 30_000);
	await openSpewLog(session);
	const screen = await session.waitForText(text => /Logs · .*\/user\/spew/.test(text) && /ended: .*HTTP 500 from \/log: internal error/.test(text), 20_000);
	t.false(rawOnScreen.test(screen), JSON.stringify(screen));
	t.false(/\bconnected\b/.test(screen.split('\n').find(line => line.includes('ended:')) ?? ''), 'it does not say "connected"');
	await session.sendKeys('Escape');
	const after = await session.waitForText(text => !text.includes('Logs ·') && text.includes('/user/spew'));
	t.false(stackTrace.test(after));
	await session.sendKeys('C-c');
	t.is(await session.waitForExit(15_000), 0);
	t.false(stackTrace.test(await session.capture()));
});

test.serial('dashboard: 512 KiB lines and a line that never ends: the log view keeps up and keys still work', async t => {
	for (const behaviour of ['long-lines', 'endless-line'] as const) {
		const device = await hostile(t, behaviour);
		const session = await screenOf(t, [device.url]);
		await session.waitForText(text => text.includes('● online') && text.includes('/user/spew'), 30_000);
		await openSpewLog(session);
		await session.waitForText(text => /Logs · .*\/user\/spew/.test(text), 20_000);
		if (behaviour === 'long-lines') {
			await session.waitForText(text => /out│0000\d{4}x+/.test(text), 20_000);
		}

		// A key still changes the frame: F pauses following.
		await session.type('F');
		await session.waitForText(text => text.includes('paused'), 15_000);
		// Ctrl-C in the log view leaves the dashboard cleanly, while the device keeps sending.
		await session.sendKeys('C-c');
		t.is(await session.waitForExit(15_000), 0, behaviour);
		t.false(stackTrace.test(await session.capture()), behaviour);
	}
});

test.serial('wall: escape-laden names, hostile error bodies and a 1.2 MB quadratic page: tiles show them plainly; q quits', async t => {
	const strings = await hostile(t, 'escape-strings');
	const errors = await hostile(t, 'escape-error');
	const quadratic = await hostile(t, 'quadratic-html');
	const session = await screenOf(t, ['wall', strings.url, errors.url, quadratic.url, '--poll-interval', '1'], {columns: 160, rows: 48});
	const titleBefore = await paneTitle(session);
	const screen = await session.waitForText(text => text.includes('hostoverwritten') && /✗ /.test(text) && text.includes('3 devices'), 40_000);
	t.false(rawOnScreen.test(screen), JSON.stringify(screen));
	t.false(screen.includes('pwned'));
	t.is(await paneTitle(session), titleBefore);
	await session.type('q');
	t.is(await session.waitForExit(15_000), 0);
	t.false(stackTrace.test(await session.capture()));
});
