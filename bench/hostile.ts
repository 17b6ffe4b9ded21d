// Bench: the CLI against a device that misbehaves on purpose: wall time to a clear one-line error (or the answer), peak RSS, CPU.
//
//   npm run build && node --import=tsx bench/hostile.ts [--only ID-PART] [--follow-seconds 10]
//
// Each case runs `node dist/cli.js …` under /usr/bin/time (exact peak RSS and CPU of the process) against a fresh
// hostile device from test/helpers/hostile-device.ts. Goals (issue 11): no command over its timeout + 1 s; `logs -f`
// and the dashboard under 300 MB whatever a device sends; Ctrl-C ends a command within 200 ms; parsing a 32 MiB
// overview (the size cap) under 1 s. Each figure is a record {id, label, value, unit, goal, ok}; the last line printed
// is {"bench":"hostile","figures":[…]} for bench/run.ts.
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';
import {startHostileDevice, type HostileBehaviour} from '../test/helpers/hostile-device.js';
import {parseHtmlOverview} from '../source/core/overview-parser.js';
import {cpuSeconds, peakRss} from './bench-util.js';

export type FigureRecord = {id: string; label: string; value: number; unit: string; goal: string; ok: boolean};

const {values} = parseArgs({options: {only: {type: 'string'}, 'follow-seconds': {type: 'string', default: '10'}}});
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'dist/cli.js');
const timeoutSeconds = 3;
const followSeconds = Number(values['follow-seconds']);
const mib = 1024 * 1024;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'krazy-hostile-bench-'));
const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

type Measured = {seconds: number; peakMb: number; cpuSeconds: number; code: number | null; stderr: string; stdoutBytes: number; afterSignalMs?: number};

/** Runs the CLI under /usr/bin/time; with `stopAfterMs` sends SIGINT to it then and times how long it takes to exit. */
async function measure(args: string[], stopAfterMs?: number): Promise<Measured> {
	const timeFile = path.join(scratch, `time-${Math.random()}`);
	const started = performance.now();
	const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %M %U %S', process.execPath, cli, ...args], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: {PATH: process.env.PATH, HOME: scratch, KRAZY_TUI_CONFIG_DIR: path.join(scratch, 'config'), GOKRAZY_PARENT_DIR: path.join(scratch, 'gokrazy')},
	});
	let stderr = '';
	let stdoutBytes = 0;
	child.stdout.on('data', (chunk: Buffer) => {
		stdoutBytes += chunk.length;
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString('utf8');
		if (stderr.length > 1e6) {
			stderr = stderr.slice(0, 1e6);
		}
	});
	let signalled: number | undefined;
	// GNU time does not forward signals: they go to the node process, time's only child.
	const signalNode = (signal: NodeJS.Signals) => {
		const node = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
		if (node) {
			process.kill(Number(node), signal);
		}
	};

	const stopper = stopAfterMs === undefined ? undefined : setTimeout(() => {
		signalled = performance.now();
		signalNode('SIGINT');
	}, stopAfterMs);
	// Whatever happens, nothing runs longer than a minute.
	const killer = setTimeout(() => {
		signalNode('SIGKILL');
	}, 60_000);
	// The process's end, not its pipes' (which may still hold output the reader has not taken yet).
	let ended = 0;
	child.once('exit', () => {
		ended = performance.now();
	});
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearTimeout(stopper);
	clearTimeout(killer);
	const [, maxRssKb, user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
	return {
		seconds: (ended - started) / 1000, peakMb: maxRssKb! / 1024, cpuSeconds: user! + system!, code, stderr, stdoutBytes,
		afterSignalMs: signalled === undefined ? undefined : ended - signalled,
	};
}

/** Nothing raw from the device on stderr: one line per problem (at most `maxLines`), bounded, no control characters. */
function cleanErrorLines(stderr: string, maxLines = 3): boolean {
	const lines = stderr.split('\n').filter(line => line !== '');
	return lines.length <= maxLines && lines.every(line => line.length <= 1300 && !controls.test(line)) && !/\n\s+at /.test(stderr);
}

const figures: FigureRecord[] = [];
function add(figure: FigureRecord): void {
	figures.push(figure);
	const verdict = figure.ok ? '✓' : '✗';
	console.log(`  ${verdict} ${figure.label.padEnd(64)} ${figure.value.toFixed(figure.unit === 'MB' ? 0 : 2).padStart(8)} ${figure.unit.padEnd(3)} (goal ${figure.goal})`);
}

