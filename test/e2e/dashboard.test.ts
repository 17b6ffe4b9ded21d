// The dashboard end to end in tmux against the demo device: navigate, act, read logs, lose and regain the device.
// Runs the built CLI (`npm test` builds first; alone: `npm run build && npx ava test/e2e/dashboard.test.ts`).
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {basicAuth} from '../helpers/demo-device.js';
import {TmuxSession} from '../helpers/tmux.js';
import {waitFor} from '../helpers/wait-for.js';
import {startNodeExporter} from '../helpers/node-exporter.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const configDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-e2e-'));
test.after.always(() => {
	rmSync(configDir, {recursive: true, force: true});
});
const cli = ['node', 'dist/cli.js'];
// The CLI has no flag for a node exporter on another port than 9100: a test-only entry runs the same dashboard with one.
const entryWithNodeExporter = ['node', '--import=tsx', 'test/helpers/dashboard-entry.ts'];

async function dashboard(args: string[], size = {columns: 100, rows: 30}, command = cli): Promise<TmuxSession> {
	// A throwaway config dir: no saved devices or settings of the machine's user leak into the test.
	return TmuxSession.start({command: [...command, ...args], cwd: root, ...size, env: {KRAZY_TUI_CONFIG_DIR: configDir}});
}

function rowOf(screen: string, path: string): string {
	return screen.split('\n').find(line => line.includes(` ${path} `)) ?? '';
}

function pidIn(row: string): number {
	const match = /(?:running|restarting|stopped)\s+(\d+)/.exec(row);
	return match ? Number(match[1]) : 0;
}

