// The scripted commands end to end: the built CLI against a demo device over real HTTP, output and exit status.
import {mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {closedPort, startHttpServer} from '../helpers/bad-servers.js';
import {runCli, spawnCli} from '../helpers/cli.js';

let demo: DemoDevice;
let home: string;
let env: NodeJS.ProcessEnv;

test.before(async () => {
	demo = await startDemoDevice({hostname: 'casa', extraServices: ['weird']});
	home = mkdtempSync(path.join(os.tmpdir(), 'krazy-home-'));
	env = {HOME: home, GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy'), KRAZY_TUI_CONFIG_DIR: path.join(home, 'config')};
});

test.after.always(async () => {
	await demo?.stop();
	if (home) {
		rmSync(home, {recursive: true, force: true});
	}
});

/**
 * The test's own budget for each request to the device (the product's 5 s default is meant for people at a
 * terminal, not for a 2-core machine running two suites at once).
 */
const budget = ['--timeout', '30'];

const noStackTrace = (text: string) => !/\n\s+at /.test(text) && !/Error:/.test(text);

test('status --json follows the CLI contract', async t => {
	const result = await runCli(['status', demo.url, '--json', ...budget], {env});
	t.is(result.code, 0, result.stderr);
	t.is(result.stderr, '');
	const document = JSON.parse(result.stdout) as {devices: Array<Record<string, unknown>>};
	t.is(document.devices.length, 1);
	const device = document.devices[0]!;
	t.deepEqual(Object.keys(device).sort(), ['buildTimestamp', 'error', 'hostname', 'kernel', 'memory', 'model', 'name', 'online', 'services', 'url'].sort());
	t.is(device.online, true);
	t.is(device.error, null);
	t.is(device.hostname, 'casa');
	t.is(device.url, demo.baseUrl, 'the URL is shown without the password');
	t.false(result.stdout.includes(demo.password), 'the password is never printed');
	const services = device.services as Array<Record<string, unknown>>;
	const golink = services.find(service => service.path === '/user/golink')!;
	t.deepEqual(Object.keys(golink).sort(), ['args', 'name', 'path', 'pid', 'rss', 'startTime', 'state'].sort());
	t.is(golink.name, 'golink');
	t.true(['running', 'restarting'].includes(golink.state as string));
	t.true((golink.rss as number) > 0);
	const breakglass = services.find(service => service.path === '/user/breakglass')!;
	t.is(breakglass.state, 'stopped');
	t.is(breakglass.rss, null);
});

test('status for people: a table per device', async t => {
	const result = await runCli(['status', demo.url, ...budget], {env});
	t.is(result.code, 0);
	t.regex(result.stdout, /^casa|127\.0\.0\.1:\d+ {2}http:\/\/127\.0\.0\.1:\d+ {2}● online {2}casa/m);
	t.regex(result.stdout, /\/user\/breakglass\s+■ stopped/);
	t.false(result.stdout.includes(demo.password));
});

test('logs without -f prints what the device holds, stdout and stderr apart, escapes neutralised', async t => {
	const result = await runCli(['logs', demo.url, 'weird', ...budget], {env});
	t.is(result.code, 0, result.stderr);
	t.true(result.stdout.includes('weird: first line\n'));
	t.true(result.stdout.includes('titleset\n'), 'the OSC title sequence is removed');
	t.true(result.stdout.includes('clipboardwrite\n'), 'the OSC 52 clipboard write is removed');
	t.true(result.stdout.includes('clearscreen\n'), 'cursor movement and clearing are removed');
	t.false(result.stdout.includes('\u001B'), 'no escape reaches a non-terminal');
	t.false(result.stdout.includes('\r'));
	t.true(result.stderr.includes('weird: stderr line, empty stderr line follows\n'));
});

test('logs --json passes lines as data, escapes included', async t => {
	const result = await runCli(['logs', demo.url, '/user/weird', '--json', '--stream', 'stdout', ...budget], {env});
	t.is(result.code, 0, result.stderr);
	const lines = result.stdout.trim().split('\n').map(line => JSON.parse(line) as {stream: string; line: string});
	t.true(lines.every(line => line.stream === 'stdout'));
	t.true(lines.some(line => line.line === 'title\u001B]0;pwned\u0007set'));
	t.true(lines.some(line => line.line === ''));
	t.true(lines.some(line => line.line === 'crlf line\r'));
});

test('logs -f follows new lines until interrupted', async t => {
	const child = spawnCli(['logs', demo.url, 'chatty', '-f', '--stream', 'stdout'], {env});
	let stdout = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString('utf8');
	});
	const first = await new Promise<number>(resolve => {
		const check = () => {
			const ticks = [...stdout.matchAll(/tick (\d+)/g)].map(match => Number(match[1]));
			if (ticks.length > 0) {
				child.stdout!.off('data', check);
				resolve(Math.max(...ticks));
			}
		};

		child.stdout!.on('data', check);
	});
	await new Promise<void>(resolve => {
		const check = () => {
			if ([...stdout.matchAll(/tick (\d+)/g)].some(match => Number(match[1]) >= first + 2)) {
				resolve();
			}
		};

		child.stdout!.on('data', check);
	});
	child.kill('SIGINT');
	const code = await new Promise(resolve => child.on('close', resolve));
	t.is(code, 0);
	const ticks = [...stdout.matchAll(/tick (\d+)/g)].map(match => Number(match[1]));
	t.is(new Set(ticks).size, ticks.length);
});