type Case = {behaviour: HostileBehaviour; command: 'status' | 'logs' | 'logs -f' | 'restart' | 'status ^C' | 'restart ^C' | 'dashboard'};

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** The dashboard on a pseudo-terminal with /user/spew's log open for `followSeconds`: peak RSS, CPU, and Ctrl-C to exit. */
async function measureDashboard(url: string): Promise<{peakMb: number; cpuShare: number; afterSignalMs: number; text: string}> {
	const {startOnPty} = await import('./dashboard-pty.js');
	const run = startOnPty(process.execPath, [cli, url], {columns: 120, rows: 32, env: {KRAZY_TUI_CONFIG_DIR: path.join(scratch, 'config'), HOME: scratch}});
	try {
		await run.waitFor(/\/user\/spew/, 0, 60_000);
		run.write('\r');
		run.write('/spew');
		run.write('\r');
		await run.waitFor(/filter "spew"/, 0, 20_000);
		run.write('\r');
		await run.waitFor(/Logs · /, 0, 20_000);
		const cpuBefore = cpuSeconds(run.pid);
		const started = performance.now();
		let peakKb = 0;
		while (performance.now() - started < followSeconds * 1000) {
			peakKb = Math.max(peakKb, peakRss(run.pid));
			await new Promise(resolve => setTimeout(resolve, 100));
		}

		const cpuShare = (cpuSeconds(run.pid) - cpuBefore) / ((performance.now() - started) / 1000) * 100;
		peakKb = Math.max(peakKb, peakRss(run.pid));
		const signalled = performance.now();
		run.write('\u0003');
		while (alive(run.pid) && performance.now() - signalled < 10_000) {
			await new Promise(resolve => setTimeout(resolve, 5));
		}

		return {peakMb: peakKb / 1024, cpuShare, afterSignalMs: performance.now() - signalled, text: run.text().slice(-2000)};
	} finally {
		await run.kill();
	}
}

const cases: Case[] = [
	...(['normal', 'quadratic-html', 'quadratic-rows', 'huge-overview', 'oversize-overview', 'deep-json', 'escape-error', 'escape-strings',
		'error-endless', 'slow-loris', 'slow-headers', 'silent', 'header-flood', 'bad-chunked', 'reset-mid-body'] as const)
		.map(behaviour => ({behaviour, command: 'status' as const})),
	...(['normal', 'long-lines', 'endless-event', 'endless-line', 'log-500-endless', 'log-chatty-crlf', 'silent', 'error-endless'] as const)
		.map(behaviour => ({behaviour, command: 'logs' as const})),
	...(['long-lines', 'endless-event', 'endless-line', 'log-500-endless', 'log-chatty-crlf'] as const)
		.map(behaviour => ({behaviour, command: 'logs -f' as const})),
	...(['normal', 'silent', 'restart-silent', 'slow-loris', 'escape-error'] as const).map(behaviour => ({behaviour, command: 'restart' as const})),
	...(['normal', 'long-lines', 'endless-event', 'endless-line', 'log-500-endless'] as const).map(behaviour => ({behaviour, command: 'dashboard' as const})),
	{behaviour: 'silent', command: 'status ^C'},
	{behaviour: 'restart-silent', command: 'restart ^C'},
];

