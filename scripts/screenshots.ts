// Renders real runs of every screen into screenshots/ (SVG pictures and plain-text copies), for the README.
//
//   npm run build && npm run screenshots [-- dashboard shell flash wall update]
//
// Each program runs in tmux on demo devices started here (the dashboard also on a real prometheus-node-exporter when
// the machine has one, for the CPU and network graphs); each screen is captured with its colours (`capture-pane -e`)
// and drawn as an SVG terminal: the dashboard, its logs and help; the breakglass shell from the dashboard's `b`; each
// step of the flashing wizard on a loop device (needs root for losetup; the sudo and gok build steps need a non-root
// user and gok); the wall over four demo devices.
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {startDemoDevice, startDemoFleet} from '../source/demo/demo-device.js';
import {TmuxSession} from '../test/helpers/tmux.js';
import {makeDemoArchives} from '../source/demo/demo-archives.js';
import {sbomJson} from '../source/demo/demo-build.js';
import {UpdateRecords} from '../source/core/update/update-records.js';
import {nodeExporterBinary, startNodeExporter, type RunningNodeExporter} from '../test/helpers/node-exporter.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.join(root, 'screenshots');
type Size = {columns: number; rows: number};
const standard: Size = {columns: 100, rows: 30};

type Style = {fg?: string; bg?: string; bold?: boolean; dim?: boolean; underline?: boolean; inverse?: boolean};
type Cell = {char: string; style: Style};

const basic = ['#1e1e1e', '#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#d4d4d4'];
const bright = ['#5c6370', '#ff7b86', '#b5e890', '#ffd68a', '#82c4ff', '#e099ff', '#7ee0eb', '#ffffff'];
const defaultFg = '#d4d4d4';
const defaultBg = '#1e1e1e';

function color256(index: number): string {
	if (index < 8) {
		return basic[index];
	}

	if (index < 16) {
		return bright[index - 8];
	}

	if (index < 232) {
		const value = index - 16;
		const level = (n: number) => (n === 0 ? 0 : 55 + n * 40);
		const [r, g, b] = [Math.floor(value / 36), Math.floor(value / 6) % 6, value % 6].map(n => level(n));
		return `rgb(${r},${g},${b})`;
	}

	const gray = 8 + (index - 232) * 10;
	return `rgb(${gray},${gray},${gray})`;
}

function applySgr(style: Style, parameters: number[]): Style {
	const next = {...style};
	for (let index = 0; index < parameters.length; index++) {
		const code = parameters[index];
		if (code === 0) {
			Object.assign(next, {fg: undefined, bg: undefined, bold: false, dim: false, underline: false, inverse: false});
		} else if (code === 1) {
			next.bold = true;
		} else if (code === 2) {
			next.dim = true;
		} else if (code === 4) {
			next.underline = true;
		} else if (code === 7) {
			next.inverse = true;
		} else if (code === 22) {
			next.bold = false;
			next.dim = false;
		} else if (code === 24) {
			next.underline = false;
		} else if (code === 27) {
			next.inverse = false;
		} else if (code >= 30 && code <= 37) {
			next.fg = basic[code - 30];
		} else if (code >= 90 && code <= 97) {
			next.fg = bright[code - 90];
		} else if (code === 39) {
			next.fg = undefined;
		} else if (code >= 40 && code <= 47) {
			next.bg = basic[code - 40];
		} else if (code >= 100 && code <= 107) {
			next.bg = bright[code - 100];
		} else if (code === 49) {
			next.bg = undefined;
		} else if ((code === 38 || code === 48) && parameters[index + 1] === 5) {
			next[code === 38 ? 'fg' : 'bg'] = color256(parameters[index + 2] ?? 0);
			index += 2;
		} else if ((code === 38 || code === 48) && parameters[index + 1] === 2) {
			next[code === 38 ? 'fg' : 'bg'] = `rgb(${parameters[index + 2]},${parameters[index + 3]},${parameters[index + 4]})`;
			index += 4;
		}
	}

	return next;
}

