// Bench: CPU and peak memory of `krazy-tui wall` on 12 demo devices at a 2 s poll for a minute, then on 500 light demo
// devices at a 5 s poll (the page's devices at that interval, the rest every 30 s), each against the store alone.
//
//   npm run build && node --import=tsx bench/wall.ts [--devices 12 [--light]] [--seconds 60] [--poll 2] [--columns 240] [--rows 64]
//
// Without --devices both runs are made.
// The wall runs from dist/ in tmux (a real terminal); the demo fleet runs in a helper process, so its work is not
// counted. The baseline is a plain Node process running the same fleet store and stderr followers without a screen:
// the ratio is what drawing costs. Goal (the issue): under 10 % of one core and under 150 MB.
import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {TmuxSession} from '../test/helpers/tmux.js';
import {commandLine, nodeUnder} from './bench-util.js';

const {values} = parseArgs({
	options: {
		devices: {type: 'string'},
		light: {type: 'boolean', default: false},
		seconds: {type: 'string', default: '60'},
		poll: {type: 'string'},
		columns: {type: 'string', default: '240'},
		rows: {type: 'string', default: '64'},
		// For experiments: NODE_OPTIONS for the wall process (e.g. --max-semi-space-size=2).
		'node-options': {type: 'string', default: ''},
	},
});
type Run = {deviceCount: number; light: boolean; pollSeconds: number};
const runs: Run[] = values.devices === undefined
	? [{deviceCount: 12, light: false, pollSeconds: Number(values.poll ?? 2)}, {deviceCount: 500, light: true, pollSeconds: Number(values.poll ?? 5)}]
	: [{deviceCount: Number(values.devices), light: values.light, pollSeconds: Number(values.poll ?? 2)}];
const seconds = Number(values.seconds);
const columns = Number(values.columns);
const rows = Number(values.rows);
/** The issues' goals: 12 devices under 150 MB (issue 6), 500 under 250 MB (issue 12); under 10 % of a core both. */
const goalFor = (run: Run) => ({cpuPercent: 10, peakRssMb: run.light ? 250 : 150});
const root = fileURLToPath(new URL('..', import.meta.url));
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;

type Sample = {ticks: number; rssKb: number; hwmKb: number};

function sample(pid: number): Sample {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name (which may hold spaces) start at state, field 3: utime is 14, stime 15.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
	return {ticks: Number(fields[11]) + Number(fields[12]), rssKb: kb('VmRSS'), hwmKb: kb('VmHWM')};
}

async function startFleet({deviceCount, light}: Run): Promise<{urls: string[]; hostnames: string[]; password?: string; stop: () => void}> {
	const child = spawn(process.execPath, ['--import=tsx', 'bench/wall-fleet.ts', String(deviceCount), ...(light ? ['light'] : [])], {cwd: root, stdio: ['pipe', 'pipe', 'inherit']});
	const lines = createInterface({input: child.stdout});
	const first = await new Promise<string>((resolve, reject) => {
		lines.once('line', resolve);
		child.once('exit', code => {
			reject(new Error(`the demo fleet exited (${code}) before it was ready`));
		});
	});
	const info = JSON.parse(first) as {urls: string[]; hostnames: string[]; password?: string};
	return {
		...info,
		stop() {
			child.kill('SIGTERM');
		},
	};
}

/** The same store and stderr followers as the wall, without a screen. */
const baselineScript = `
import {createFleetStore, focusOptions} from './dist/core/fleet-store.js';
import {targetFromUrl} from './dist/core/device-target.js';
import {FleetStderr} from './dist/wall/fleet-stderr.js';
const [pollMs, ...urls] = process.argv.slice(1);
const targets = urls.map(url => targetFromUrl(url));
const store = createFleetStore({targets, pollIntervalMs: Number(pollMs), readonly: true, ...focusOptions(targets.length)});
// As the wall does for its first page (12 tiles at 240×64).
store.setFocus(store.getSnapshot().devices.slice(0, 12).map(device => device.name));
const stderr = new FleetStderr(store);
let seen = 0;
store.subscribe(snapshot => { stderr.sync(snapshot); seen = snapshot.devices.filter(d => d.health === 'online').length; });
stderr.subscribe(() => { stderr.entries(10); });
store.start();
setInterval(() => {}, 1 << 30);
`;

