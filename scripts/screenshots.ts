// Renders real runs of the dashboard against the demo device into screenshots/ (SVG pictures and plain-text copies).
//
//   npm run build && npm run screenshots
//
// The dashboard runs in tmux at 100×30 on a demo device started here (and on a real prometheus-node-exporter when the
// machine has one, for the CPU and network graphs); each screen is captured with its colours (`capture-pane -e`) and
// drawn as an SVG terminal: dashboard.svg, logs.svg, help.svg.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {startDemoDevice} from '../source/demo/demo-device.js';
import {TmuxSession} from '../test/helpers/tmux.js';
import {nodeExporterBinary, startNodeExporter, type RunningNodeExporter} from '../test/helpers/node-exporter.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.join(root, 'screenshots');
const columns = 100;
const rows = 30;

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
function parseCapture(capture: string): Cell[][] {
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

function toSvg(capture: string, title: string): string {
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
	for (const [y, cells] of parseCapture(capture).entries()) {
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

async function save(tmux: TmuxSession, name: string, title: string): Promise<void> {
	const capture = await tmux.capture({escapes: true});
	writeFileSync(path.join(outDir, `${name}.svg`), toSvg(capture, title));
	writeFileSync(path.join(outDir, `${name}.txt`), await tmux.capture());
	console.log(`screenshots/${name}.svg`);
}

if (!existsSync(path.join(root, 'dist/cli.js'))) {
	console.error('screenshots: run `npm run build` first');
	process.exit(1);
}

mkdirSync(outDir, {recursive: true});
const demo = await startDemoDevice({hostname: 'casa'});
let exporter: RunningNodeExporter | undefined;
try {
	exporter = await startNodeExporter();
} catch {
	console.error(`screenshots: no ${nodeExporterBinary}; the CPU and network graphs will say so`);
}

const configDir = path.join(root, '.tmp', 'screenshots-config');
const command = exporter
	? ['node', '--import=tsx', 'test/helpers/dashboard-entry.ts', '--poll', '1000', '--node-exporter', exporter.url, demo.url]
	: ['node', 'dist/cli.js', '--poll-interval', '1', demo.url];
const tmux = await TmuxSession.start({command, cwd: root, columns, rows, env: {KRAZY_TUI_CONFIG_DIR: configDir}});
try {
	await tmux.waitForText(text => text.includes('● online') && text.includes('/user/golink'), 30_000);
	// Let the rings fill a little, so the sparklines have a shape.
	await new Promise(resolve => setTimeout(resolve, 20_000));
	await tmux.sendKeys('Enter');
	await tmux.type('jjjj');
	await tmux.waitForText(text => /▸ \/user\/golink/.test(text));
	await save(tmux, 'dashboard', 'krazy-tui: the dashboard on the demo device');

	await tmux.type('j');
	await tmux.sendKeys('Enter');
	await tmux.waitForText(text => text.includes('Logs · casa /user/chatty') && text.includes('warning'), 20_000);
	await new Promise(resolve => setTimeout(resolve, 3000));
	await tmux.type('/warning');
	await tmux.sendKeys('Enter');
	await tmux.waitForText('search "warning"');
	await save(tmux, 'logs', 'krazy-tui: the logs of a service, searched');

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
}