test('logs on a service that never prints: one line, exit 1', async t => {
	const result = await runCli(['logs', demo.url, '/gokrazy/ntp', '--stream', 'stdout', ...budget], {env});
	t.is(result.code, 1);
	t.is(result.stdout, '');
	t.regex(result.stderr, /^127\.0\.0\.1:\d+: \/gokrazy\/ntp has not logged anything: the device holds no stdout lines for it \(try -f to wait for some\)\n$/);
});

test.serial('restart changes the real pid; stop and start', async t => {
	const restart = await runCli(['restart', demo.url, 'golink', '--json', ...budget], {env});
	t.is(restart.code, 0, restart.stderr);
	const report = JSON.parse(restart.stdout) as {before: {pid: number}; after: {pid: number}};
	t.not(report.after.pid, report.before.pid);
	t.true(demo.livePids().includes(report.after.pid));
	t.false(demo.livePids().includes(report.before.pid));

	const stop = await runCli(['stop', demo.url, 'golink', ...budget], {env});
	t.is(stop.code, 0, stop.stderr);
	t.regex(stop.stdout, /\/user\/golink stopped \(was (running|restarting), pid \d+; now stopped, pid \d+\)/);
	t.true(demo.services().find(service => service.path === '/user/golink')!.stopped);

	const start = await runCli(['start', demo.url, 'golink', ...budget], {env});
	t.is(start.code, 0, start.stderr);
	t.regex(start.stdout, /\/user\/golink started \(was stopped, pid \d+; now restarting, pid \d+\)/);
});

test('wrong password: one line naming the device, exit 1, no stack trace', async t => {
	const url = `http://gokrazy:wrong@127.0.0.1:${demo.port}`;
	const result = await runCli(['status', url, ...budget], {env});
	t.is(result.code, 1);
	t.is(result.stderr, `127.0.0.1:${demo.port}: wrong password (the device said: invalid username/password)\n`);
	// It answered: the table says how, not that it is offline.
	t.regex(result.stdout, /^127\.0\.0\.1:\d+ {2}http:\/\/127\.0\.0\.1:\d+ {2}⚷ unauthorized \(401\)\n$/);
	const logs = await runCli(['logs', url, 'golink', ...budget], {env});
	t.is(logs.code, 1);
	t.is(logs.stderr, `127.0.0.1:${demo.port}: wrong password (the device said: invalid username/password)\n`);
});