console.log(`hostile devices (--timeout ${timeoutSeconds}; logs -f for ${followSeconds} s)`);
for (const {behaviour, command} of cases) {
	const id = `${command.replace(/[ ^]+/g, '-').replace(/-C$/, '-ctrl-c')}.${behaviour}`;
	if (values.only && !id.includes(values.only)) {
		continue;
	}

	const device = await startHostileDevice(behaviour);
	try {
		const timeout = ['--timeout', String(timeoutSeconds)];
		if (command === 'status') {
			const run = await measure(['status', device.url, ...timeout]);
			const limit = timeoutSeconds + 1;
			add({id: `${id}.wall`, label: `status, ${behaviour}: wall time (exit ${run.code})`, value: run.seconds, unit: 's', goal: `≤ ${limit} s`, ok: run.seconds <= limit});
			add({id: `${id}.rss`, label: `status, ${behaviour}: peak RSS`, value: run.peakMb, unit: 'MB', goal: '< 300 MB', ok: run.peakMb < 300});
			add({id: `${id}.cpu`, label: `status, ${behaviour}: CPU`, value: run.cpuSeconds, unit: 's', goal: `≤ ${limit} s`, ok: run.cpuSeconds <= limit});
			add({id: `${id}.stderr`, label: `status, ${behaviour}: stderr clean and short (${run.stderr.length} chars)`, value: run.stderr.length, unit: 'chr', goal: '≤ 3 clean lines', ok: cleanErrorLines(run.stderr)});
		} else if (command === 'logs' || command === 'restart') {
			// One stream: stderr then holds only krazy-tui's own lines.
			const args = command === 'logs' ? ['logs', device.url, 'spew', '--stream', 'stdout', ...timeout] : ['restart', device.url, 'spew', ...timeout];
			const run = await measure(args);
			const limit = timeoutSeconds + 1 + (command === 'logs' ? 3 : 0); // logs without -f may read the held lines for 3 s.
			add({id: `${id}.wall`, label: `${command}, ${behaviour}: wall time (exit ${run.code})`, value: run.seconds, unit: 's', goal: `≤ ${limit} s`, ok: run.seconds <= limit});
			add({id: `${id}.rss`, label: `${command}, ${behaviour}: peak RSS`, value: run.peakMb, unit: 'MB', goal: '< 300 MB', ok: run.peakMb < 300});
			add({id: `${id}.cpu`, label: `${command}, ${behaviour}: CPU`, value: run.cpuSeconds, unit: 's', goal: `≤ ${limit} s`, ok: run.cpuSeconds <= limit});
			add({id: `${id}.stderr`, label: `${command}, ${behaviour}: stderr clean and short`, value: run.stderr.length, unit: 'chr', goal: '≤ 3 clean lines', ok: cleanErrorLines(run.stderr)});
		} else if (command === 'logs -f') {
			const run = await measure(['logs', device.url, 'spew', '-f', '--stream', 'stdout', ...timeout], followSeconds * 1000);
			const ended = run.afterSignalMs === undefined;
			add({id: `${id}.rss`, label: `logs -f, ${behaviour}: peak RSS over ${followSeconds} s`, value: run.peakMb, unit: 'MB', goal: '< 300 MB', ok: run.peakMb < 300});
			add({id: `${id}.cpu`, label: `logs -f, ${behaviour}: CPU share of one core`, value: run.cpuSeconds / run.seconds * 100, unit: '%', goal: 'recorded', ok: true});
			add({id: `${id}.stop`, label: `logs -f, ${behaviour}: ${ended ? 'ended by itself after' : 'Ctrl-C to exit'}`, value: ended ? run.seconds * 1000 : run.afterSignalMs!, unit: 'ms', goal: ended ? `≤ ${timeoutSeconds + 1} s` : '≤ 200 ms', ok: ended ? run.seconds <= timeoutSeconds + 1 : run.afterSignalMs! <= 200});
			// "N lines lost because output could not keep up" may come often: lines are counted, not limited.
			add({id: `${id}.stderr`, label: `logs -f, ${behaviour}: stderr lines clean and short`, value: run.stderr.length, unit: 'chr', goal: 'clean lines', ok: cleanErrorLines(run.stderr, Number.POSITIVE_INFINITY)});
		} else if (command === 'dashboard') {
			const run = await measureDashboard(device.url);
			add({id: `${id}.rss`, label: `dashboard log view, ${behaviour}: peak RSS over ${followSeconds} s`, value: run.peakMb, unit: 'MB', goal: '< 300 MB', ok: run.peakMb < 300});
			add({id: `${id}.cpu`, label: `dashboard log view, ${behaviour}: CPU share of one core`, value: run.cpuShare, unit: '%', goal: 'recorded', ok: true});
			add({id: `${id}.stop`, label: `dashboard log view, ${behaviour}: Ctrl-C to exit`, value: run.afterSignalMs, unit: 'ms', goal: '≤ 200 ms', ok: run.afterSignalMs <= 200});
			add({id: `${id}.stack`, label: `dashboard log view, ${behaviour}: no stack trace on screen`, value: /\n\s+at |node:internal/.test(run.text) ? 1 : 0, unit: '', goal: '0', ok: !/\n\s+at |node:internal/.test(run.text)});
		} else {
			const args = command === 'status ^C' ? ['status', device.url] : ['restart', device.url, 'spew'];
			const run = await measure(args, 1000);
			add({id: `${id}.stop`, label: `${command.replace('^C', '')}, ${behaviour}, default timeout: Ctrl-C to exit`, value: run.afterSignalMs ?? Number.NaN, unit: 'ms', goal: '≤ 200 ms', ok: (run.afterSignalMs ?? Number.POSITIVE_INFINITY) <= 200});
			add({id: `${id}.stderr`, label: `${command.replace('^C', '')}, ${behaviour}, Ctrl-C: stderr clean`, value: run.stderr.length, unit: 'chr', goal: '≤ 3 clean lines', ok: cleanErrorLines(run.stderr)});
		}
	} finally {
		await device.close();
	}
}

// In-process: the HTML overview parser on a 32 MiB page (the cap), real-looking and hostile.
if (!values.only || 'parse'.includes(values.only) || values.only.startsWith('parse')) {
	const realistic = (await import('../test/helpers/hostile-device.js')).hostileOverviewHtml(32 * mib);
	const pages = [['real-looking', realistic], ['title="a repeated', 'title="a'.repeat(4 * mib)], ['links without last-log cells', '<a href="/status?path=x">x</a>'.repeat(Math.floor(32 * mib / 30))]] as const;
	for (const [name, page] of pages) {
		// As the client gets it: decoded from the answer's bytes (a flat string, not the rope .repeat makes).
		const html = Buffer.from(page, 'latin1').toString('utf8');
		const times: number[] = [];
		for (let run = 0; run < 3; run++) {
			const started = performance.now();
			parseHtmlOverview(html);
			times.push((performance.now() - started) / 1000);
		}

		const seconds = times.sort((a, b) => a - b)[1]!;
		add({id: `parse.html.${name.replace(/\W+/g, '-')}`, label: `parse a 32 MiB HTML overview, ${name} (median of 3)`, value: seconds, unit: 's', goal: '< 1 s', ok: seconds < 1});
	}
}

rmSync(scratch, {recursive: true, force: true});
const missed = figures.filter(figure => !figure.ok);
console.log(`\n${figures.length - missed.length} of ${figures.length} goals met${missed.length > 0 ? `; missed: ${missed.map(figure => figure.id).join(', ')}` : ''}`);
console.log(JSON.stringify({bench: 'hostile', figures}));