test.serial('navigate, restart and see the new pid, stop and start, follow and search logs, lose the device and get it back', async t => {
	let demo: DemoDevice = await startDemoDevice();
	const {port, password} = demo;
	const tmux = await dashboard(['--poll-interval', '0.5', demo.url]);
	t.teardown(async () => {
		await tmux.kill();
		await demo.stop();
	});

	let screen = await tmux.waitForText(text => text.includes('● online') && text.includes('/user/golink'), 30_000);
	t.regex(screen, /gokrazy-demo/);
	t.false(screen.includes(password), 'the password is never shown');

	// Focus the services and open chatty's logs: lines arrive while we look.
	await tmux.sendKeys('Enter');
	await tmux.type('/chatty');
	await tmux.sendKeys('Enter');
	await tmux.waitForText(text => text.includes('filter "chatty"') && !text.includes('/user/golink'));
	await tmux.sendKeys('Enter');
	// The device under its name (host:port of its URL), the hostname it reports beside it.
	screen = await tmux.waitForText(text => text.includes(`Logs · 127.0.0.1:${port} (gokrazy-demo) /user/chatty`) && /out│chatty: tick \d+/.test(text), 20_000);
	const ticks = (text: string) => [...text.matchAll(/chatty: tick (\d+)/g)].map(match => Number(match[1]));
	const lastTick = Math.max(...ticks(screen));
	await tmux.waitForText(text => Math.max(...ticks(text)) > lastTick, 10_000);
	await tmux.waitForText(text => /err│chatty: warning/.test(text), 10_000);

	// Search: highlighted matches, counted; the log keeps following until N goes to the newest match (and pauses).
	await tmux.type('/warning');
	await tmux.sendKeys('Enter');
	screen = await tmux.waitForText(text => /search "warning": [1-9]\d* match/.test(text) && text.includes('following'));
	await tmux.type('N');
	screen = await tmux.waitForText(text => /search "warning": [1-9]\d*\/[1-9]/.test(text) && text.includes('paused'));
	const coloured = await tmux.capture({escapes: true});
	t.regex(coloured, /\u001b\[[\d;]*7[\d;]*m(\u001b\[[\d;]*m)*warning/, 'matches are drawn in reverse video');
	await tmux.type('q');
	await tmux.waitForText(text => text.includes('Services ·') && !text.includes('Logs ·'));

	// Restart golink: "restarting…", then the new pid in its row.
	await tmux.sendKeys('Escape');
	await tmux.waitForText(text => text.includes('/user/golink'));
	await tmux.type('/golink');
	await tmux.sendKeys('Enter');
	screen = await tmux.waitForText(text => text.includes('filter "golink"') && !text.includes('/user/chatty'));
	const oldPid = pidIn(rowOf(screen, '/user/golink'));
	t.true(oldPid > 0);
	await tmux.type('r');
	await tmux.waitForText('Restart /user/golink on');
	await tmux.type('y');
	screen = await tmux.waitForText(text => /▶ running/.test(rowOf(text, '/user/golink')) && pidIn(rowOf(text, '/user/golink')) !== oldPid, 20_000);
	const newPid = pidIn(rowOf(screen, '/user/golink'));
	t.not(newPid, oldPid);
	t.regex(screen, new RegExp(`restarted: pid ${oldPid} → ${newPid}`));
	t.regex(rowOf(screen, '/user/golink'), /▶ running/);

	// Stop and start chatty.
	await tmux.sendKeys('Escape');
	await tmux.waitForText(text => text.includes('/user/chatty'));
	await tmux.type('/chatty');
	await tmux.sendKeys('Enter');
	await tmux.waitForText(text => text.includes('filter "chatty"'));
	await tmux.type('s');
	await tmux.waitForText('Stop /user/chatty on');
	await tmux.type('y');
	await tmux.waitForText(text => /\/user\/chatty\s+■ stopped/.test(text), 20_000);
	t.true(demo.services().find(service => service.path === '/user/chatty')?.stopped);
	await tmux.type('S');
	await tmux.waitForText('Start /user/chatty on');
	await tmux.type('y');
	screen = await tmux.waitForText(text => /started: pid \d+/.test(text), 20_000);
	const startedPid = Number(/started: pid (\d+)/.exec(screen)![1]);
	t.true(startedPid > 0);
	t.is(demo.services().find(service => service.path === '/user/chatty')?.pid, startedPid, 'the pid shown is the one the device started');

	// The device's server goes away: unreachable, with its last data; then it comes back.
	await demo.stop();
	screen = await tmux.waitForText(text => text.includes('✗ unreachable') && /last seen \d+ s ago/.test(text), 20_000);
	t.regex(screen, /last known data/);
	t.regex(screen, /retrying in \d+ s/);
	demo = await startDemoDevice({port, password});
	await tmux.waitForText(text => text.includes('● online') && !text.includes('unreachable'), 45_000);

	// q leaves the service list, q again quits; the terminal gets its screen back.
	await tmux.type('q');
	await tmux.type('q');
	t.is(await tmux.waitForExit(), 0);
	// tmux reads the pane's last bytes on its own time: under load it may not have when the exit status is in.
	const left = await tmux.waitForText(screen => !screen.includes('krazy-tui ·'), 5000).then(() => true, () => false);
	t.true(left, 'the alternate screen is left on quit');
});

test.serial('Esc never quits; the message log keeps what the message line showed; B asks for the name shown; q quits', async t => {
	const demo = await startDemoDevice();
	const tmux = await dashboard([demo.url], {columns: 80, rows: 24});
	t.teardown(async () => {
		await tmux.kill();
		await demo.stop();
	});
	const name = `127.0.0.1:${demo.port}`;
	let screen = await tmux.waitForText(text => text.includes('● online') && text.includes('/user/golink'), 30_000);
	t.regex(screen, new RegExp(`● online\\s+${name.replaceAll('.', '\\.')}\\s+gokrazy-demo`), 'the name, the hostname beside it');
	await tmux.sendKeys('Escape');
	await tmux.sendKeys('Escape');
	await tmux.type('B');
	screen = await tmux.waitForText(`type ${name}`);
	t.true(screen.includes(`To reboot ${name}, type ${name}`), 'still running after two Escapes, asking for the name shown');
	await tmux.sendKeys('Escape');
	screen = await tmux.waitForText('reboot cancelled');
	t.regex(screen.split('\n').filter(line => line.trim() !== '').at(-1)!, /\? help/, 'the key hints stay under the message');
	await tmux.type('m');
	screen = await tmux.waitForText('Messages · 1');
	t.regex(screen, /\d\d:\d\d:\d\d reboot cancelled/);
	await tmux.sendKeys('Escape');
	await tmux.waitForText(text => !text.includes('Messages ·'));
	await tmux.type('q');
	t.is(await tmux.waitForExit(), 0);
});

test.serial('node_exporter graphs: CPU, load and network from a real prometheus-node-exporter', async t => {
	const demo = await startDemoDevice();
	const exporter = await startNodeExporter();
	const tmux = await dashboard(['--poll', '500', '--node-exporter', exporter.url, demo.url], undefined, entryWithNodeExporter);
	t.teardown(async () => {
		await tmux.kill();
		await exporter.stop();
		await demo.stop();
	});
	// A graph's figures head its chart: on a terminal with rows to spare the chart's top row may still be empty.
	const screen = await tmux.waitForText(text => /cpu\s+(?:\S+\s+)?\d+ % of \d+ cpu · load \d/.test(text), 30_000);
	t.regex(screen, new RegExp(`from node_exporter :${exporter.port}`));
	t.regex(screen, /net\s+(?:\S+\s+)?rx .*\/s · tx .*\/s/);
	t.regex(screen, /mem\s+(?:\S+\s+)?[\d.]+ [KMG]iB of [\d.]+ GiB used \(\d+ %\)\s+from gokrazy \/ \(JSON\)/);
});

test.serial('resizing to 40×10 and back: never taller than the terminal, says what it cannot show', async t => {
	const demo = await startDemoDevice();
	const tmux = await dashboard([demo.url], {columns: 100, rows: 30});
	t.teardown(async () => {
		await tmux.kill();
		await demo.stop();
	});
	await tmux.waitForText(text => text.includes('● online') && text.includes('Graphs ·'), 30_000);
	await tmux.resize(40, 10);
	const small = await tmux.waitForText(text => text.includes('no room for'));
	t.true(small.split('\n').length <= 11);
	t.regex(small, /● online/);
	await tmux.resize(100, 30);
	const big = await tmux.waitForText(text => text.includes('Graphs ·') && !text.includes('no room for'));
	// One title line on screen: nothing of the small frame was left behind.
	t.is(big.split('\n').filter(line => line.startsWith('krazy-tui')).length, 1);
});

/** Follows /user/flood with a plain HTTP reader beside the dashboard: the newest line number the device has sent. */
function followFlood(t: ExecutionContext, demo: DemoDevice): () => number {
	let newest = 0;
	let partial = '';
	const request = http.get(new URL('/log?path=%2Fuser%2Fflood&stream=stdout', demo.baseUrl), {headers: {Authorization: basicAuth(demo.password), Accept: 'text/event-stream'}}, response => {
		response.setEncoding('utf8');
		response.on('data', (chunk: string) => {
			const text = partial + chunk;
			const end = text.lastIndexOf('\n');
			partial = text.slice(end + 1);
			for (const match of text.slice(0, end + 1).matchAll(/flood: line (\d+) /g)) {
				newest = Math.max(newest, Number(match[1]));
			}
		});
	});
	request.on('error', () => undefined);
	t.teardown(() => {
		request.destroy();
	});
	return () => newest;
}

/** The newest flood line number on the screen (0 when none shows). */
const newestOnScreen = (screen: string) => Math.max(0, ...[...screen.matchAll(/flood: line (\d+) /g)].map(match => Number(match[1])));

test.serial('a 20 000 lines/s flood: the log view keeps up and keys still work', async t => {
	const floodRate = 20_000;
	const demo = await startDemoDevice({extraServices: ['flood'], floodRate});
	const tmux = await dashboard([demo.url]);
	t.teardown(async () => {
		await tmux.kill();
		await demo.stop();
	});
	await tmux.waitForText(text => text.includes('/user/flood'), 30_000);
	await tmux.sendKeys('Enter');
	await tmux.type('/flood');
	await tmux.sendKeys('Enter', 'Enter');
	await tmux.waitForText(text => /Logs · \S+ \(gokrazy-demo\) \/user\/flood/.test(text) && text.includes('out│'), 20_000);
	const sent = followFlood(t, demo);
	// How far the view lags the stream, in lines: the newest line a plain reader got from the device against the newest
	// line on the screen, sampled once a second. A view that stopped following falls behind by 20 000 lines a second.
	// The budget is this test's own: 5 s of flood (about 0.2 s measured alone), room for a loaded 2-core machine.
	const lagBudgetLines = 5 * floodRate;
	await waitFor(() => sent() > 0 || undefined, {timeoutMs: 20_000, what: 'the plain reader to get flood lines'});
	const samples: Array<{shown: number; sent: number}> = [];
	for (let sample = 0; sample < 6; sample++) {
		await new Promise(resolve => setTimeout(resolve, 1000));
		const shown = newestOnScreen(await tmux.capture());
		samples.push({shown, sent: sent()});
	}

	const lags = samples.map(entry => entry.sent - entry.shown);
	t.log(`lag behind a plain reader, lines: ${lags.join(' ')} (budget ${lagBudgetLines})`);
	t.true(samples.every(entry => entry.shown > 0), 'flood lines are on the screen');
	t.true(lags.every(lag => lag <= lagBudgetLines), `lags ${lags.join(' ')} within ${lagBudgetLines} lines`);
	// Following: every sample shows newer lines than the one before.
	t.true(samples.every((entry, index) => index === 0 || entry.shown > samples[index - 1]!.shown), samples.map(entry => entry.shown).join(' '));
	await tmux.type('F');
	// Paused means frozen: twice the buffer's 10 000 lines later, the view shows the same lines and counts the new ones.
	const firstLogLine = (text: string) => text.split('\n').find(line => /^(out|err)│/.test(line));
	const paused = await tmux.waitForText(text => text.includes('paused') && firstLogLine(text) !== undefined);
	const later = await tmux.waitForText(text => Number(/paused[^\n]*?, (\d+) new/.exec(text)?.[1] ?? 0) > 20_000, 30_000);
	t.is(firstLogLine(later), firstLogLine(paused));
	t.false(later.includes('paused lines dropped'));
	await tmux.type('F');
	await tmux.waitForText('following');
	await tmux.type('?');
	await tmux.waitForText('Keys');
	await tmux.sendKeys('Escape');
	const back = await tmux.waitForText(text => text.includes('Logs ·') && !text.includes('Keys ·'));
	t.true(back.includes('following'));
});

test.serial('b opens a breakglass shell on the demo device and q after exit still works; f opens the flashing wizard and Esc comes back', async t => {
	// `krazy-tui demo` authorises a key it makes for the demo when the home folder has none.
	const home = mkdtempSync(path.join(os.tmpdir(), 'krazy-e2e-home-'));
	const ownConfig = path.join(home, 'config');
	// Through sh, to read the exit status as text.
	const tmux = await TmuxSession.start({command: ['sh', '-c', `${cli.join(' ')} demo; echo "krazy-exit=$?"; sleep 600`], cwd: root, columns: 100, rows: 30, env: {KRAZY_TUI_CONFIG_DIR: ownConfig, HOME: home, SSH_AUTH_SOCK: '', KRAZY_TUI_BREAKGLASS_WAIT: '60'}});
	t.teardown(async () => {
		await tmux.kill();
		rmSync(home, {recursive: true, force: true});
	});
	await tmux.waitForText(text => text.includes('● online') && text.includes('/user/breakglass'), 30_000);
	await tmux.type('b');
	await tmux.waitForText(text => /host:\s+"gokrazy-demo"/.test(text) && / #\s*$/m.test(text), 30_000);
	await tmux.type('echo krazy-$((6*7))');
	await tmux.sendKeys('Enter');
	await tmux.waitForText('krazy-42');
	await tmux.type('exit');
	await tmux.sendKeys('Enter');
	let screen = await tmux.waitForText(text => text.includes('back from the shell on'), 15_000);
	t.regex(screen, /● online/);
	// The dashboard takes keys again after the hand-over.
	await tmux.type('?');
	await tmux.waitForText('Keys ·');
	await tmux.sendKeys('Escape');
	await tmux.waitForText(text => !text.includes('Keys ·'));
	await tmux.type('f');
	screen = await tmux.waitForText(text => !text.includes('Services ·'), 15_000);
	t.false(screen.includes('krazy-tui ·'), 'the wizard replaces the dashboard');
	await tmux.sendKeys('Escape');
	await tmux.waitForText(text => text.includes('Services ·') && text.includes('● online'), 15_000);
	await tmux.type('q');
	screen = await tmux.waitForText(text => /krazy-exit=\d+/.test(text), 20_000);
	t.regex(screen, /krazy-exit=0/);
	t.false(screen.includes('krazy-tui ·'), 'the dashboard left the alternate screen');
});

test('without a terminal it says so and points to status', async t => {
	const child = spawn(cli[0], [...cli.slice(1), 'http://gokrazy:pw@127.0.0.1:9'], {cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, KRAZY_TUI_CONFIG_DIR: configDir}});
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
	});
	const code = await new Promise<number | null>(resolve => child.on('exit', resolve));
	t.is(code, 1);
	t.regex(stderr, /needs an interactive terminal/);
	t.regex(stderr, /krazy-tui status/);
});
