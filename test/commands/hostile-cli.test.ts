// The built CLI against devices that answer badly on purpose, and against URLs and config files holding passwords.
// The log tests run serially: their devices flood from this process, which must stay quick to answer the others.
// Timeouts are generous (--timeout 30): these tests are about what is shown, and a loaded machine is slow to answer.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {runCli, spawnCli, type CliResult} from '../helpers/cli.js';
import {startHostileDevice, type HostileBehaviour, type HostileDevice} from '../helpers/hostile-device.js';

const rawControl = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]/;
const stackTrace = /\n\s+at |node:internal|Error: .*\n/;

function isolatedEnv(t: ExecutionContext): NodeJS.ProcessEnv {
	const home = mkdtempSync(path.join(os.tmpdir(), 'krazy-hostile-home-'));
	t.teardown(() => {
		rmSync(home, {recursive: true, force: true});
	});
	return {HOME: home, GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy'), KRAZY_TUI_CONFIG_DIR: path.join(home, 'config'), XDG_CONFIG_HOME: path.join(home, 'xdg')};
}

async function hostile(t: ExecutionContext, behaviour: HostileBehaviour): Promise<HostileDevice> {
	const device = await startHostileDevice(behaviour);
	t.teardown(async () => device.close());
	return device;
}

/** Every stderr line: clean, short, no stack trace. */
function assertCleanStderr(t: ExecutionContext, result: CliResult, lines: number): string[] {
	t.false(stackTrace.test(result.stderr), result.stderr);
	const got = result.stderr.split('\n').filter(line => line !== '');
	t.is(got.length, lines, result.stderr);
	for (const line of got) {
		t.false(rawControl.test(line), JSON.stringify(line));
		t.true(line.length <= 1300, `${line.length} characters`);
	}

	return got;
}

/**
 * Starts the CLI, sends SIGINT once `ready` says so (the device saw it: its SIGINT handler is in place) and `afterMs`
 * more passed, and resolves with the result and how long the exit took after the signal.
 */
async function interrupt(args: string[], env: NodeJS.ProcessEnv, ready: (stdout: string) => boolean, afterMs = 300): Promise<CliResult & {afterSignalMs: number}> {
	const child = spawnCli(args, {env});
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString('utf8');
		if (stdout.length > 4e6) {
			stdout = stdout.slice(-1e6);
		}
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
	});
	child.stdin!.end();
	for (let waited = 0; !ready(stdout) && waited < 30_000; waited += 20) {
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	await new Promise(resolve => setTimeout(resolve, afterMs));
	const signalled = performance.now();
	child.kill('SIGINT');
	const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearTimeout(killer);
	return {code, stdout, stderr, afterSignalMs: performance.now() - signalled};
}

test('status: 1.2 MB of repeated `title="a` is an ordinary answer', async t => {
	const device = await hostile(t, 'quadratic-html');
	const result = await runCli(['status', device.url, '--timeout', '30'], {env: isolatedEnv(t), timeoutMs: 60_000});
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /\/user\/spew +\S+ running/);
});

test('status: a 5 MB error body of escapes, OSC 52, CR, bidi and C1 controls is one clean line on stderr', async t => {
	const device = await hostile(t, 'escape-error');
	const result = await runCli(['status', device.url, '--timeout', '30'], {env: isolatedEnv(t), timeoutMs: 60_000});
	t.is(result.code, 1);
	const [line] = assertCleanStderr(t, result, 1);
	t.regex(line!, /^127\.0\.0\.1:\d+: HTTP 500 from 127\.0\.0\.1:\d+: overwritten gnp\.exe/);
	t.false(rawControl.test(result.stdout));
});

test('status: names and paths with escapes, bidi and C1 controls print clean, and --json escapes them', async t => {
	const device = await hostile(t, 'escape-strings');
	const env = isolatedEnv(t);
	const human = await runCli(['status', device.url, '--timeout', '30'], {env, timeoutMs: 60_000});
	t.is(human.code, 0, human.stderr);
	t.false(rawControl.test(human.stdout), JSON.stringify(human.stdout));
	t.regex(human.stdout, /hostoverwritten gnp\.exe iso red/);
	const json = await runCli(['status', device.url, '--json', '--timeout', '30'], {env, timeoutMs: 60_000});
	t.is(json.code, 0);
	t.false(rawControl.test(json.stdout.trimEnd()), 'no raw control character in the JSON text');
	t.true(json.stdout.includes('\\u202e') && json.stdout.includes('\\u009b'), 'C1 and bidi controls are \\u escapes');
	const document = JSON.parse(json.stdout) as {devices: Array<{hostname: string}>};
	t.true(document.devices[0]!.hostname.includes('\u202E'), 'the data itself is kept');
});