test('unreachable host, HTML port, unknown service: one line each, exit 1', async t => {
	const port = await closedPort();
	const unreachable = await runCli(['status', `http://127.0.0.1:${port}`], {env});
	t.is(unreachable.code, 1);
	t.is(unreachable.stderr, `127.0.0.1:${port}: connection refused by 127.0.0.1:${port} (is the device up?)\n`);
	t.is(unreachable.stdout, `127.0.0.1:${port}  http://127.0.0.1:${port}  ✗ unreachable\n`);

	const html = await startHttpServer(t, (_request, response) => {
		response.writeHead(200, {'Content-Type': 'text/html'});
		response.end('<html><body>router</body></html>');
	});
	const notGokrazy = await runCli(['restart', html.url, 'golink'], {env});
	t.is(notGokrazy.code, 1);
	t.regex(notGokrazy.stderr, /^127\.0\.0\.1:\d+: 127\.0\.0\.1:\d+ is not a gokrazy device \(it answered HTML where JSON was asked/);
	t.is(notGokrazy.stderr.split('\n').length, 2);

	const unknown = await runCli(['restart', demo.url, 'nope', ...budget], {env});
	t.is(unknown.code, 1);
	t.is(unknown.stderr, `127.0.0.1:${demo.port}: no service /user/nope on the device\n`);
	for (const result of [unreachable, notGokrazy, unknown]) {
		t.true(noStackTrace(result.stderr), result.stderr);
	}
});

test('usage errors exit 2: a URL without a host, missing arguments, unknown flags', async t => {
	const noHost = await runCli(['status', 'http://'], {env});
	t.is(noHost.code, 2);
	t.regex(noHost.stderr, /^http:\/\/: the URL has no host/);
	const missing = await runCli(['logs', demo.url], {env});
	t.is(missing.code, 2);
	t.is(missing.stderr, 'krazy-tui: logs: expected DEVICE SERVICE (see krazy-tui logs --help)\n');
	const flag = await runCli(['status', '--bogus'], {env});
	t.is(flag.code, 2);
	t.regex(flag.stderr, /^krazy-tui: status: Unknown option '--bogus'/);
	const stream = await runCli(['logs', demo.url, 'golink', '--stream', 'stdin'], {env});
	t.is(stream.code, 2);
});

test('a broken config.json is reported with its path and the JSON error, and the other devices still load', async t => {
	const parent = path.join(home, 'gokrazy');
	mkdirSync(path.join(parent, 'broken'), {recursive: true});
	writeFileSync(path.join(parent, 'broken', 'config.json'), '{"Hostname": "broken",\n  "Update": {');
	mkdirSync(path.join(parent, 'casa'), {recursive: true});
	writeFileSync(path.join(parent, 'casa', 'config.json'), JSON.stringify({
		Hostname: '127.0.0.1',
		Update: {HTTPPort: String(demo.port), HTTPPassword: demo.password},
	}));
	const result = await runCli(['status', '--json'], {env});
	t.is(result.code, 0, result.stderr);
	t.true(result.stderr.includes(path.join(parent, 'broken', 'config.json')), result.stderr);
	t.is(result.stderr.trim().split('\n').length, 1);
	const document = JSON.parse(result.stdout) as {devices: Array<{name: string; online: boolean}>};
	t.deepEqual(document.devices.map(device => [device.name, device.online]), [['casa', true]]);
	const byName = await runCli(['logs', 'casa', 'golink', '--json', ...budget], {env});
	t.is(byName.code, 0, byName.stderr);
});

test('scripted commands never load React, Ink or blessed', async t => {
	const log = path.join(home, 'imports.log');
	const recorder = fileURLToPath(new URL('../helpers/import-recorder.mjs', import.meta.url));
	for (const args of [['status', demo.url, '--json'], ['logs', demo.url, 'golink'], ['restart', demo.url, 'chatty', '--no-wait']]) {
		writeFileSync(log, '');
		const result = await runCli(args, {env: {...env, KRAZY_IMPORT_LOG: log}, nodeArgs: [`--import=${recorder}`]});
		t.is(result.code, 0, result.stderr);
		const imported = readFileSync(log, 'utf8');
		t.true(imported.includes('/dist/cli.js'), 'the recorder saw the CLI');
		t.false(/node_modules\/(react|ink|blessed|blessed-contrib|conf)\//.test(imported), `${args[0]} loaded ${imported.match(/node_modules\/(react|ink|blessed[^/]*|conf)\//)?.[0]}`);
	}
});

test('one resolver for every fleet command: a bad --timeout is a usage error before anything runs, a device twice too', async t => {
	for (const args of [['--timeout', 'abc', demo.url], ['status', '--timeout', 'abc', demo.url], ['wall', '--timeout=-1', demo.url]]) {
		const result = await runCli(args, {env});
		t.is(result.code, 2, args.join(' '));
		t.regex(result.stderr, /^krazy-tui: (krazy-tui|status|wall): --timeout wants a number of seconds, not "(abc|-1)"\n$/);
	}

	for (const args of [[demo.url, demo.url], ['status', demo.url, demo.url], ['wall', demo.url, demo.url]]) {
		const result = await runCli(args, {env});
		t.is(result.code, 2, args.join(' '));
		t.regex(result.stderr, /the same device was given twice\n$/);
	}
});

test('no devices at all: the same sentence from status, the dashboard and the wall, exit 1', async t => {
	const empty = mkdtempSync(path.join(os.tmpdir(), 'krazy-empty-'));
	t.teardown(() => {
		rmSync(empty, {recursive: true, force: true});
	});
	const emptyEnv = {HOME: empty, GOKRAZY_PARENT_DIR: path.join(empty, 'gokrazy'), KRAZY_TUI_CONFIG_DIR: path.join(empty, 'config')};
	for (const args of [['status'], [], ['wall']]) {
		const result = await runCli(args, {env: emptyEnv});
		t.is(result.code, 1, args.join(' '));
		t.is(result.stderr, 'krazy-tui: no devices known: add one with "krazy-tui devices add NAME URL", create one with "gok new", give a URL, or try "krazy-tui demo"\n');
	}
});
