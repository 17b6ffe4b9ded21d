// The wall end to end: the built CLI in tmux over demo devices started here, and its scripted refusals.
import {existsSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test, {type ExecutionContext} from 'ava';
import {DeviceClient} from '../../source/core/device-client.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {startDemoFleet, type DemoDevice} from '../../source/demo/demo-device.js';
import {wallLayout, type Rect} from '../../source/wall/wall-layout.js';
import {startHttpServer} from '../helpers/bad-servers.js';
import {runCli} from '../helpers/cli.js';
import {TmuxSession} from '../helpers/tmux.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pollSeconds = 1;
/** How long the wall may take to show what the device did: two polls, plus a render (at most 2 a second) and slack. */
const withinTwoPolls = (2 * pollSeconds * 1000) + 500 + 2000;

async function fleetOf(t: ExecutionContext, count: number): Promise<DemoDevice[]> {
	const fleet = await startDemoFleet(count);
	t.teardown(async () => {
		await Promise.all(fleet.map(async device => device.stop()));
	});
	return fleet;
}

/** A server that answers every request with a broken JSON document: a device "answering garbage". */
async function garbageDevice(t: ExecutionContext): Promise<string> {
	const server = await startHttpServer(t, (_request, response) => {
		response.writeHead(200, {'Content-Type': 'application/json'});
		response.end('{"Services": [{"Path": \u0000garbage');
	});
	return server.url;
}

async function wall(t: ExecutionContext, args: string[], size: {columns: number; rows: number}, env: Record<string, string> = {}): Promise<TmuxSession> {
	if (!existsSync(path.join(root, 'dist/cli.js'))) {
		throw new Error('dist/cli.js is missing: run `npm run build` first');
	}

	const configDir = await mkdtemp(path.join(os.tmpdir(), 'krazy-wall-'));
	const session = await TmuxSession.start({
		command: ['node', 'dist/cli.js', 'wall', ...args, '--poll-interval', String(pollSeconds)],
		cwd: root,
		...size,
		env: {KRAZY_TUI_CONFIG_DIR: configDir, NO_COLOR: '', ...env},
	});
	t.teardown(async () => {
		await session.kill();
		await rm(configDir, {recursive: true, force: true});
	});
	return session;
}

/** What the screen shows inside one rectangle, row by row. */
function textIn(screen: string, rect: Rect): string {
	const lines = screen.split('\n');
	const rows: string[] = [];
	for (let row = rect.top; row < rect.top + rect.height; row++) {
		rows.push([...(lines[row] ?? '')].slice(rect.left, rect.left + rect.width).join(''));
	}

	return rows.join('\n');
}

test.serial('the grid shows every device; a stopped service, an unreachable device, garbage and a wrong password show where they happen', async t => {
	const fleet = await fleetOf(t, 3);
	const garbage = await garbageDevice(t);
	const wrongPassword = `http://gokrazy:wrong@127.0.0.1:${fleet[0].port}`;
	const size = {columns: 160, rows: 48};
	const session = await wall(t, [...fleet.map(device => device.url), garbage, wrongPassword], size);
	const layout = wallLayout({...size, deviceCount: 5, page: 0});
	t.is(layout.tiles.length, 5);
	const tile = (screen: string, index: number) => textIn(screen, layout.tiles[index].rect);

	let screen = await session.waitForText(text => fleet.every(device => text.includes(device.hostname)) && text.includes('bad answer') && text.includes('wrong password'), 30_000);
	t.true(fleet.every(device => !screen.includes(device.password)), 'passwords are never shown');
	for (const [index, device] of fleet.entries()) {
		t.true(tile(screen, index).includes(device.hostname), `tile ${index} is ${device.hostname}`);
	}

	t.regex(tile(screen, 3), /\? bad answer/);
	t.regex(tile(screen, 4), /⚷ wrong password/);
	screen = await session.waitForText(text => /golink +▶ running/.test(tile(text, 1)));
	// The /perm gauge is a track across its box with the used part in it; the memory axis says its unit.
	const {gauge, chart} = layout.tiles[1].parts;
	t.truthy(gauge && chart, 'full tiles at 160×48');
	screen = await session.waitForText(text => /\d+ % used/.test(textIn(text, gauge!)));
	t.regex(textIn(screen, gauge!), /[█▏▎▍▌▋▊▉]*░{5,}/);
	t.regex(textIn(screen, chart!).split('\n')[1], /^│%/);

	// A service stopped on one device turns its row on that tile, not on the others.
	await new DeviceClient(targetFromUrl(fleet[1].url), {timeoutMs: 30_000}).stop('/user/golink');
	screen = await session.waitForText(text => /golink +■ stopped/.test(tile(text, 1)), withinTwoPolls);
	t.regex(tile(screen, 0), /golink +(?:▶ running|↻ restarting)/);
	t.regex(tile(screen, 2), /golink +(?:▶ running|↻ restarting)/);
	t.regex(tile(screen, 1), /services: \d+ running · 2 stopped/);

	// A device whose server goes away is marked unreachable; the others keep updating.
	await fleet[2].closeHttp();
	screen = await session.waitForText(text => /✗ unreachable since \d\d:\d\d:\d\d/.test(tile(text, 2)), 15_000);
	t.regex(tile(screen, 2), /last known: /);
	t.regex(screen.split('\n')[0], /5 devices: 2 online · 3 failing/);
	await new DeviceClient(targetFromUrl(fleet[0].url), {timeoutMs: 30_000}).stop('/user/chatty');
	screen = await session.waitForText(text => /chatty +■ stopped/.test(tile(text, 0)), withinTwoPolls);
	t.regex(tile(screen, 0), /● online/);

	// It comes back by itself.
	await fleet[2].reopenHttp();
	await session.waitForText(text => /● online/.test(tile(text, 2)), 40_000);

	// The stderr pane shows lines from across the fleet, named by hostname and service.
	screen = await session.waitForText(text => /gokrazy-demo-0\d\/\w+ {2}\S/.test(textIn(text, layout.log!)));
	t.regex(textIn(screen, layout.log!), /stderr across the fleet/);

	// Colours are on (NO_COLOR is empty): the online marks are green.
	t.true((await session.capture({escapes: true})).includes('\u001b[32m● online'));

	// ? lists the keys, Esc hides them, q quits with the terminal given back.
	await session.type('?');
	await session.waitForText('pause or resume the page rotation');
	await session.sendKeys('Escape');
	await session.waitForText(text => !text.includes('pause or resume the page rotation'));
	await session.type('q');
	t.is(await session.waitForExit(15_000), 0);
	// blessed left the alternate screen: the wall is no longer on it.
	t.false((await session.capture()).includes('krazy-tui wall'));
});

test.serial('a small terminal rotates pages of larger tiles, arrows and p work, and resizing falls back to a list and back', async t => {
	const fleet = await fleetOf(t, 3);
	const garbage = await garbageDevice(t);
	const size = {columns: 80, rows: 24};
	const session = await wall(t, [...fleet.map(device => device.url), garbage, '--page-seconds', '2'], size);
	// The tiles only: the stderr pane below them names devices of every page.
	const {body} = wallLayout({...size, deviceCount: 4, page: 0});
	let screen = await session.waitForText(text => text.includes('page 1/2') && text.includes(fleet[0].hostname), 30_000);
	t.false(textIn(screen, body).includes(fleet[2].hostname), screen);
	t.regex(screen, /next in \d s/);

	// The pages rotate by themselves until p pauses them; arrows still turn them.
	screen = await session.waitForText(text => text.includes('page 2/2') && textIn(text, body).includes(fleet[2].hostname), 10_000);
	t.false(textIn(screen, body).includes(fleet[0].hostname), screen);
	await session.type('p');
	// The page may turn once more between the check above and the key: go on from wherever it paused.
	screen = await session.waitForText(text => /page \d\/2 · paused/.test(text));
	const pausedOn = Number(/page (\d)\/2 · paused/.exec(screen)![1]);
	const other = pausedOn === 1 ? 2 : 1;
	const shownOn = (page: number) => (page === 1 ? fleet[0].hostname : fleet[2].hostname);
	await session.sendKeys('Right');
	await session.waitForText(text => text.includes(`page ${other}/2 · paused`) && textIn(text, body).includes(shownOn(other)));
	await session.sendKeys('Left');
	await session.waitForText(text => text.includes(`page ${pausedOn}/2 · paused`) && textIn(text, body).includes(shownOn(pausedOn)));
	await session.sendKeys('Left');
	await session.waitForText(text => text.includes(`page ${other}/2 · paused`) && textIn(text, body).includes(shownOn(other)));

	// Too short for tiles: one line per device (all four fit on one page now).
	await session.resize(100, 6);
	screen = await session.waitForText(text => text.includes('DEVICE') && text.includes('HEALTH'));
	t.is(screen.split('\n').filter(line => /gokrazy-demo-0\d/.test(line) && line.includes('● online')).length, 3);
	t.regex(screen, /\? bad answer/);
	t.false(screen.includes('page '));

	await session.resize(15, 2);
	await session.waitForText('terminal too');

	// Large again: the whole fleet on one page.
	await session.resize(160, 48);
	screen = await session.waitForText(text => fleet.every(device => text.includes(device.hostname)) && text.includes('bad answer'));
	t.false(screen.includes('page '));
});

test.serial('NO_COLOR: no colour anywhere on the wall, the words and marks carry the states', async t => {
	const fleet = await fleetOf(t, 1);
	const session = await wall(t, [fleet[0].url], {columns: 120, rows: 40}, {NO_COLOR: '1'});
	await session.waitForText(text => text.includes(fleet[0].hostname) && /golink +(?:▶ running|↻ restarting)/.test(text) && text.includes('● online'), 30_000);
	const painted = await session.capture({escapes: true});
	// Any foreground or background colour: 30–37, 40–47, 90–97, 100–107, 38;5;n, 48;5;n.
	const colours = /\u001b\[(?:[\d;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|[34]8;5;\d+)(?:;[\d;]*)?m/;
	t.notRegex(painted, colours);
	t.regex(painted, /● online/);
});

test('without devices it says how to add one, before anything else', async t => {
	const home = await mkdtemp(path.join(os.tmpdir(), 'krazy-wall-home-'));
	t.teardown(async () => rm(home, {recursive: true, force: true}));
	const result = await runCli(['wall'], {env: {HOME: home, KRAZY_TUI_CONFIG_DIR: path.join(home, 'config'), GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy')}});
	t.is(result.code, 1);
	t.is(result.stdout, '');
	t.regex(result.stderr, /^krazy-tui: no devices known: add one with "krazy-tui devices add NAME URL", create one with "gok new", give a URL, or try "krazy-tui demo"\n$/);
});

test('without a terminal it points at krazy-tui status', async t => {
	const result = await runCli(['wall', 'http://gokrazy:pw@127.0.0.1:9']);
	t.is(result.code, 1);
	t.regex(result.stderr, /^krazy-tui: the wall needs a terminal; for a one-off look from a script use "krazy-tui status"\n$/);
});

test('bad flags are usage errors', async t => {
	for (const args of [['--page-seconds', '0'], ['--poll-interval', 'soon'], ['--no-such-flag']]) {
		const result = await runCli(['wall', 'http://127.0.0.1:9', ...args]);
		t.is(result.code, 2, args.join(' '));
		t.regex(result.stderr, /^krazy-tui: wall: /);
	}

	const help = await runCli(['wall', '--help']);
	t.is(help.code, 0);
	t.regex(help.stdout, /Usage: krazy-tui wall \[DEVICE\.\.\.]/);
	t.regex(help.stdout, /Nothing on the wall changes a device/);
});