test.serial('logs: a /log 500 whose body never ends is one clean error line, no stack trace', async t => {
	const device = await hostile(t, 'log-500-endless');
	for (const args of [[], ['-f']]) {
		const result = await runCli(['logs', device.url, 'spew', ...args], {env: isolatedEnv(t), timeoutMs: 30_000});
		t.is(result.code, 1);
		const [line] = assertCleanStderr(t, result, 1);
		t.regex(line!, /: HTTP 500 from \/log: internal error/);
	}
});

test.serial('logs --json: lines with CR, escapes, bidi and C1 controls are JSON with every one of them escaped', async t => {
	const device = await hostile(t, 'log-chatty-crlf');
	const result = await runCli(['logs', device.url, 'spew', '--json', '--stream', 'stdout'], {env: isolatedEnv(t), timeoutMs: 30_000});
	t.is(result.code, 0, result.stderr);
	const lines = result.stdout.trimEnd().split('\n');
	t.true(lines.length > 1);
	for (const line of lines) {
		t.false(rawControl.test(line), JSON.stringify(line));
		t.regex((JSON.parse(line) as {line: string}).line, /^line \d+ \u001B\[2J/);
	}

	const text = await runCli(['logs', device.url, 'spew', '--stream', 'stdout'], {env: isolatedEnv(t), timeoutMs: 30_000});
	t.false(rawControl.test(text.stdout.replaceAll('\n', '')), 'plain output is cleaned too');
});

test.serial('logs -f: lines that never end and 512 KiB lines are bounded, marked as cut, and Ctrl-C ends it cleanly', async t => {
	for (const behaviour of ['long-lines', 'endless-line', 'endless-event'] as const) {
		const device = await hostile(t, behaviour);
		// Under load the first 512 KiB line can take a while: the signal waits for what the test checks, not a clock.
		const arrived = (stdout: string) => device.requests.some(request => request.startsWith('GET /log')) && (behaviour !== 'long-lines' || / bytes cut\n/.test(stdout));
		const result = await interrupt(['logs', device.url, 'spew', '-f', '--stream', 'stdout'], isolatedEnv(t), arrived, 1500);
		t.is(result.code, 0, `${behaviour}: ${result.stderr}`);
		t.false(stackTrace.test(result.stderr), result.stderr);
		t.true(result.afterSignalMs < 10_000, `${behaviour}: ${Math.round(result.afterSignalMs)} ms after Ctrl-C`);
		if (behaviour === 'long-lines') {
			// Any line: the test keeps only the last megabyte of output, and under load the first lines are out of it.
			t.regex(result.stdout, /^\d{8}x+ … \d+ bytes cut$/m);
		}
	}
});

test('status and restart against a device that never answers end on Ctrl-C, not at the timeout', async t => {
	const env = isolatedEnv(t);
	const silent = await hostile(t, 'silent');
	const status = await interrupt(['status', silent.url, '--timeout', '60'], env, () => silent.connections() >= 2);
	t.is(status.code, 130);
	t.deepEqual(assertCleanStderr(t, status, 1), ['status: interrupted']);
	t.true(status.afterSignalMs < 20_000, `${Math.round(status.afterSignalMs)} ms`);

	const restartSilent = await hostile(t, 'restart-silent');
	const restart = await interrupt(['restart', restartSilent.url, 'spew', '--timeout', '60'], env, () => restartSilent.requests.includes('POST /restart'));
	t.is(restart.code, 130, restart.stderr);
	t.regex(assertCleanStderr(t, restart, 1)[0]!, /^127\.0\.0\.1:\d+: request cancelled$/);
	t.true(restart.afterSignalMs < 20_000, `${Math.round(restart.afterSignalMs)} ms`);
	t.true(restartSilent.requests.includes('POST /restart'), 'it was waiting for the restart itself');
});

test('restart against a device whose error bodies are hostile: one clean line', async t => {
	const device = await hostile(t, 'escape-error');
	const result = await runCli(['restart', device.url, 'spew', '--timeout', '30'], {env: isolatedEnv(t), timeoutMs: 60_000});
	t.is(result.code, 1);
	t.regex(assertCleanStderr(t, result, 1)[0]!, /HTTP 500 from 127\.0\.0\.1:\d+: overwritten/);
});

const secret = 'S3cr#t/pa?ss w@rd';

test('a password with #, /, ?, a space or @ in a URL never appears in any error, of any command', async t => {
	const env = isolatedEnv(t);
	const device = await hostile(t, 'normal');
	const port = new URL(device.baseUrl).port;
	const urls = [
		`http://gokrazy:${secret}@127.0.0.1:${port}`,
		`http:://gokrazy:${secret}@127.0.0.1:${port}`,
		`ftp://gokrazy:${secret}@127.0.0.1:${port}`,
		`http://gokrazy:${secret}@`,
		`http://gokrazy:${encodeURIComponent(secret)}@127.0.0.1:${port}`, // Well formed, but the wrong password.
		`http://gokrazy:%zz${secret}@127.0.0.1:${port}`,
	];
	const seen: string[] = [];
	for (const url of urls) {
		for (const args of [['status', url], ['status', url, '--json'], ['logs', url, 'spew'], ['restart', url, 'spew'], ['devices', 'add', 'casa', url], ['status', '--timeout', url]]) {
			const result = await runCli(args, {env, timeoutMs: 30_000});
			const output = result.stdout + result.stderr;
			for (const part of [secret, encodeURIComponent(secret), 'S3cr', 'w@rd']) {
				t.false(output.includes(part), `${args.join(' ')} showed ${part}: ${output}`);
			}

			if (args[0] !== 'devices') {
				t.not(result.code, 0, `${args.join(' ')} failed`);
			}

			seen.push(result.stderr.trim());
		}
	}

	t.true(seen.some(line => /wrong password/.test(line)), 'the well-formed URL reached the device');
	t.true(seen.some(line => /not a device URL/.test(line)));
});

test('a broken gok config.json or settings file with a password in it: errors say where, never the password', async t => {
	const env = isolatedEnv(t);
	const instance = path.join(env.GOKRAZY_PARENT_DIR!, 'casa');
	mkdirSync(instance, {recursive: true});
	// V8's own message for this one quotes the text around the error, password included.
	writeFileSync(path.join(instance, 'config.json'), `{"Hostname": "casa", "Update": {"HTTPPassword": "${secret}" "HTTPPort": 8080}}`);
	for (const args of [['status', 'casa'], ['status'], ['devices', 'list'], ['devices', 'list', '--json'], ['logs', 'casa', 'spew']]) {
		const result = await runCli(args, {env});
		const output = result.stdout + result.stderr;
		t.false(output.includes('S3cr'), `${args.join(' ')}: ${output}`);
		const said = args.includes('--json') ? (JSON.parse(result.stdout) as {problems: Array<{message: string}>}).problems[0]!.message : output;
		t.regex(said, /casa\/config\.json: invalid JSON: no "," or "}" after a property value \(line 1, column 69\)/);
	}

	const unquotedText = '{"Hostname": "casa", "Update": {"HTTPPassword": S3cr-unquoted}}';
	writeFileSync(path.join(instance, 'config.json'), unquotedText);
	const unquoted = await runCli(['status', 'casa'], {env});
	t.false(unquoted.stderr.includes('S3cr'), unquoted.stderr);
	t.true(unquoted.stderr.includes(`an unexpected character where a value was expected (line 1, column ${unquotedText.indexOf('S3cr') + 1})`), unquoted.stderr);

	mkdirSync(env.KRAZY_TUI_CONFIG_DIR!, {recursive: true});
	writeFileSync(path.join(env.KRAZY_TUI_CONFIG_DIR!, 'config.json'), `{"devices": [{"name": "lab", "url": "http://lab", "password": S3cr-saved}]}`);
	for (const args of [['devices', 'add', 'other', 'http://other.lan'], ['devices', 'list'], ['status', 'lab']]) {
		const result = await runCli(args, {env});
		const output = result.stdout + result.stderr;
		t.false(output.includes('S3cr'), `${args.join(' ')}: ${output}`);
		t.regex(output, args[0] === 'devices' ? /config\.json: invalid JSON/ : /lab: unknown device/);
	}
});
