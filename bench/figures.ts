// The README's "Measured figures" table, made from a results file that `npm run bench` writes
// (bench/results/<date>.json): each row comes from the JSON a bench printed in that run, or, for a bench not run
// then, is carried from an earlier run (or from the README before results were kept) and says from when.
import {readdirSync, readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

export const resultsDir = fileURLToPath(new URL('results/', import.meta.url));

/** One row of the table: what is measured, the figure, the goal (with ✓/✗), the bench that measures it. */
export type Row = {figure: string; measured: string; goal: string};

/** What one bench gave: the JSON lines it printed in a run, or rows carried from before results were kept. */
export type BenchEntry =
	| {date: string; lines: unknown[]; /** The 1-minute load average when the bench started. */ load?: number}
	| {date: string; carried: string; rows: Row[]};

export type ResultsFile = {
	/** The day of the run that wrote the file (YYYY-MM-DD). */
	date: string;
	machine: string;
	benches: Record<string, BenchEntry>;
};

type Figure = {name: string; value: number; unit: string; goal?: string; pass?: boolean};

/** The benches in the table's order. */
export const tableBenches = ['status', 'logs-follow', 'dashboard-startup', 'dashboard-keys', 'dashboard-idle', 'dashboard-flood', 'log-view-paused', 'dashboard-prometheus', 'ssh', 'update', 'flash', 'flash-card', 'wall'] as const;

/** A bench's figures; benches that print {id, label, ok} records (bench/update.ts) are read as {name: id, pass: ok}. */
function figures(lines: unknown[]): Figure[] {
	type Record = Figure & {id?: string; ok?: boolean};
	return lines.flatMap(line => ((line as {figures?: Record[]}).figures ?? [])
		.map(figure => (figure.id === undefined ? figure : {...figure, name: figure.id, pass: figure.goal === 'baseline' || figure.goal?.startsWith('see ') ? undefined : figure.ok})));
}

/** The figure whose name matches; throws naming the bench when a bench's output lacks it (renamed, not run). */
function find(bench: string, lines: unknown[], name: string | RegExp): Figure {
	const found = figures(lines).find(figure => (typeof name === 'string' ? figure.name === name : name.test(figure.name)));
	if (!found) {
		throw new Error(`bench ${bench}: no figure ${String(name)} in its results`);
	}

	return found;
}

/** The first group of `pattern` in a bench's title (its first line's `bench`), or undefined. */
function fromTitle(lines: unknown[], pattern: RegExp): string | undefined {
	return pattern.exec((lines[0] as {bench?: string}).bench ?? '')?.[1];
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const whole = (value: number) => Math.round(value).toLocaleString('en-US').replaceAll(',', ' ');
const mark = (figure: Figure) => (figure.pass === undefined ? '' : figure.pass ? ' ✓' : ' ✗');
const goal = (text: string, figure: Figure) => `${text}${mark(figure)}`;

/** Rows made from a bench's own output; one builder per bench in the table. */
const builders: Record<string, (lines: unknown[]) => Row[]> = {
	status(lines) {
		const ratio = find('status', lines, 'ratio');
		const ours = find('status', lines, 'krazy-tui status --json, median wall time');
		const base = find('status', lines, 'node -e "fetch(...)" of GET / (JSON), median wall time');
		return [{figure: '`status --json` wall time ÷ `node -e "fetch(…)"` of the same JSON', measured: `${fixed(ratio.value, 2)} (${whole(ours.value)} ms vs ${whole(base.value)} ms)`, goal: goal('≤ 1.5', ratio)}];
	},
	'logs-follow'(lines) {
		const ratio = find('logs-follow', lines, 'ratio');
		const ours = find('logs-follow', lines, 'krazy-tui logs -f: lines received per second');
		const curl = find('logs-follow', lines, 'curl -N: lines received per second');
		const peak = find('logs-follow', lines, 'krazy-tui logs -f: peak memory (VmHWM)');
		return [{figure: '`logs -f` lines/s ÷ `curl -N`, 20 000 lines/s', measured: `${fixed(ratio.value, 2)} (${whole(ours.value)} vs ${whole(curl.value)} lines/s), peak ${whole(peak.value)} MiB`, goal: goal('≥ 0.8', ratio)}];
	},
	'dashboard-startup'(lines) {
		const ratio = find('dashboard-startup', lines, 'first full frame / Ink hello');
		const first = find('dashboard-startup', lines, 'dashboard: first full frame');
		const hello = find('dashboard-startup', lines, 'bare Ink hello: first frame');
		const devices = fromTitle(lines, /with (\d+) devices/);
		const rows: Row[] = [{figure: `Dashboard first full frame${devices ? ` with ${devices} devices` : ''} ÷ a bare Ink "hello"`, measured: `${fixed(ratio.value, 2)} (${whole(first.value)} vs ${whole(hello.value)} ms)`, goal: goal('≤ 1.3', ratio)}];
		const missing = figures(lines).find(figure => figure.name === 'devices missing from a first full frame (all runs)');
		if (missing) {
			rows.push({figure: '… devices missing from the first full frame (placeholders first, no pop-in), over all runs', measured: whole(missing.value), goal: goal('0', missing)});
		}

		return rows;
	},
	'dashboard-keys'(lines) {
		const ours = find('dashboard-keys', lines, 'dashboard: key to frame');
		const echo = find('dashboard-keys', lines, 'bare Ink key echo: key to frame');
		const devices = fromTitle(lines, /(\d+) devices/) ?? '50';
		return [{figure: `Dashboard key to frame on the device list, ${devices} devices online (light demo fleet), median`, measured: `${fixed(ours.value, 1)} ms (a bare Ink key echo: ${fixed(echo.value, 1)} ms, ${fixed(ours.value / echo.value, 1)}×)`, goal: goal('< 50 ms', ours)}];
	},
	'log-view-paused'(lines) {
		const ratio = find('log-view-paused', lines, 'paused frame ÷ followed frame');
		const paused = find('log-view-paused', lines, /^paused view, pinned \d+-line buffer: one frame$/);
		const followed = find('log-view-paused', lines, 'followed view, 10 000-line buffer: one frame (baseline)');
		const share = find('log-view-paused', lines, 'append while paused at 20 000 lines/s: share of one core');
		return [
			{figure: `Log view paused (frozen) over ${paused.name.match(/\d+/)![0]} pinned lines: one frame ÷ a followed view's`, measured: `${fixed(ratio.value, 1)} (${fixed(paused.value, 1)} vs ${fixed(followed.value, 1)} ms)`, goal: goal('< 5', ratio)},
			{figure: '… keeping lines while paused at 20 000 lines/s: CPU', measured: `${fixed(share.value, 1)} % of one core`, goal: goal('< 10 %', share)},
		];
	},
	'dashboard-prometheus'(lines) {
		const cpuOff = find('dashboard-prometheus', lines, /--prometheus off \(share of a core\)$/);
		const cpuOn = find('dashboard-prometheus', lines, /--prometheus URL$/);
		const rss = find('dashboard-prometheus', lines, 'resident memory with Prometheus');
		const keyOff = find('dashboard-prometheus', lines, 'key-to-frame (? help), --prometheus off, median');
		const keyOn = find('dashboard-prometheus', lines, 'key-to-frame (? help), --prometheus URL, median');
		const history = find('dashboard-prometheus', lines, 'key-to-frame of a 24 h history from Prometheus, median');
		const devices = fromTitle(lines, /over (\d+) light/) ?? '500';
		return [
			{figure: `Dashboard over ${devices} light demo devices (rows on screen polled every 5 s, the rest every 30 s), \`--prometheus URL\` ÷ \`--prometheus off\`, same run: idle CPU`, measured: `${fixed(cpuOn.value / cpuOff.value, 2)} (${fixed(cpuOn.value, 1)} vs ${fixed(cpuOff.value, 1)} % of one core)`, goal: goal('< 10 %', cpuOn)},
			{figure: '… resident memory with Prometheus', measured: `${whole(rss.value)} MB`, goal: goal('< 250 MB', rss)},
			{figure: '… key-to-frame (`?`), median', measured: `${whole(keyOn.value)} vs ${whole(keyOff.value)} ms (${fixed(keyOn.value / keyOff.value, 2)})`, goal: goal('< 100 ms', keyOn)},
			{figure: '… `H`, then `2`: a 24 h history from Prometheus, key to frame, median', measured: `${whole(history.value)} ms`, goal: goal('< 300 ms', history)},
		];
	},
	'dashboard-idle'(lines) {
		const cpu50 = find('dashboard-idle', lines, '50 devices: CPU (share of one core)');
		const rss50 = find('dashboard-idle', lines, '50 devices: resident memory at the end');
		const peak50 = find('dashboard-idle', lines, '50 devices: peak resident memory');
		const cpu1 = find('dashboard-idle', lines, '1 device: CPU (share of one core)');
		const rss1 = find('dashboard-idle', lines, '1 device: resident memory at the end');
		return [
			{figure: 'Dashboard idle, 50 devices polled every 2 s: CPU', measured: `${fixed(cpu50.value, 1)} % of one core`, goal: goal('< 10 %', cpu50)},
			{figure: 'Dashboard idle, 50 devices: memory', measured: `${whole(rss50.value)} MB (peak ${whole(peak50.value)} MB)`, goal: goal('< 200 MB', rss50)},
			{figure: 'Dashboard idle, 1 device', measured: `${fixed(cpu1.value, 1)} % of one core, ${whole(rss1.value)} MB`, goal: '—'},
		];
	},
	'dashboard-flood'(lines) {
		const latency = find('dashboard-flood', lines, /^flood at .*: median key-to-frame$/);
		const quiet = find('dashboard-flood', lines, 'quiet service (baseline): median key-to-frame');
		const cpu = find('dashboard-flood', lines, /^flood at .*: CPU \(share of one core\)$/);
		return [
			{figure: 'Log view under a 20 000 lines/s flood: median key-to-frame', measured: `${fixed(latency.value, 1)} ms (quiet service: ${fixed(quiet.value, 1)} ms)`, goal: goal('< 100 ms', latency)},
			{figure: 'Log view under the flood: CPU', measured: `${fixed(cpu.value, 1)} % of one core`, goal: goal('< 1 core', cpu)},
		];
	},
	ssh(lines) {
		const ratio = find('ssh', lines, 'time to run true: krazy-tui / ssh');
		const ours = find('ssh', lines, 'krazy-tui shell -- true (median)');
		const theirs = find('ssh', lines, 'ssh -- true (median)');
		const rate = find('ssh', lines, 'throughput: krazy-tui / ssh');
		const ourRate = find('ssh', lines, 'krazy-tui 100 MB of remote output (median)');
		const theirRate = find('ssh', lines, 'ssh 100 MB of remote output (median)');
		return [
			{figure: '`shell -- true` ÷ OpenSSH `ssh -- true`, same `sshd`', measured: `${fixed(ratio.value, 2)} (${whole(ours.value)} vs ${whole(theirs.value)} ms)`, goal: goal('≤ 1.5', ratio)},
			{figure: '100 MB of remote output, throughput ÷ `ssh`', measured: `${fixed(rate.value, 2)} (${fixed(ourRate.value, 1)} vs ${fixed(theirRate.value, 1)} MB/s)`, goal: goal('≥ 0.7', rate)},
		];
	},
	update(lines) {
		const ratio = find('update', lines, 'update.push.ratio');
		const ours = find('update', lines, 'update.push.krazy');
		const curl = find('update', lines, 'update.push.curl');
		const peak = find('update', lines, 'update.push.peak-rss');
		const reboot = find('update', lines, 'update.reboot.demo');
		const gate = find('update', lines, 'update.reboot.gate');
		const overhead = find('update', lines, 'update.reboot.overhead');
		const size = fromTitle(lines, /(\d+) MiB root/) ?? '1024';
		const settle = fromTitle(lines, /settle (\d+) s/) ?? '5';
		return [
			{figure: `Update: push of a ${whole(Number(size))} MiB root from a gaf to a demo device, throughput ÷ \`curl -T\` of the same bytes`, measured: `${fixed(ratio.value, 2)} (${fixed(ours.value, 0)} vs ${fixed(curl.value, 0)} MiB/s)`, goal: goal('≥ 0.9', ratio)},
			{figure: '… peak memory of krazy-tui pushing it', measured: `${fixed(peak.value, 0)} MiB`, goal: goal('< 150 MiB', peak)},
			{figure: `… reboot → health gate passed, less the demo's own reboot and the settle time (${settle} s)`, measured: `${fixed(overhead.value, 2)} s (${fixed(gate.value, 2)} s; the demo reboots in ${fixed(reboot.value, 2)} s)`, goal: goal('≤ 2 s', overhead)},
		];
	},
	flash(lines) {
		const write = find('flash', lines, 'write ratio to dd');
		const ours = find('flash', lines, 'krazy-tui flash --no-verify, whole process (median s)');
		const dd = find('flash', lines, /^dd bs=4M conv=fsync, \d+ MiB \(median s\)$/);
		const hash = find('flash', lines, 'that hash alone as a ratio to dd (the floor)');
		const unhashed = find('flash', lines, 'diagnostic: the same writer with SHA-256 off, whole process, ratio to dd');
		const verify = find('flash', lines, 'write + verify ratio to dd + sha256sum');
		const verified = find('flash', lines, 'krazy-tui flash with verify, whole process (median s)');
		const ddSha = find('flash', lines, 'dd, then sha256sum of the device, whole processes (median s)');
		const raw = find('flash', lines, 'peak RSS: raw image, write + verify');
		const zstd = find('flash', lines, 'peak RSS: zstd image (64 MiB random + zeros)');
		const fastPeak = find('flash', lines, 'peak RSS: fast mode');
		const largest = find('flash', lines, 'peak RSS, largest');
		const fastRatio = find('flash', lines, 'fast mode time as a ratio to the full write');
		const fast = find('flash', lines, 'gokrazy-shaped image: fast write + verify, whole process (median s)');
		const full = find('flash', lines, 'gokrazy-shaped image: full write + verify, whole process (median s)');
		const skipped = find('flash', lines, 'fast mode: share of the image skipped');
		const mib = /(\d+) MiB/.exec(dd.name)![1]!;
		const size = Number(mib) % 1024 === 0 ? `${Number(mib) / 1024} GiB` : `${mib} MiB`;
		return [
			{figure: `Flash: \`flash --no-verify\` of ${size} ÷ \`dd bs=4M conv=fsync\`, whole processes`, measured: `${fixed(write.value, 2)} (${fixed(ours.value, 2)} vs ${fixed(dd.value, 2)} s)`, goal: goal('≤ 1.05', write)},
			{figure: '… node hashing the image alone (one core) ÷ dd', measured: fixed(hash.value, 2), goal: '(the floor while hashing)'},
			{figure: '… the same writer with SHA-256 off ÷ dd (diagnostic)', measured: fixed(unhashed.value, 2), goal: '—'},
			{figure: 'Flash: write + verify ÷ dd then `sha256sum` of the device, whole processes', measured: `${fixed(verify.value, 2)} (${fixed(verified.value, 2)} vs ${fixed(ddSha.value, 2)} s)`, goal: goal('≤ 1.1', verify)},
			{figure: 'Flash: peak memory (raw / zstd / fast mode)', measured: `${fixed(raw.value, 1)} / ${fixed(zstd.value, 1)} / ${fixed(fastPeak.value, 1)} MB`, goal: goal('< 100 MB', largest)},
			{figure: `Flash: fast mode on a gokrazy-shaped ${size} image ÷ full write + verify`, measured: `${fixed(fastRatio.value, 2)} (${fixed(fast.value, 1)} vs ${fixed(full.value, 1)} s), ${fixed(skipped.value, 1)} % skipped`, goal: '—'},
		];
	},
	'flash-card'(lines) {
		const all = figures(lines);
		const get = (id: string) => all.find(figure => figure.name === id);
		const speeds = fromTitle(lines, /at card speed: [^,]+, ([^,]+, [^,]+),/) ?? 'card speed';
		const rows: Row[] = [];
		const fullToDd = get('full-to-dd');
		if (fullToDd) {
			rows.push({figure: `Flash at card speed (${speeds}), gokrazy 1.5 GiB: full write ÷ \`dd bs=4M oflag=direct conv=fsync\``, measured: `${fixed(fullToDd.value, 2)} (${fixed(get('full-seconds')!.value, 1)} vs ${fixed(get('dd-seconds')!.value, 1)} s)`, goal: goal('≤ 1.05', fullToDd)});
		}

		const share = get('fast-write-share');
		if (share) {
			rows.push({figure: `${rows.length > 0 ? '…' : `Flash at card speed (${speeds}), gokrazy 1.5 GiB:`} fast mode: what the card wrote ÷ the write phase, share of the card's bandwidth`, measured: `${fixed(share.value, 1)} % (${fixed(get('fast-card-mb')!.value, 1)} MB); ${fixed(get('fast-process-share')!.value, 1)} % of the whole process`, goal: goal('≥ 90 %', share)});
		}

		const toBmaptool = get('fast-verify-to-bmaptool');
		if (toBmaptool) {
			rows.push(
				{figure: '… fast + read-back verify ÷ `bmaptool copy` (node without NODE_EXTRA_CA_CERTS, as installed; see below)', measured: `${fixed(toBmaptool.value, 2)} (${fixed(get('fast-verify-seconds')!.value, 2)} vs ${fixed(get('bmaptool-verify-seconds')!.value, 2)} s)${get('fast-verify-to-bmaptool-16g') ? `; ${fixed(get('fast-verify-to-bmaptool-16g')!.value, 2)} at 16 GiB` : ''}${get('fast-verify-machine-ca-to-bmaptool') ? `; ${fixed(get('fast-verify-machine-ca-to-bmaptool')!.value, 2)} with this machine's NODE_EXTRA_CA_CERTS (${fixed(get('fast-verify-machine-ca-seconds')!.value, 2)} s)` : ''}`, goal: goal('≤ 1.0', toBmaptool)},
				{figure: '… card writes, fast ÷ `bmaptool copy`; what verify reads beyond what was written', measured: `${fixed(get('fast-verify-card-mb')!.value / get('bmaptool-verify-card-mb')!.value, 2)} (${fixed(get('fast-verify-card-mb')!.value, 1)} vs ${fixed(get('bmaptool-verify-card-mb')!.value, 1)} MB); ${fixed(get('fast-verify-read-extra')!.value, 1)} MB (the zeroing's checks, the re-read sample)`, goal: '—'},
				{figure: '… fast verify: time it takes after the last write', measured: `${fixed(get('fast-verify-after-write')!.value, 2)} s`, goal: '—'},
			);
		}

		const big = get('fast-16g-to-1536m');
		if (big) {
			const bigVerify = get('fast-verify-16g-to-1536m');
			rows.push({figure: '… the same image at 16 GiB ÷ at 1.5 GiB, fast', measured: `${fixed(big.value, 2)}${bigVerify ? `; with verify ${fixed(bigVerify.value, 2)}` : ''}`, goal: goal('≤ 1.1', big)});
		}

		const peaks = [get('full-verify-peak-rss') ?? get('full-peak-rss'), get('fast-verify-peak-rss'), get('fast-verify-16g-peak-rss')];
		if (peaks.some(Boolean)) {
			const worst = Math.max(...peaks.map(peak => peak?.value ?? 0));
			rows.push({figure: '… peak memory: full / fast with verify / the same at 16 GiB', measured: peaks.map(peak => (peak ? `${fixed(peak.value, 0)} MB` : '–')).join(' / '), goal: `< 100 MB${worst < 100 ? ' ✓' : ' ✗'}`});
		}

		return rows;
	},
	wall(lines) {
		type WallLine = {bench: string; devices: number; light?: boolean; pollSeconds: number; seconds: number; wall: {cpuPercent: number; peakRssMb: number}; storeOnly: {cpuPercent: number}; ok: boolean};
		const runs = lines.filter(entry => (entry as {bench?: string}).bench === 'wall') as WallLine[];
		if (runs.length === 0) {
			throw new Error('bench wall: no result line');
		}

		return runs.map(line => ({
			figure: line.light
				? `Wall: ${line.devices} light demo devices, polled every ${line.pollSeconds} s on the page (the rest every 30 s), for ${line.seconds} s`
				: `Wall: ${line.devices} devices polled every ${line.pollSeconds} s for ${line.seconds} s`,
			measured: `${fixed(line.wall.cpuPercent, 1)} % of one core, ${fixed(line.wall.peakRssMb, 1)} MB peak (the store alone: ${fixed(line.storeOnly.cpuPercent, 1)} %)`,
			goal: `< 10 %, < ${line.light ? 250 : 150} MB${line.ok ? ' ✓' : ' ✗'}`,
		}));
	},
};

/** The rows one bench contributes, with "(from DATE)" on those not measured in the file's own run. */
export function benchRows(bench: string, entry: BenchEntry, fileDate: string): Row[] {
	const rows = 'lines' in entry ? builders[bench]!(entry.lines) : entry.rows;
	if (entry.date === fileDate && 'lines' in entry) {
		return rows;
	}

	return rows.map(row => ({...row, measured: `${row.measured} (from ${entry.date})`}));
}

/** The README's figures section (between its markers) for a results file. */
export function renderFigures(results: ResultsFile): string {
	const out = [
		`Written by \`npm run readme-figures\` from [\`bench/results/${results.date}.json\`](bench/results/${results.date}.json), which`,
		'`npm run build && npm run bench [-- NAME…]` writes; each figure against its baseline in the same run. Figures',
		'of benches not run that day are carried from their last run and say from when; the Bench column gives the load',
		'average when each bench started (the machine is shared). Machine:',
		`${results.machine}.`,
		'',
		'| Figure | Measured | Goal | Bench |',
		'| --- | --- | --- | --- |',
	];
	for (const bench of tableBenches) {
		const entry = results.benches[bench];
		if (!entry) {
			continue;
		}

		const note = 'carried' in entry ? ` (${entry.carried})` : entry.load === undefined ? '' : ` (load ${entry.load.toFixed(1)})`;
		for (const [index, row] of benchRows(bench, entry, results.date).entries()) {
			out.push(`| ${row.figure} | ${row.measured} | ${row.goal} | \`${bench}\`${index === 0 ? note : ''} |`);
		}
	}

	return out.join('\n');
}

/** The newest bench/results/<date>.json, by name. */
export function latestResultsFile(dir = resultsDir): string | undefined {
	const files = readdirSync(dir).filter(name => /^\d{4}-\d{2}-\d{2}\.json$/.test(name)).sort();
	return files.length > 0 ? `${dir}${files.at(-1)}` : undefined;
}

export function readResults(file: string): ResultsFile {
	return JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
}

export const figuresStart = '<!-- figures:start -->';
export const figuresEnd = '<!-- figures:end -->';

/** `readme` with its figures section replaced by `section`. */
export function replaceFigures(readme: string, section: string): string {
	const start = readme.indexOf(figuresStart);
	const end = readme.indexOf(figuresEnd);
	if (start === -1 || end === -1 || end < start) {
		throw new Error(`README.md: no ${figuresStart} … ${figuresEnd} section`);
	}

	return `${readme.slice(0, start + figuresStart.length)}\n${section}\n${readme.slice(end)}`;
}