/** The screen as cells: tmux's capture with escapes holds only SGR sequences and text. */
function parseCapture(capture: string, rows: number): Cell[][] {
	return capture.split('\n').slice(0, rows).map(line => {
		const cells: Cell[] = [];
		let style: Style = {};
		const pattern = /\u001b\[([\d;]*)m|([^\u001b]+)/g;
		for (const match of line.matchAll(pattern)) {
			if (match[1] !== undefined) {
				style = applySgr(style, match[1] === '' ? [0] : match[1].split(';').map(Number));
			} else {
				for (const char of match[2]) {
					cells.push({char, style});
				}
			}
		}

		return cells;
	});
}

function escapeXml(text: string): string {
	return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function toSvg(capture: string, title: string, {columns, rows}: Size): string {
	const cellWidth = 8.4;
	const cellHeight = 18;
	const padding = 12;
	const width = Math.ceil(columns * cellWidth + padding * 2);
	const height = Math.ceil(rows * cellHeight + padding * 2);
	const parts: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
		`<rect width="100%" height="100%" rx="6" fill="${defaultBg}"/>`,
		'<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" xml:space="preserve">',
	];
	for (const [y, cells] of parseCapture(capture, rows).entries()) {
		let x = 0;
		while (x < cells.length) {
			// One text run per stretch of equal style.
			const style = cells[x].style;
			let end = x;
			let text = '';
			while (end < cells.length && JSON.stringify(cells[end].style) === JSON.stringify(style)) {
				text += cells[end].char;
				end++;
			}

			const fg = style.inverse ? (style.bg ?? defaultBg) : (style.fg ?? defaultFg);
			const bg = style.inverse ? (style.fg ?? defaultFg) : style.bg;
			const left = padding + x * cellWidth;
			const top = padding + y * cellHeight;
			if (bg) {
				parts.push(`<rect x="${left.toFixed(1)}" y="${top}" width="${((end - x) * cellWidth).toFixed(1)}" height="${cellHeight}" fill="${bg}"/>`);
			}

			if (text.trim() !== '') {
				const attributes = [
					`x="${left.toFixed(1)}"`,
					`y="${top + 13}"`,
					`fill="${fg}"`,
					`textLength="${((end - x) * cellWidth).toFixed(1)}"`,
					'lengthAdjust="spacingAndGlyphs"',
					style.bold ? 'font-weight="bold"' : '',
					style.dim ? 'opacity="0.6"' : '',
					style.underline ? 'text-decoration="underline"' : '',
				].filter(Boolean);
				parts.push(`<text ${attributes.join(' ')}>${escapeXml(text)}</text>`);
			}

			x = end;
		}
	}

	parts.push('</g>', '</svg>');
	return parts.join('\n') + '\n';
}

async function save(tmux: TmuxSession, name: string, title: string, size: Size = standard): Promise<void> {
	const capture = await tmux.capture({escapes: true});
	writeFileSync(path.join(outDir, `${name}.svg`), toSvg(capture, title, size));
	writeFileSync(path.join(outDir, `${name}.txt`), await tmux.capture());
	console.log(`screenshots/${name}.svg`);
}

const pause = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The dashboard, a service's log searched, and the help. */
async function dashboardShots(): Promise<void> {
	const demo = await startDemoDevice({hostname: 'casa'});
	let exporter: RunningNodeExporter | undefined;
	try {
		exporter = await startNodeExporter();
	} catch {
		console.error(`screenshots: no ${nodeExporterBinary}; the CPU and network graphs will say so`);
	}

	const configDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-screenshots-config-'));
	const command = exporter
		? ['node', '--import=tsx', 'test/helpers/dashboard-entry.ts', '--poll', '1000', '--node-exporter', exporter.url, demo.url]
		: ['node', 'dist/cli.js', '--poll-interval', '1', demo.url];
	const tmux = await TmuxSession.start({command, cwd: root, ...standard, env: {KRAZY_TUI_CONFIG_DIR: configDir}});
	try {
		await tmux.waitForText(text => text.includes('● online') && text.includes('/user/golink'), 30_000);
		// Let the rings fill a little, so the sparklines have a shape.
		await pause(20_000);
		await tmux.sendKeys('Enter');
		await tmux.type('jjjj');
		await tmux.waitForText(text => /▸ \/user\/golink/.test(text));
		await save(tmux, 'dashboard', 'krazy-tui: the dashboard on the demo device');

		// A tall terminal: the graphs take the rows the services do not need.
		await tmux.resize(100, 48);
		await tmux.waitForText(text => text.split('\n').filter(line => /[▁▂▃▄▅▆▇█]/.test(line)).length > 12, 10_000);
		await save(tmux, 'dashboard-tall', 'krazy-tui: on a tall terminal the graphs grow', {columns: 100, rows: 48});
		await tmux.resize(standard.columns, standard.rows);

		await tmux.type('j');
		await tmux.sendKeys('Enter');
		await tmux.waitForText(text => /Logs · \S+ \(casa\) \/user\/chatty/.test(text) && text.includes('warning'), 20_000);
		await pause(3000);
		await tmux.type('T/warning');
		await tmux.sendKeys('Enter');
		await tmux.waitForText('search "warning"');
		// N goes to the newest match (pausing), so the picture shows it lit and its position.
		await tmux.type('N');
		await tmux.waitForText(text => /search "warning": \d+\/\d+/.test(text));
		await save(tmux, 'logs', 'krazy-tui: the logs of a service with receive times, searched, paused on the newest match');

		await tmux.type('q');
		await tmux.type('?');
		await tmux.waitForText('Keys ·');
		await save(tmux, 'help', 'krazy-tui: every key');
		await tmux.sendKeys('Escape');
		await tmux.type('q');
		await tmux.type('q');
	} finally {
		await tmux.kill();
		await exporter?.stop();
		await demo.stop();
		rmSync(configDir, {recursive: true, force: true});
	}
}

/** `krazy-tui demo`, then `b`: the breakglass shell on the demo device, with a command's answer on it. */
async function shellShot(): Promise<void> {
	const home = mkdtempSync(path.join(os.tmpdir(), 'krazy-shots-'));
	const tmux = await TmuxSession.start({
		command: ['node', 'dist/cli.js', 'demo'],
		cwd: root,
		...standard,
		env: {HOME: home, KRAZY_TUI_CONFIG_DIR: path.join(home, 'config'), GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy')},
	});
	try {
		await tmux.waitForText(text => text.includes('● online') && text.includes('b shell'), 30_000);
		await tmux.type('b');
		// The prompt (busybox's `… # `; capture-pane trims its trailing space).
		await tmux.waitForText(/[#$] ?$/m, 30_000);
		await tmux.type('uname -sm; ps | head -n 8');
		await tmux.sendKeys('Enter');
		await tmux.waitForText(text => /PID/.test(text) && /[#$] ?$/.test(text.trimEnd()), 10_000);
		await save(tmux, 'shell', 'krazy-tui: the breakglass shell on the demo device');
		await tmux.type('exit');
		await tmux.sendKeys('Enter');
		await tmux.waitForText('back from the shell', 20_000);
		await tmux.type('q');
	} finally {
		await tmux.kill();
		rmSync(home, {recursive: true, force: true});
	}
}

/** The flashing wizard, step by step, writing a real image to a loop device. */
async function flashShots(): Promise<void> {
	if (process.getuid?.() !== 0) {
		console.error('screenshots: the wizard\'s shots need root (losetup); skipped');
		return;
	}

	const dir = mkdtempSync(path.join(os.tmpdir(), 'krazy-shots-flash-'));
	const image = path.join(dir, 'casa.img');
	const card = path.join(dir, 'card.img');
	// Big enough that the write and the verify each stay on screen a moment; random, so nothing is skipped.
	execFileSync('dd', ['if=/dev/urandom', `of=${image}`, 'bs=1M', 'count=768', 'status=none']);
	execFileSync('truncate', ['-s', '1G', card]);
	const loop = execFileSync('losetup', ['--find', '--show', card], {encoding: 'utf8'}).trim();
	// Run in the image's folder and given by its bare name, so the pictures do not change with the folder's name.
	const tmux = await TmuxSession.start({command: ['node', path.join(root, 'dist/cli.js'), 'flash', '--show-all', '--image', 'casa.img'], cwd: dir, ...standard, env: {}});
	try {
		await tmux.waitForText('Image file:', 20_000);
		await save(tmux, 'flash-1-source', 'krazy-tui flash: 1. the image');
		await tmux.sendKeys('Enter');
		await tmux.waitForText(text => text.includes('2. Which card') && text.includes(`${loop} `), 30_000);
		// Other loop devices may be listed: the cursor goes to ours.
		for (let attempt = 0; attempt < 40; attempt++) {
			const screen = await tmux.capture();
			const lines = screen.split('\n');
			const ours = lines.findIndex(line => line.includes(` ${loop} `) && /^(›| ) /.test(line));
			const cursor = lines.findIndex(line => line.startsWith('› '));
			if (ours !== -1 && ours === cursor) {
				break;
			}

			await tmux.sendKeys(ours !== -1 && cursor !== -1 && ours < cursor ? 'Up' : 'Down');
			await pause(300);
		}

		await save(tmux, 'flash-2-target', 'krazy-tui flash: 2. which card');
		await tmux.sendKeys('Enter');
		await tmux.waitForText('3. Confirm', 10_000);
		const confirm = await tmux.capture();
		if (/type .*loop\d+/i.test(confirm) || !confirm.includes('Press y')) {
			await tmux.type(path.basename(loop));
		}

		await save(tmux, 'flash-3-confirm', 'krazy-tui flash: 3. confirm');
		if (confirm.includes('Press y')) {
			await tmux.type('y');
		} else {
			await tmux.sendKeys('Enter');
		}

		await tmux.waitForText(text => /4\. Writing to .*\n.*█/.test(text), 60_000);
		await save(tmux, 'flash-4-write', 'krazy-tui flash: 4. writing');
		await tmux.waitForText(text => /5\. Verifying .*\n.*█/.test(text) || text.includes('6. Done'), 120_000);
		if ((await tmux.capture()).includes('5. Verifying')) {
			await save(tmux, 'flash-5-verify', 'krazy-tui flash: 5. verifying');
		} else {
			console.error('screenshots: the verify step went by too fast to catch; flash-5-verify kept as it was');
		}

		await tmux.waitForText('6. Done', 120_000);
		await save(tmux, 'flash-6-finish', 'krazy-tui flash: 6. done');
		await tmux.sendKeys('Enter');
	} finally {
		await tmux.kill();
		execFileSync('losetup', ['-d', loop]);
		rmSync(dir, {recursive: true, force: true});
	}
}

/** The wall over four demo devices, one of them with a crash-looping service. */
async function wallShot(): Promise<void> {
	const fleet = await startDemoFleet(4);
	const size = {columns: 140, rows: 40};
	const tmux = await TmuxSession.start({command: ['node', 'dist/cli.js', 'wall', '--poll-interval', '1', ...fleet.map(device => device.url)], cwd: root, ...size, env: {}});
	try {
		await tmux.waitForText(text => fleet.every(device => text.includes(device.hostname)) && text.includes('4 online'), 30_000);
		// The charts need a few samples, the stderr pane a few lines.
		await pause(15_000);
		await save(tmux, 'wall', 'krazy-tui wall: four demo devices', size);
		await tmux.type('q');
	} finally {
		await tmux.kill();
		await Promise.all(fleet.map(async device => device.stop()));
	}
}

/** The dashboard's update pane (`u`) on the demo device: the plan, a good build through the gate, a bad one failing it, the rollback. */
async function updateShots(): Promise<void> {
	const demo = await startDemoDevice({hostname: 'casa', rebootDowntimeMs: 1500});
	const archives = await makeDemoArchives(demo);
	const configDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-shots-update-'));
	await new UpdateRecords(path.join(configDir, 'updates')).rememberSbom(sbomJson(archives.runningSbom));
	const size = {columns: 110, rows: 34};
	const tmux = await TmuxSession.start({command: ['node', 'dist/cli.js', '--poll-interval', '1', '--settle', '6', demo.url], cwd: root, ...size, env: {KRAZY_TUI_CONFIG_DIR: configDir}});
	try {
		await tmux.waitForText(text => text.includes('● online') && text.includes('/user/golink'), 30_000);
		await tmux.type('u');
		await tmux.waitForText('archive for');
		await tmux.type(archives.good);
		await tmux.sendKeys('Enter');
		await tmux.waitForText(/Update \S+ to build/, 20_000);
		await save(tmux, 'update-plan', 'krazy-tui: u on a device: what will change, before anything is sent', size);
		await tmux.type('y');
		await tmux.waitForText('✓ health gate passed', 60_000);
		await save(tmux, 'update-gate', 'krazy-tui: pushed, rebooted, back with the new build, the health gate passed', size);
		await tmux.sendKeys('Escape');
		await tmux.type('u');
		await tmux.waitForText('archive for');
		// The last archive is offered: replace it with the bad one.
		// One key at a time: a terminal delivers held-down Backspace as separate keys too.
		for (let index = 0; index < archives.good.length; index++) {
			await tmux.sendKeys('BSpace');
		}

		await tmux.type(archives.bad);
		await tmux.sendKeys('Enter');
		await tmux.waitForText(/Update \S+ to build/, 20_000);
		await tmux.type('y');
		await tmux.waitForText('R rolls back', 60_000);
		await save(tmux, 'update-gate-failed', 'krazy-tui: a build whose service crash-loops fails the health gate', size);
		await tmux.type('R');
		await tmux.waitForText('type its name');
		await tmux.type(`127.0.0.1:${demo.port}`);
		await tmux.sendKeys('Enter');
		await tmux.waitForText(text => text.includes('Rollback ·') && text.includes('✓ health gate passed'), 60_000);
		await save(tmux, 'update-rollback', 'krazy-tui: R, the name typed: back to the previous build, gate passed', size);
		await tmux.sendKeys('Escape');
		await tmux.type('q');
	} finally {
		await tmux.kill();
		await demo.stop();
		rmSync(configDir, {recursive: true, force: true});
	}
}

if (!existsSync(path.join(root, 'dist/cli.js'))) {
	console.error('screenshots: run `npm run build` first');
	process.exit(1);
}

mkdirSync(outDir, {recursive: true});
const shots: Record<string, () => Promise<void>> = {dashboard: dashboardShots, shell: shellShot, flash: flashShots, wall: wallShot, update: updateShots};
const wanted = process.argv.slice(2);
for (const [name, shoot] of Object.entries(shots)) {
	if (wanted.length === 0 || wanted.includes(name)) {
		await shoot();
	}
}