async function measure(run: Run): Promise<void> {
	const {deviceCount, pollSeconds} = run;
	const goal = goalFor(run);
	const fleet = await startFleet(run);
	let wall: TmuxSession | undefined;
	// The light fleet shares one password: the wall reads it from a file (500 URLs with it would make a long tmux
	// command), the baseline from its URLs.
	const passwordFile = fleet.password === undefined ? undefined : path.join(mkdtempSync(path.join(os.tmpdir(), 'krazy-bench-wall-')), 'password');
	if (passwordFile) {
		writeFileSync(passwordFile, `${fleet.password}\n`, {mode: 0o600});
	}

	const withPassword = (url: string) => (fleet.password === undefined ? url : url.replace('://', `://gokrazy:${fleet.password}@`));
	const baseline = spawn(process.execPath, ['--input-type=module', '-e', baselineScript, String(pollSeconds * 1000), ...fleet.urls.map(withPassword)], {cwd: root, stdio: 'ignore'});
	try {
		wall = await TmuxSession.start({
			command: ['node', 'dist/cli.js', 'wall', ...fleet.urls, '--poll-interval', String(pollSeconds), ...(passwordFile ? ['--password-file', passwordFile] : [])],
			columns,
			rows,
			cwd: root,
			env: values['node-options'] ? {NODE_OPTIONS: values['node-options']} : {},
		});
		// The pane runs `bash -c 'env … node dist/cli.js wall …; echo $? > status'`: the wall is the node process under
		// that shell, and that is what is sampled (the shell's own command line mentions "wall" too).
		const panePid = Number(await wall.display('#{pane_pid}'));
		const wallPid = await nodeUnder(panePid, 'dist/cli.js', 'wall');
		const wallArgv = commandLine(wallPid);
		if (!/(^|\/)node$/.test(wallArgv[0] ?? '') || wallArgv[1] !== 'dist/cli.js' || wallArgv[2] !== 'wall') {
			throw new Error(`pid ${wallPid} under the pane is not node running the wall: ${wallArgv.join(' ')}`);
		}

		const pageShows = Math.min(deviceCount, 12);
		await wall.waitForText(screen => fleet.hostnames.slice(0, pageShows).every(hostname => screen.includes(hostname)) || screen.includes('page 1/'), 60_000);
		const startedAt = Date.now();
		const wallStart = sample(wallPid);
		const baseStart = sample(baseline.pid!);
		let wallPeakRss = wallStart.rssKb;
		let basePeakRss = baseStart.rssKb;
		while (Date.now() - startedAt < seconds * 1000) {
			await new Promise(resolve => setTimeout(resolve, 1000));
			wallPeakRss = Math.max(wallPeakRss, sample(wallPid).rssKb);
			basePeakRss = Math.max(basePeakRss, sample(baseline.pid!).rssKb);
		}

		const elapsed = (Date.now() - startedAt) / 1000;
		const wallEnd = sample(wallPid);
		const baseEnd = sample(baseline.pid!);
		const screen = await wall.capture();
		const cpu = (start: Sample, end: Sample) => ((end.ticks - start.ticks) / clockTicks / elapsed) * 100;
		const result = {
			bench: 'wall',
			devices: deviceCount,
			light: run.light,
			pollSeconds,
			seconds: Math.round(elapsed),
			terminal: `${columns}x${rows}`,
			onlineOnScreen: /(\d+) online/.exec(screen)?.[1] ?? null,
			wall: {cpuPercent: round(cpu(wallStart, wallEnd)), peakRssMb: round(wallEnd.hwmKb / 1024), rssMb: round(wallEnd.rssKb / 1024)},
			storeOnly: {cpuPercent: round(cpu(baseStart, baseEnd)), peakRssMb: round(baseEnd.hwmKb / 1024), rssMb: round(baseEnd.rssKb / 1024)},
			goal,
		};
		const cpuRatio = result.storeOnly.cpuPercent > 0 ? round(result.wall.cpuPercent / result.storeOnly.cpuPercent) : null;
		const ok = result.wall.cpuPercent < goal.cpuPercent && result.wall.peakRssMb < goal.peakRssMb;
		const table = [
			['', 'CPU % of one core', 'peak RSS (VmHWM)', 'RSS at end'],
			['wall (blessed-contrib)', `${result.wall.cpuPercent} %`, `${result.wall.peakRssMb} MB`, `${result.wall.rssMb} MB`],
			['store + followers only', `${result.storeOnly.cpuPercent} %`, `${result.storeOnly.peakRssMb} MB`, `${result.storeOnly.rssMb} MB`],
			['wall / store only', cpuRatio === null ? '–' : `${cpuRatio}×`, `${round(result.wall.peakRssMb / result.storeOnly.peakRssMb)}×`, ''],
			['goal', `< ${goal.cpuPercent} %`, `< ${goal.peakRssMb} MB`, ok ? 'met' : 'NOT met'],
		];
		const widths = table[0].map((_, column) => Math.max(...table.map(row => row[column].length)));
		process.stdout.write(`wall: ${deviceCount} ${run.light ? 'light ' : ''}demo devices, poll ${pollSeconds} s, ${result.seconds} s, terminal ${result.terminal} (${result.onlineOnScreen ?? '?'} online on screen)\n`);
		for (const row of table) {
			process.stdout.write(row.map((cell, column) => cell.padEnd(widths[column])).join('   ').trimEnd() + '\n');
		}

		process.stdout.write(JSON.stringify({...result, cpuRatio, ok}) + '\n');
	} finally {
		await wall?.kill();
		baseline.kill('SIGTERM');
		fleet.stop();
		if (passwordFile) {
			rmSync(path.dirname(passwordFile), {recursive: true, force: true});
		}
	}
}

function round(value: number): number {
	return Math.round(value * 10) / 10;
}

for (const run of runs) {
	await measure(run);
}
